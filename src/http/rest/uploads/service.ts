/**
 * The life of a resumable upload, whatever route or timer drives it: creation (the checks a PUT
 * makes, then the hidden temporary file), PATCHes under the upload's lock (offset checked with SIZE
 * by the file service, bytes streamed straight to FTP, checksum verified), completion (renamed into
 * place), termination and expiry (the partial file removed by whichever instance sees it first).
 * Metrics go out as upload events, audit lines for creation, completion, termination and expiry.
 */
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { type FileError, isConflict, isFileError } from '../../../files/errors.js'
import type { FileService, Identity } from '../../../files/types.js'
import type { Store } from '../../../store/store.js'
import { type AuditEntry, type AuditLogger, auditOn } from '../../audit.js'
import { GatewayError } from '../../errors.js'
import { publishUploadEvent, type UploadEvent } from '../../upload-events.js'
import type { UploadChecksum } from './protocol.js'
import { type UploadLock, type UploadRecord, UploadState } from './state.js'

/** How long a termination waits for a running PATCH to let go of the upload's lock. */
const TERMINATE_WAIT_MS = 5000
const LOCK_POLL_MS = 50

/**
 * What an identity says beyond its credentials (user, principal and whatever else it carries, such
 * as groups), kept with the upload so the expiry sweep acts as the same person, under the same rules.
 */
function personOf(who: Identity): Record<string, unknown> {
  const { password: _password, key: _key, ...rest } = who
  return rest
}

/** Settings and dependencies of the upload service. */
export interface UploadServiceOptions {
  files: FileService
  store: Store
  /** The key stored credentials are sealed under (GatewayConfig.sessionKey). */
  sessionKey: Buffer
  maxBytes: number
  expiryMs: number
  /** Where audit lines of work no request asked for (expiry found by the sweep) go. */
  log: AuditLogger & { warn(obj: object, msg: string): void }
}

/** What a creation asks for. */
export interface CreateRequest {
  who: Identity
  path: string
  length: number
  metadata: string
  ifMatch?: string | undefined
  ifNoneMatch?: string | undefined
}

/** Where an upload stands (HEAD, and the answer to a PATCH). */
export interface UploadStatus {
  offset: number
  length: number
  metadata: string
  /** Undefined once complete (nothing expires any more). */
  expiresAt: number | undefined
}

/** A PATCH: body, where the client says it starts, and its checksum if it sent one. */
export interface PatchRequest {
  who: Identity
  id: string
  offset: number
  body: Readable
  /** Content-Length when the client declared one (checked against Upload-Length first). */
  declared: number | undefined
  checksum: UploadChecksum | undefined
  /** The audit line's logger (the request's, so it carries the request id). */
  log: AuditLogger
}

/** The upload service. */
export class UploadService {
  readonly state: UploadState
  readonly #o: UploadServiceOptions

  constructor(options: UploadServiceOptions) {
    this.#o = options
    this.state = new UploadState(options.store, options.sessionKey)
  }

  get maxBytes(): number {
    return this.#o.maxBytes
  }

  /** Checks the destination like a PUT would, creates the temporary file and records the upload. */
  async create(req: CreateRequest, log: AuditLogger): Promise<UploadRecord> {
    if (req.length > this.#o.maxBytes)
      throw new GatewayError(
        'GW_ERR_UPLOAD_TOO_LARGE',
        `Upload-Length is over the limit of ${this.#o.maxBytes} bytes`,
      )
    const partial = await this.#o.files.beginPartial(req.who, req.path, {
      ifMatch: req.ifMatch,
      ifNoneMatch: req.ifNoneMatch,
    })
    const id = this.state.newId()
    const now = Date.now()
    const record: UploadRecord = {
      id,
      principal: req.who.principal,
      user: req.who.user,
      person: personOf(req.who),
      sealed: this.state.sealPassword(id, req.who.password),
      partial,
      length: req.length,
      metadata: req.metadata,
      ifMatch: req.ifMatch,
      ifNoneMatch: req.ifNoneMatch,
      createdAt: now,
      expiresAt: now + this.#o.expiryMs,
    }
    try {
      await this.state.put(record)
    } catch (err) {
      await this.#o.files.abortPartial(req.who, partial).catch(() => undefined)
      throw err
    }
    this.#event({ kind: 'created' })
    this.#audit(log, record, 'upload-create', req.who, { outcome: 'success' })
    // An empty upload is complete as soon as it exists.
    if (req.length === 0) await this.#complete(record, req.who, log)
    return record
  }

  /** Where the upload stands: SIZE of its temporary file (or the rewound offset), or done. */
  async status(who: Identity, id: string, log: AuditLogger = this.#o.log): Promise<UploadStatus> {
    const record = await this.#find(who, id)
    if (record === undefined) {
      const done = await this.#findDone(who, id)
      return { offset: done.length, length: done.length, metadata: '', expiresAt: undefined }
    }
    const offset = record.rewindTo ?? (await this.#size(who, record))
    if (offset === record.length) {
      // Every byte is there but the file was not put in place (the last PATCH failed at the rename):
      // a client told "complete" would stop here, so the rename happens now. When a PATCH holds
      // the lock it is that PATCH's own last step, already under way.
      const lock = await this.state.lock(record.id)
      if (lock !== undefined) {
        try {
          const current = await this.state.get(record.id)
          if (current !== undefined) await this.#complete(current, who, log)
        } finally {
          await lock.release()
        }
      }
      return { offset, length: record.length, metadata: record.metadata, expiresAt: undefined }
    }
    return { offset, length: record.length, metadata: record.metadata, expiresAt: record.expiresAt }
  }

  /** Appends one PATCH body under the upload's lock; completes the upload on its last byte. */
  async patch(req: PatchRequest): Promise<UploadStatus> {
    const record = await this.#find(req.who, req.id)
    if (record === undefined) {
      const done = await this.#findDone(req.who, req.id)
      // A retried last PATCH whose answer was lost: already done, nothing to write.
      if (req.offset === done.length && (req.declared ?? 0) === 0)
        return { offset: done.length, length: done.length, metadata: '', expiresAt: undefined }
      throw new GatewayError('GW_ERR_UPLOAD_OFFSET', `The upload is complete at ${done.length} bytes`)
    }
    if (req.offset > record.length)
      throw new GatewayError(
        'GW_ERR_UPLOAD_OFFSET',
        `Upload-Offset ${req.offset} is past Upload-Length ${record.length}`,
      )
    if (req.declared !== undefined && req.offset + req.declared > record.length)
      throw new GatewayError(
        'GW_ERR_UPLOAD_TOO_LARGE',
        `The body would run past Upload-Length ${record.length}`,
      )
    if (record.rewindTo !== undefined && req.offset !== record.rewindTo)
      throw new GatewayError(
        'GW_ERR_UPLOAD_OFFSET',
        `Upload-Offset ${req.offset} does not match ${record.rewindTo}`,
      )
    const lock = await this.#lock(record.id)
    try {
      // Read again under the lock: the PATCH that held it may have moved the upload on.
      const current = await this.state.get(record.id)
      if (current === undefined) throw new GatewayError('GW_ERR_UPLOAD_NOT_FOUND', 'No such upload')
      return await this.#append(current, req)
    } finally {
      await lock.release()
    }
  }

  /** Termination (DELETE): the partial file and the record go. */
  async terminate(who: Identity, id: string, log: AuditLogger): Promise<void> {
    const record = await this.#find(who, id)
    if (record === undefined) {
      await this.#findDone(who, id)
      throw new GatewayError('GW_ERR_UPLOAD_OFFSET', 'The upload is complete; delete the file instead')
    }
    // A client that cancels aborts its PATCH and terminates at once: give the instance serving that
    // PATCH a moment to notice and let go of the lock.
    const lock = await this.#lock(id, TERMINATE_WAIT_MS)
    try {
      await this.#o.files.abortPartial(who, record.partial)
      if (await this.state.remove(id)) this.#event({ kind: 'terminated' })
    } finally {
      await lock.release()
    }
    this.#audit(log, record, 'upload-terminate', who, { outcome: 'success' })
  }

  /**
   * Removes every expired upload this instance can lock (another instance may be on it, or a PATCH
   * may have just renewed it: both are left alone). Returns how many this call removed.
   */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0
    for (const record of await this.state.all()) {
      if (record.expiresAt > now) continue
      if (await this.#expire(record, now)) removed++
    }
    return removed
  }

  /**
   * Sweeps for expired uploads on a timer (a quarter of UPLOAD_EXPIRY_MS, between 250 ms and a
   * minute), on every instance: whichever gets an upload's lock first removes it. Returns the stop.
   */
  startSweeping(): () => void {
    const every = Math.min(60_000, Math.max(250, Math.floor(this.#o.expiryMs / 4)))
    let running = false
    const timer = setInterval(() => {
      if (running) return
      running = true
      this.sweep()
        .catch((err: unknown) =>
          this.#o.log.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'upload expiry sweep failed',
          ),
        )
        .finally(() => {
          running = false
        })
    }, every)
    timer.unref()
    return () => clearInterval(timer)
  }

  // --- internals ---

  async #append(record: UploadRecord, req: PatchRequest): Promise<UploadStatus> {
    const files = this.#o.files
    // A resumption is a PATCH the upload went on with: one refused for its offset (the client asked
    // while the cut instance was still writing) is not one, the client's next try is.
    const resuming = record.interrupted === true
    const hash = req.checksum ? createHash(req.checksum.algorithm) : undefined
    const sizeBefore = record.rewindTo === undefined ? undefined : await this.#size(req.who, record)
    let written: number
    // Bytes received are counted as they go to the FTP server, also those of a PATCH cut short.
    let counted = 0
    const onChunk = (chunk: Buffer) => {
      hash?.update(chunk)
      counted += chunk.length
    }
    try {
      written = await files.appendPartial(req.who, record.partial, req.offset, req.body, {
        maxBytes: record.length - req.offset,
        rewrite: record.rewindTo !== undefined,
        onChunk,
      })
    } catch (err) {
      if (counted > 0) this.#event({ kind: 'bytes', bytes: counted })
      if (resuming && counted > 0) this.#event({ kind: 'resumed' })
      if (isConflict(err, 'offset-mismatch'))
        throw new GatewayError('GW_ERR_UPLOAD_OFFSET', (err as FileError).message)
      if (isFileError(err, 'FILE_ERR_NOT_FOUND')) await this.#lost(record, req.who)
      const expiresAt = Date.now() + this.#o.expiryMs
      if (isFileError(err, 'FILE_ERR_BAD_REQUEST')) {
        // A body that ran past Upload-Length (sent without Content-Length): what it wrote does not
        // count, as with a checksum mismatch; the next PATCH writes over it.
        await this.state.put({ ...record, rewindTo: record.rewindTo ?? req.offset, expiresAt })
        throw new GatewayError('GW_ERR_UPLOAD_TOO_LARGE', `The body runs past Upload-Length ${record.length}`)
      }
      // Whatever reached the server stays: the client asks (HEAD) where to go on from.
      await this.state.put({ ...record, interrupted: true, expiresAt }).catch(() => undefined)
      throw err
    }
    this.#event({ kind: 'bytes', bytes: counted })
    if (resuming) this.#event({ kind: 'resumed' })
    const next = req.offset + written
    if (hash && req.checksum && hash.digest('base64') !== req.checksum.base64) {
      // The bytes are on the server but not part of the upload: the next PATCH writes over them.
      await this.state.put({
        ...record,
        rewindTo: req.offset,
        interrupted: false,
        expiresAt: Date.now() + this.#o.expiryMs,
      })
      throw new GatewayError(
        'GW_ERR_CHECKSUM_MISMATCH',
        `The body does not match its ${req.checksum.algorithm} checksum`,
      )
    }
    let rewindTo: number | undefined
    if (sizeBefore !== undefined && next < sizeBefore) rewindTo = next
    const updated: UploadRecord = {
      ...record,
      rewindTo,
      interrupted: false,
      expiresAt: Date.now() + this.#o.expiryMs,
    }
    if (next === record.length) {
      await this.#complete(updated, req.who, req.log)
      return { offset: next, length: record.length, metadata: record.metadata, expiresAt: undefined }
    }
    await this.state.put(updated)
    return { offset: next, length: record.length, metadata: record.metadata, expiresAt: updated.expiresAt }
  }

  /** The last byte arrived: put the file in place, remember it is done, forget the upload. */
  async #complete(record: UploadRecord, who: Identity, log: AuditLogger): Promise<void> {
    try {
      await this.#o.files.commitPartial(who, record.partial, {
        ifMatch: record.ifMatch,
        ifNoneMatch: record.ifNoneMatch,
      })
    } catch (err) {
      // The destination changed so that the creation's preconditions fail now: the upload is over.
      if (isFileError(err, 'FILE_ERR_EXISTS') || isFileError(err, 'FILE_ERR_PRECONDITION')) {
        await this.#o.files.abortPartial(who, record.partial).catch(() => undefined)
        if (await this.state.remove(record.id)) this.#event({ kind: 'terminated' })
        this.#audit(log, record, 'upload-complete', who, { outcome: 'failure', code: err.code })
      }
      throw err
    }
    await this.state.markDone(
      record.id,
      { principal: record.principal, user: record.user, length: record.length },
      this.#o.expiryMs,
    )
    if (await this.state.remove(record.id)) this.#event({ kind: 'completed' })
    this.#audit(log, record, 'upload-complete', who, { outcome: 'success', size: record.length })
  }

  /** Expires one upload if it can take its lock and it is still expired; true when it did. */
  async #expire(record: UploadRecord, now: number): Promise<boolean> {
    const lock = await this.state.lock(record.id)
    if (lock === undefined) return false
    try {
      const current = await this.state.get(record.id)
      if (current === undefined || current.expiresAt > now) return false
      const who = this.state.identityOf(current)
      if (who) {
        await this.#o.files
          .abortPartial(who, current.partial)
          .catch((err: unknown) =>
            this.#o.log.warn(
              { uploadId: current.id, err: err instanceof Error ? err.message : String(err) },
              'expired upload: partial file not removed',
            ),
          )
      } else
        this.#o.log.warn(
          { uploadId: current.id },
          'expired upload: credentials unreadable (SESSION_SECRET changed?), partial file left',
        )
      if (!(await this.state.remove(current.id))) return false
      this.#event({ kind: 'expired' })
      this.#audit(this.#o.log, current, 'upload-expire', who, { outcome: 'success' })
      return true
    } finally {
      await lock.release()
    }
  }

  /** The caller's unfinished upload; an expired one is removed now (410), someone else's is 404. */
  async #find(who: Identity, id: string): Promise<UploadRecord | undefined> {
    const record = await this.state.get(id)
    if (record === undefined) return undefined
    if (record.principal !== who.principal || record.user !== who.user)
      throw new GatewayError('GW_ERR_UPLOAD_NOT_FOUND', 'No such upload')
    if (record.expiresAt <= Date.now()) {
      await this.#expire(record, Date.now())
      throw new GatewayError('GW_ERR_UPLOAD_EXPIRED', 'The upload has expired and was removed')
    }
    return record
  }

  /** The caller's completed upload, or 404. */
  async #findDone(who: Identity, id: string): Promise<{ length: number }> {
    const done = await this.state.getDone(id)
    if (done === undefined || done.principal !== who.principal || done.user !== who.user)
      throw new GatewayError('GW_ERR_UPLOAD_NOT_FOUND', 'No such upload')
    return done
  }

  async #size(who: Identity, record: UploadRecord): Promise<number> {
    try {
      return await this.#o.files.partialSize(who, record.partial)
    } catch (err) {
      if (isFileError(err, 'FILE_ERR_NOT_FOUND')) await this.#lost(record, who)
      throw err
    }
  }

  /** The temporary file went away behind the gateway's back: the upload cannot go on. */
  async #lost(record: UploadRecord, who: Identity): Promise<never> {
    if (await this.state.remove(record.id)) this.#event({ kind: 'terminated' })
    this.#o.log.warn({ uploadId: record.id, user: who.principal }, 'upload lost: its partial file is gone')
    throw new GatewayError(
      'GW_ERR_UPLOAD_NOT_FOUND',
      'The upload is gone: its partial file was removed on the FTP server',
    )
  }

  async #lock(id: string, waitMs = 0): Promise<UploadLock> {
    const until = Date.now() + waitMs
    let lock = await this.state.lock(id)
    while (lock === undefined && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS))
      lock = await this.state.lock(id)
    }
    if (lock === undefined)
      throw new GatewayError(
        'GW_ERR_UPLOAD_LOCKED',
        'Another request is writing to this upload; retry later',
        { 'retry-after': '1' },
      )
    return lock
  }

  #event(event: UploadEvent): void {
    publishUploadEvent(this.#o.store, event)
  }

  #audit(
    log: AuditLogger,
    record: UploadRecord,
    action: AuditEntry['action'],
    who: Identity | undefined,
    rest: Pick<AuditEntry, 'outcome' | 'code' | 'size'>,
  ): void {
    auditOn(log, {
      action,
      path: `/${record.partial.path}`,
      who: who ?? { user: record.user, principal: record.principal },
      ...rest,
    })
  }
}
