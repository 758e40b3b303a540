/**
 * Where resumable uploads live between requests: in the store, so a PATCH can land on any
 * instance. One hash field per unfinished upload (`tus:uploads`, which the expiry sweep reads
 * whole), a marker per completed one (so a client whose last response was lost learns it is
 * done), and a lock per upload as a one-holder lease (a second concurrent PATCH is refused, and an
 * instance that dies gives the lock back when the lease runs out).
 *
 * The upload keeps the FTP credentials it was created with, sealed (AES-256-GCM under a key derived
 * from SESSION_SECRET), because whichever instance notices an expired upload removes its partial
 * file from the FTP server, with nobody's request to borrow credentials from.
 */
import { randomBytes } from 'node:crypto'
import { CredentialSeal } from '../../../auth/credential-seal.js'
import { identityOf } from '../../../auth/types.js'
import type { Identity, PartialUpload } from '../../../files/types.js'
import type { Store } from '../../../store/store.js'

/** An unfinished upload as the store keeps it. */
export interface UploadRecord {
  id: string
  /** Who may use it: the person and the FTP account (another caller gets 404). */
  principal: string
  user: string
  /** The rest of the creator's identity without credentials (groups and the like), for the sweep. */
  person?: Record<string, unknown> | undefined
  /** The FTP password, sealed (see `CredentialSeal`). */
  sealed: string
  partial: PartialUpload
  length: number
  /** The raw Upload-Metadata header, given back on HEAD. */
  metadata: string
  /** The creation request's If-Match / If-None-Match, re-checked when the file is put in place. */
  ifMatch?: string | undefined
  ifNoneMatch?: string | undefined
  createdAt: number
  /** Epoch ms after which the upload is expired: the last PATCH plus UPLOAD_EXPIRY_MS. */
  expiresAt: number
  /**
   * Set after a PATCH whose bytes were refused (a checksum mismatch) but are on the server: the
   * offset the upload really is at, although SIZE says more. The next PATCHes write over them.
   */
  rewindTo?: number | undefined
  /** The last PATCH ended before its body did: the next one is a resumption. */
  interrupted?: boolean | undefined
}

/** What is kept of a completed upload for a while. */
export interface DoneRecord {
  principal: string
  user: string
  length: number
}

export { CredentialSeal }

const UPLOADS = 'tus:uploads'
const doneKey = (id: string) => `tus:done:${id}`
const lockKey = (id: string) => `tus:lock:${id}`

/** How long a lock lasts unless renewed (a PATCH renews it while it streams). */
export const LOCK_TTL_MS = 15_000

/** A held lock: renewed while held, released once. */
export interface UploadLock {
  release(): Promise<void>
}

/** The uploads' state in the store. */
export class UploadState {
  readonly #store: Store
  readonly #seal: CredentialSeal

  constructor(store: Store, sessionKey: Buffer) {
    this.#store = store
    this.#seal = new CredentialSeal(sessionKey)
  }

  /** A new upload id (unguessable: knowing it is not enough, the owner is checked too). */
  newId(): string {
    return randomBytes(18).toString('base64url')
  }

  sealPassword(id: string, password: string): string {
    return this.#seal.seal(id, password)
  }

  /** The identity an upload was created with (the expiry sweep acts as it); undefined if unsealable. */
  identityOf(record: UploadRecord): Identity | undefined {
    const password = this.#seal.open(record.id, record.sealed)
    if (password === undefined) return undefined
    const base = identityOf(record.user, password, record.principal)
    // The credentials and the pool key always come from identityOf, never from the record.
    return { ...base, ...record.person, password: base.password, key: base.key } as Identity
  }

  async get(id: string): Promise<UploadRecord | undefined> {
    const raw = await this.#store.hget(UPLOADS, id)
    return raw === null ? undefined : (JSON.parse(raw) as UploadRecord)
  }

  async put(record: UploadRecord): Promise<void> {
    await this.#store.hset(UPLOADS, record.id, JSON.stringify(record))
  }

  /** Removes an unfinished upload's record; true when this call removed it (so it counts it). */
  async remove(id: string): Promise<boolean> {
    return (await this.#store.hdel(UPLOADS, id)) > 0
  }

  /** Every unfinished upload (for the expiry sweep). */
  async all(): Promise<UploadRecord[]> {
    const all = await this.#store.hgetall(UPLOADS)
    return Object.values(all).map((raw) => JSON.parse(raw) as UploadRecord)
  }

  async markDone(id: string, done: DoneRecord, ttlMs: number): Promise<void> {
    await this.#store.set(doneKey(id), JSON.stringify(done), { ttlMs })
  }

  async getDone(id: string): Promise<DoneRecord | undefined> {
    const raw = await this.#store.get(doneKey(id))
    return raw === null ? undefined : (JSON.parse(raw) as DoneRecord)
  }

  /** Takes the upload's lock, or undefined when another request (on any instance) holds it. */
  async lock(id: string): Promise<UploadLock | undefined> {
    const holder = randomBytes(12).toString('hex')
    const key = lockKey(id)
    if (!(await this.#store.acquireLease(key, holder, 1, LOCK_TTL_MS))) return undefined
    const timer = setInterval(() => {
      this.#store.renewLease(key, holder, LOCK_TTL_MS).catch(() => undefined)
    }, LOCK_TTL_MS / 3)
    timer.unref()
    let released = false
    return {
      release: async () => {
        if (released) return
        released = true
        clearInterval(timer)
        await this.#store.releaseLease(key, holder).catch(() => undefined)
      },
    }
  }
}
