import path from 'node:path/posix'
import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { ControlConnection } from './control-connection.js'
import type { DataChannelContext } from './data-connection.js'
import { FtpError } from './errors.js'
import { emptyFeatures, type FtpFeatures, parseFeatures } from './features.js'
import type { FileInfo } from './file-info.js'
import { formatMlsxTime, ListingReader, parseMlsxLine, parseMlsxTime } from './listing/index.js'
import { login, parseQuotedPath } from './login.js'
import { type FtpSessionOptions, resolveSessionOptions } from './options.js'
import { errorFromReply } from './reply-errors.js'
import type { FtpReply } from './reply-parser.js'
import { Reply, replyClass } from './status.js'
import {
  RetrievalStream,
  type RetrieveOptions,
  type StoreOptions,
  type StoreResult,
  store,
  type TransferHost,
} from './transfer.js'

let nextSessionId = 1

/** Options of a download. */
export interface DownloadOptions {
  /** First byte (REST). */
  offset?: number | undefined
  /** Bytes at most (RANG where advertised, else the transfer is stopped and the session resynchronised). */
  length?: number | undefined
  /** The file's size from a stat just before: a transfer that delivers less is an error, not a short 200. */
  expectedSize?: number | undefined
  /**
   * What the body fails with instead of the engine's FtpError: a layer above passes its own
   * translation, so the engine's stream can be handed on as is (an extra stream stage would cost
   * a copy per chunk and end read-buffer sharing). Default: the FtpError itself.
   */
  errorFor?: ((err: Error) => Error) | undefined
}

/** A checksum the server computed. */
export interface RemoteChecksum {
  algorithm: string
  /** Lowercase hex. */
  value: string
}

/**
 * One logged-in FTP session: a control connection plus the commands the gateway needs. Commands
 * run one at a time (FTP allows nothing else); a transfer holds the session until its stream is
 * finished and the control connection is back in step. Paths are absolute server paths.
 */
export class FtpSession implements TransferHost {
  readonly id: number
  readonly features: FtpFeatures
  /** The directory the server put us in after login (PWD). */
  readonly home: string
  readonly createdAt = Date.now()
  readonly ctx: DataChannelContext
  readonly #opts: FtpSessionOptions
  readonly #control: ControlConnection
  #tail: Promise<unknown> = Promise.resolve()
  #busy = false
  #broken: FtpError | undefined
  #lastUsedAt = Date.now()
  #keepalive: NodeJS.Timeout | undefined
  #unixList: boolean | undefined

  private constructor(
    opts: FtpSessionOptions,
    control: ControlConnection,
    features: FtpFeatures,
    home: string,
    id: number,
    protectData: boolean,
  ) {
    this.id = id
    this.#opts = opts
    this.#control = control
    this.features = features
    this.home = home
    this.ctx = {
      control,
      state: { mode: opts.dataMode, epsvFailed: false, eprtFailed: false, fellBackToActive: false },
      protectData,
      activeAddress: opts.activeAddress,
      activePorts: opts.activePorts,
      readBufferBytes: opts.readBufferBytes,
      memoryTuning: opts.memoryTuning,
      logger: opts.logger,
      sessionId: id,
      upstream: opts.label ?? `${opts.host}:${opts.port}`,
    }
    if (opts.keepaliveMs > 0) {
      this.#keepalive = setInterval(() => this.#keepaliveTick(), Math.max(1000, opts.keepaliveMs / 2))
      this.#keepalive.unref()
    }
  }

  /**
   * Connects, secures (explicit or implicit TLS; a refused AUTH TLS fails the login, never a
   * silent fall back to clear text), logs in, reads FEAT, and sets binary mode and UTF-8.
   */
  static async connect(
    options: Partial<FtpSessionOptions> & Pick<FtpSessionOptions, 'host' | 'user' | 'password'>,
  ): Promise<FtpSession> {
    const opts = resolveSessionOptions(options)
    const id = nextSessionId++
    const tlsOptions = {
      ca: opts.tlsCa,
      rejectUnauthorized: !opts.tlsInsecure,
      minVersion: opts.tlsMinVersion,
      maxVersion: opts.tlsMaxVersion,
    }
    const { conn } = await ControlConnection.open({
      host: opts.host,
      port: opts.port,
      secure: opts.secure,
      tls: Object.fromEntries(Object.entries(tlsOptions).filter(([, v]) => v !== undefined)),
      timeoutMs: opts.timeoutMs,
      encoding: opts.encoding,
      maxReplyBytes: opts.maxReplyBytes,
      logger: opts.logger,
      sessionId: id,
      label: opts.label,
    })
    try {
      if (opts.secure === 'explicit') {
        const reply = await conn.request('AUTH', 'TLS')
        if (reply.code !== Reply.AuthOk) {
          throw new FtpError(
            'tls',
            `Server refused AUTH TLS (${reply.code}); not falling back to clear text`,
            { replyCode: reply.code },
          )
        }
        await conn.upgradeToTls()
      }
      await login(conn, opts.user, opts.password)
      let protectData = false
      if (opts.secure !== 'none') {
        const pbsz = await conn.request('PBSZ', '0')
        if (replyClass(pbsz.code) !== 2) throw errorFromReply(pbsz, 'PBSZ')
        const prot = await conn.request('PROT', 'P')
        if (replyClass(prot.code) !== 2)
          throw new FtpError('tls', `Server refused PROT P (${prot.code})`, { replyCode: prot.code })
        protectData = true
      }
      const featReply = await conn.request('FEAT')
      const features = replyClass(featReply.code) === 2 ? parseFeatures(featReply) : emptyFeatures()
      if (features.utf8 && opts.encoding === 'utf8') await conn.request('OPTS', 'UTF8 ON')
      const type = await conn.request('TYPE', 'I')
      if (replyClass(type.code) !== 2) throw errorFromReply(type, 'TYPE I')
      const pwd = await conn.request('PWD')
      const home = pwd.code === Reply.PathCreated ? (parseQuotedPath(pwd.text) ?? '/') : '/'
      return new FtpSession(opts, conn, features, home, id, protectData)
    } catch (err) {
      conn.destroy()
      throw err
    }
  }

  /** False once the session must not be reused: the connection failed, or a transfer left it out of step. */
  get usable(): boolean {
    return !this.#broken && !this.#control.failure
  }

  /** Why the session is unusable, if it is. */
  get failure(): FtpError | undefined {
    return this.#broken ?? this.#control.failure
  }

  /** A command or transfer is running. */
  get busy(): boolean {
    return this.#busy
  }

  get lastUsedAt(): number {
    return this.#lastUsedAt
  }

  get timeoutMs(): number {
    return this.#opts.timeoutMs
  }

  /** Marks the session unusable and closes its connection. */
  markBroken(err: FtpError): void {
    this.#broken ??= err
    this.#control.destroy(err)
  }

  /** NOOP round trip; rejects when the session is dead. */
  check(): Promise<void> {
    return this.#run(async () => {
      const reply = await this.#control.request('NOOP')
      if (replyClass(reply.code) !== 2) throw errorFromReply(reply, 'NOOP')
    })
  }

  /** QUIT after any running operation, bounded in time; never rejects. */
  async close(): Promise<void> {
    clearInterval(this.#keepalive)
    const graceful = this.#tail.then(() => this.#control.quit())
    let timer: NodeJS.Timeout | undefined
    await Promise.race([graceful, new Promise((r) => (timer = setTimeout(r, this.#opts.timeoutMs)))])
    clearTimeout(timer)
    this.#control.destroy()
  }

  /** Closes the connection at once. */
  destroy(): void {
    clearInterval(this.#keepalive)
    this.#control.destroy()
  }

  /** Lists a directory: MLSD where offered, else CWD + LIST parsed as Unix or DOS lines. */
  list(dir: string): Promise<FileInfo[]> {
    return this.#run(async () => {
      if (this.features.mlst) return this.#readListing({ verb: 'MLSD', arg: dir }, 'mlsd')
      // LIST takes options and globs on many servers (vsftpd), so never pass it a path.
      await this.#cwd(dir)
      if (this.#unixList === undefined) {
        const syst = await this.#control.request('SYST')
        this.#unixList = syst.code === 215 && /UNIX/i.test(syst.text)
      }
      return this.#readListing({ verb: 'LIST', arg: this.#unixList ? '-a' : undefined }, 'list')
    })
  }

  /** Metadata of one path: MLST, else SIZE/MDTM (and CWD for directories), else the parent's listing. */
  stat(target: string): Promise<FileInfo> {
    const name = path.basename(target) || '/'
    if (target === '/' || target === '') return Promise.resolve({ name: '/', type: 'dir' })
    return this.#run(async () => {
      if (this.features.mlst) {
        const reply = await this.#control.request('MLST', target)
        if (replyClass(reply.code) !== 2) throw errorFromReply(reply, 'MLST')
        const factsLine = reply.lines.find((l, i) => i > 0 && l.startsWith(' '))
        const info = factsLine ? parseMlsxLine(factsLine.slice(1)) : undefined
        if (!info) throw new FtpError('protocol', 'MLST reply without facts', { replyCode: reply.code })
        return { ...info, name }
      }
      if (this.features.size) {
        const size = await this.#control.request('SIZE', target)
        if (size.code === Reply.FileStatus) {
          const info: FileInfo = { name, type: 'file', size: Number(size.text.trim()) }
          if (this.features.mdtm) {
            const mdtm = await this.#control.request('MDTM', target)
            if (mdtm.code === Reply.FileStatus) {
              const modified = parseMlsxTime(mdtm.text.trim())
              if (modified) info.modified = modified
            }
          }
          return info
        }
      }
      const cwd = await this.#control.request('CWD', target)
      if (replyClass(cwd.code) === 2) return { name, type: 'dir' as const }
      // Neither a readable file nor an enterable directory: the parent's listing decides.
      const parent = path.dirname(target)
      let entries: FileInfo[]
      try {
        await this.#cwd(parent)
        entries = await this.#readListing({ verb: 'LIST' }, 'list')
      } catch {
        throw errorFromReply(cwd, 'CWD')
      }
      const entry = entries.find((e) => e.name === name)
      if (!entry) throw new FtpError('not-found', `No such file or directory`, { replyCode: cwd.code })
      return entry
    })
  }

  /** Size of a file in bytes (SIZE). */
  size(file: string): Promise<number> {
    return this.#simple('SIZE', file, [Reply.FileStatus]).then((r) => Number(r.text.trim()))
  }

  mkdir(dir: string): Promise<void> {
    return this.#simple('MKD', dir, [Reply.PathCreated, Reply.FileActionOk]).then(() => undefined)
  }

  rmdir(dir: string): Promise<void> {
    return this.#simple('RMD', dir, [Reply.FileActionOk]).then(() => undefined)
  }

  delete(file: string): Promise<void> {
    return this.#simple('DELE', file, [Reply.FileActionOk]).then(() => undefined)
  }

  /** RNFR/RNTO. Whether an existing target is replaced depends on the server; callers check first. */
  rename(from: string, to: string): Promise<void> {
    return this.#run(async () => {
      const rnfr = await this.#control.request('RNFR', from)
      if (rnfr.code !== Reply.PendingFurtherInfo) throw errorFromReply(rnfr, 'RNFR')
      const rnto = await this.#control.request('RNTO', to)
      if (replyClass(rnto.code) !== 2) throw errorFromReply(rnto, 'RNTO')
    })
  }

  /** Sets the modification time: MFMT, else SITE UTIME; never vsftpd's MDTM write, which takes file names for times. */
  setModified(file: string, time: Date): Promise<void> {
    const stamp = formatMlsxTime(time)
    return this.#run(async () => {
      if (this.features.mfmt) {
        const reply = await this.#control.request('MFMT', `${stamp} ${file}`)
        if (replyClass(reply.code) !== 2) throw errorFromReply(reply, 'MFMT')
        return
      }
      if (this.features.siteUtime) {
        const short = await this.#control.request('SITE', `UTIME ${stamp} ${file}`)
        if (replyClass(short.code) === 2) return
        const long = await this.#control.request('SITE', `UTIME ${file} ${stamp} ${stamp} ${stamp} UTC`)
        if (replyClass(long.code) === 2) return
        throw errorFromReply(long, 'SITE UTIME')
      }
      throw new FtpError('unsupported', 'Server offers no way to set modification times (MFMT, SITE UTIME)')
    })
  }

  /** A checksum computed by the server (HASH, else XSHA256/XSHA1/XMD5/XCRC), when it offers one. */
  checksum(file: string, preferred?: string): Promise<RemoteChecksum> {
    return this.#run(async () => {
      const f = this.features
      if (f.hashAlgorithms.length > 0) {
        const want = preferred?.toUpperCase()
        let algorithm = f.selectedHash ?? f.hashAlgorithms[0]!
        if (want && want !== algorithm && f.hashAlgorithms.includes(want)) {
          const opts = await this.#control.request('OPTS', `HASH ${want}`)
          if (replyClass(opts.code) === 2) algorithm = want
        }
        const reply = await this.#control.request('HASH', file)
        if (reply.code !== Reply.FileStatus) throw errorFromReply(reply, 'HASH')
        const parts = reply.text.trim().split(/\s+/)
        return { algorithm, value: (parts[2] ?? '').toLowerCase() }
      }
      const order = ['XSHA256', 'XSHA1', 'XMD5', 'XCRC']
      const verb = order.find((v) => f.xhash.includes(v))
      if (!verb) throw new FtpError('unsupported', 'Server offers no checksum command')
      const reply = await this.#control.request(verb, file)
      if (replyClass(reply.code) !== 2) throw errorFromReply(reply, verb)
      const hex = /\b([0-9a-fA-F]{8,128})\b/.exec(reply.text)
      if (!hex) throw new FtpError('protocol', `${verb} reply without a checksum`)
      const names: Record<string, string> = { XSHA256: 'SHA-256', XSHA1: 'SHA-1', XMD5: 'MD5', XCRC: 'CRC32' }
      return { algorithm: names[verb]!, value: hex[1]!.toLowerCase() }
    })
  }

  /**
   * Starts a download. Resolves once the server accepted RETR (so a 550 becomes an error before any
   * HTTP header is written) with a stream that ends only on a complete, verified transfer.
   * Destroying the stream stops the transfer and resynchronises (or discards) the session.
   */
  download(file: string, opts: DownloadOptions = {}): Promise<Readable> {
    return this.#runTransfer({ verb: 'RETR', arg: file, ...opts })
  }

  /** Streams `source` to the server (STOR, or APPE with `append`); resolves on the server's 2xx. */
  upload(file: string, source: Readable, opts: StoreOptions = {}): Promise<StoreResult> {
    return this.#run(() => store(this, file, source, opts))
  }

  #runTransfer(opts: RetrieveOptions): Promise<RetrievalStream> {
    return new Promise((resolve, reject) => {
      this.#run(async () => {
        const stream = new RetrievalStream(this, opts)
        try {
          await stream.start()
        } catch (err) {
          reject(err)
          return
        }
        resolve(stream)
        // The session stays busy until the stream is finished and the connection is in step.
        await stream.settled
      }).catch(reject)
    })
  }

  async #readListing(opts: RetrieveOptions, kind: 'mlsd' | 'list'): Promise<FileInfo[]> {
    const stream = new RetrievalStream(this, opts)
    await stream.start()
    const decoder = new StringDecoder(this.#opts.encoding)
    // Keeps names with line breaks from turning into entries that do not exist (listing/reader.ts).
    const reader = new ListingReader(kind, { timeZoneOffsetMinutes: this.#opts.timeZoneOffsetMinutes })
    let entries: FileInfo[]
    try {
      for await (const chunk of stream) {
        if (stream.bytesReceived > this.#opts.maxListingBytes) {
          throw new FtpError('protocol', `Listing exceeds ${this.#opts.maxListingBytes} bytes`)
        }
        reader.push(decoder.write(chunk as Buffer))
      }
      reader.push(decoder.end())
      entries = reader.end()
    } catch (err) {
      stream.destroy()
      await stream.settled
      throw err
    }
    await stream.settled
    const { unsafe, ambiguous } = reader.drops
    if (unsafe + ambiguous > 0)
      this.#opts.logger?.warn?.(
        { verb: opts.verb, unsafe, ambiguous },
        'listing entries left out: names with control characters or line breaks cannot be addressed',
      )
    return entries
  }

  async #cwd(dir: string): Promise<void> {
    const reply = await this.#control.request('CWD', dir)
    if (replyClass(reply.code) !== 2) throw errorFromReply(reply, 'CWD')
  }

  #simple(verb: string, arg: string, ok: number[]): Promise<FtpReply> {
    return this.#run(async () => {
      const reply = await this.#control.request(verb, arg)
      if (!ok.includes(reply.code)) throw errorFromReply(reply, verb)
      return reply
    })
  }

  /** Runs operations one after another; an unusable session refuses new ones. */
  #run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(async () => {
      const failure = this.failure
      if (failure) throw failure
      this.#busy = true
      try {
        return await fn()
      } finally {
        this.#busy = false
        this.#lastUsedAt = Date.now()
      }
    })
    this.#tail = result.catch(() => undefined)
    return result
  }

  #keepaliveTick(): void {
    if (this.#busy || !this.usable || Date.now() - this.#lastUsedAt < this.#opts.keepaliveMs) return
    this.check().catch((err) =>
      this.markBroken(err instanceof FtpError ? err : new FtpError('connection', String(err))),
    )
  }
}
