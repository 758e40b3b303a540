import net from 'node:net'
import { Readable } from 'node:stream'
import { type DataChannel, type DataChannelContext, openDataChannel } from './data-connection.js'
import { startTransferTimer, type TransferTimer } from './diagnostics.js'
import { FtpError } from './errors.js'
import type { FtpFeatures } from './features.js'
import { ChunkReleaser } from './memory/index.js'
import { errorFromReply } from './reply-errors.js'
import type { FtpReply } from './reply-parser.js'
import { Reply, replyClass } from './status.js'

/** What a transfer needs from its session. */
export interface TransferHost {
  readonly ctx: DataChannelContext
  readonly features: FtpFeatures
  readonly timeoutMs: number
  /** Marks the session unusable: its state is uncertain and it must not be reused. */
  markBroken(err: FtpError): void
}

/** Options of a retrieval (RETR, or a listing command). */
export interface RetrieveOptions {
  /** The command: RETR for files, MLSD/LIST/NLST for listings. */
  verb: 'RETR' | 'MLSD' | 'LIST' | 'NLST'
  arg?: string | undefined
  /** First byte to read (REST). */
  offset?: number | undefined
  /** Bytes to read at most; the transfer is stopped there (RANG, else abort and resync). */
  length?: number | undefined
  /** The file's full size when known: the transfer must deliver exactly what it implies. */
  expectedSize?: number | undefined
  /** Turns the error the stream is destroyed with into the one its reader sees (session.ts DownloadOptions). */
  errorFor?: ((err: Error) => Error) | undefined
}

/** Sentinel whose 257 reply cannot be confused with any transfer or ABOR reply. */
const SENTINEL_VERB = 'PWD'

/**
 * Gets the control connection back in step after a transfer was abandoned: closes nothing itself
 * (the caller closed the data socket), sends ABOR and a PWD sentinel, and reads every reply until
 * the sentinel's 257. Servers answer an abandoned transfer in many ways (426+226, 226+225, 225 only,
 * Pure-FTPd's transfer statistics as a 150); reading to the sentinel consumes them all. `pending` is
 * a read already waiting for the transfer's own completion reply. The sentinel goes out only once
 * that reply is in: Pure-FTPd, while still inside its download loop, reads the control connection
 * in one gulp, answers the ABOR and drops whatever came with it, so a PWD sent right behind the
 * ABOR was never answered and the session timed out. Gives up (marks the session broken) on timeout.
 */
export async function resynchronize(
  host: TransferHost,
  pending: Promise<FtpReply> | undefined,
  restPending: boolean,
): Promise<void> {
  const control = host.ctx.control
  if (control.failure) return
  try {
    control.send('ABOR')
    if (pending)
      await withTimeout(
        pending.catch(() => undefined),
        host.timeoutMs,
      )
    if (restPending) control.send('REST', '0')
    control.send(SENTINEL_VERB)
    const deadline = Date.now() + host.timeoutMs
    for (;;) {
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new FtpError('timeout', 'Resynchronisation timed out')
      const reply = await control.read(remaining)
      if (reply.code === Reply.PathCreated) return
    }
  } catch (err) {
    host.markBroken(err instanceof FtpError ? err : new FtpError('protocol', String(err)))
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FtpError('timeout', `No reply within ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

/**
 * A running retrieval. Ends (pushes EOF) only after the data connection reached EOF *and* the
 * server's 2xx completion reply arrived, in either order, and the byte count matches what was
 * expected; fails on 426/451, a short count, a timeout or a lost connection. `settled` resolves once
 * the session is reusable again (or marked broken), which is when the session takes its next command.
 */
export class RetrievalStream extends Readable {
  readonly #host: TransferHost
  readonly #opts: RetrieveOptions
  #channel: DataChannel | undefined
  #socket: net.Socket | undefined
  #completionRead: Promise<FtpReply> | undefined
  #completion: FtpReply | undefined
  #dataEnded = false
  #received = 0
  #limit: number | undefined
  #expected: number | undefined
  #usesRang = false
  #paused = false
  #started = false
  #earlyFailure: FtpError | undefined
  #finished = false
  #replyTimer: NodeJS.Timeout | undefined
  #sink: { readonly writableLength: number } | undefined
  #pipes = 0
  #settle!: () => void
  // Published on the transfer channel when the stream ends, however it ends (diagnostics.ts).
  #timer: TransferTimer | undefined
  /** Resolves when the session behind this transfer can take its next command. */
  readonly settled: Promise<void>

  constructor(host: TransferHost, opts: RetrieveOptions) {
    // What a transfer buffers ahead of a slow client; reads fill the lender's buffers regardless,
    // so a larger mark only pins more memory per slow download (docs/performance.md).
    super({ highWaterMark: 256 * 1024 })
    this.#host = host
    this.#opts = opts
    this.settled = new Promise((resolve) => {
      this.#settle = resolve
    })
    const offset = opts.offset ?? 0
    if (opts.expectedSize !== undefined) {
      const remaining = Math.max(0, opts.expectedSize - offset)
      this.#expected = opts.length === undefined ? remaining : Math.min(opts.length, remaining)
      // A range reaching the end of the file ends naturally: no abort needed.
      if (opts.length !== undefined && opts.length < remaining) this.#limit = opts.length
    } else if (opts.length !== undefined) {
      this.#limit = opts.length
    }
  }

  /** Bytes delivered so far. */
  get bytesReceived(): number {
    return this.#received
  }

  /** Opens the data connection and sends the command; rejects (stream unused) when the server refuses. */
  async start(): Promise<void> {
    const control = this.#host.ctx.control
    let restPending = false
    this.#timer = startTransferTimer(this.#opts.verb, this.#host.ctx.sessionId, this.#host.ctx.upstream ?? '')
    try {
      this.#channel = await openDataChannel(this.#host.ctx, (chunk) => this.#onChunk(chunk), {
        // A view of the read buffer goes out only to a lone sink whose writableLength tells when
        // it has written everything out; any other consumer gets copies.
        shareable: () => this.#sink !== undefined && this.listenerCount('data') === 1,
        handedOver: () => this.#received,
        held: () =>
          this.#sink === undefined
            ? Number.POSITIVE_INFINITY
            : this.readableLength + this.#sink.writableLength,
      })
      // Watch the socket from the moment it connects: a server may send all data and close before
      // it answers RETR at all (no 150), and a missed 'end' would hang the transfer.
      this.#channel.socket.then(
        (socket) => this.#watch(socket),
        () => undefined,
      )
      const offset = this.#opts.offset ?? 0
      // ProFTPD refuses at RETR (554) a RANG that runs past EOF, so use it only when the size is
      // known, which is also when #limit is set only for ranges inside the file.
      if (this.#limit !== undefined && this.#host.features.rang && this.#opts.expectedSize !== undefined) {
        const reply = await control.request('RANG', `${offset} ${offset + this.#limit - 1}`)
        if (reply.code === Reply.PendingFurtherInfo) {
          this.#usesRang = true
          restPending = true
        }
      }
      if (!this.#usesRang && offset > 0) {
        const reply = await control.request('REST', String(offset))
        if (reply.code !== Reply.PendingFurtherInfo) throw errorFromReply(reply, 'REST')
        restPending = true
      }
      const reply = await control.request(this.#opts.verb, this.#opts.arg)
      restPending = false
      if (replyClass(reply.code) === 2) {
        // Completion with no preliminary reply: the data may already have ended.
        this.#completion = reply
        clearTimeout(this.#replyTimer)
        this.#maybeFinish()
      } else if (replyClass(reply.code) !== 1) {
        throw errorFromReply(reply, this.#opts.verb)
      } else {
        this.#completionRead = control.read(null)
        this.#completionRead.then(
          (r) => this.#onCompletion(r),
          (err) => this.destroy(err),
        )
      }
      await this.#channel.socket
      this.#started = true
      if (this.#earlyFailure) this.destroy(this.#earlyFailure)
    } catch (err) {
      this.#channel?.destroy()
      this.#finished = true
      this.#timer?.done(this.#received, false)
      clearTimeout(this.#replyTimer)
      await resynchronize(this.#host, this.#completionRead, restPending)
      this.#settle()
      throw err
    }
  }

  #watch(socket: net.Socket): void {
    this.#socket = socket
    socket.setTimeout(this.#host.timeoutMs, () => this.#onDataTimeout())
    socket.on('end', () => this.#onDataEnd())
    socket.on('close', () => this.#onDataEnd())
    socket.on('error', (err) =>
      this.#fail(new FtpError('data', `Data connection: ${err.message}`, { cause: err })),
    )
  }

  /**
   * Fails the transfer. Until start() has its reply the control connection has a reader already,
   * so the failure waits (a second reader would desynchronise it); after the stream finished, a
   * late socket error (a server's RST after a 550 or after our own close) means nothing.
   */
  #fail(err: FtpError): void {
    if (this.#finished || this.destroyed || this.readableEnded) return
    if (!this.#started) {
      this.#earlyFailure ??= err
      return
    }
    this.destroy(err)
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    this.#pipes++
    this.#sink = this.#pipes === 1 && isTerminalSink(destination) ? destination : undefined
    // Unpiped, it no longer reports on what was handed over: stop sharing and recycling.
    if (this.#sink) this.once('unpipe', () => (this.#sink = undefined))
    return super.pipe(destination, options)
  }

  /** Every failure, the engine's own or the reader's, goes through `errorFor` on its way out. */
  override destroy(error?: Error): this {
    const errorFor = this.#opts.errorFor
    return super.destroy(error && errorFor ? errorFor(error) : error)
  }

  override _read(): void {
    if (this.#paused && this.#socket) {
      this.#paused = false
      this.#socket.setTimeout(this.#host.timeoutMs)
      this.#socket.resume()
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#replyTimer)
    // After a clean end the timer already published; otherwise this is an abandoned transfer.
    this.#timer?.done(this.#received, false)
    if (this.#finished) {
      this.#settle()
      callback(err)
      return
    }
    this.#finished = true
    this.#channel?.destroy()
    // Nothing completed: the server is mid-transfer or about to reply; get back in step first.
    const pending = this.#completion ? undefined : this.#completionRead
    resynchronize(this.#host, pending, false).finally(() => {
      this.#settle()
      callback(err)
    })
  }

  #onChunk(chunk: Buffer): boolean {
    if (this.#finished || this.destroyed) return false
    let data = chunk
    if (this.#limit !== undefined && this.#received + data.length >= this.#limit) {
      data = data.subarray(0, this.#limit - this.#received)
      this.#received += data.length
      if (data.length > 0) this.push(data)
      if (this.#usesRang) return true
      // The range is complete: stop the server by closing the data connection, end our stream now,
      // and let _destroy get the session back in step.
      this.#socket?.destroy()
      this.push(null)
      return false
    }
    if (
      this.#expected !== undefined &&
      this.#limit === undefined &&
      this.#received + data.length > this.#expected
    ) {
      // More bytes than SIZE said (the file grew, or a stale cached size): pushing them would let a
      // Content-Length response end cleanly on a prefix of the new file. Fail before this chunk so
      // the client sees a broken body instead.
      this.#fail(new FtpError('data', `Transfer exceeds the expected ${this.#expected} bytes`))
      return false
    }
    this.#received += data.length
    if (this.push(data)) return true
    // Backpressure: stop reading; a slow HTTP reader is not a dead server, so no timeout meanwhile.
    this.#paused = true
    this.#socket?.setTimeout(0)
    return false
  }

  #onDataTimeout(): void {
    this.#fail(new FtpError('timeout', `Data connection idle for ${this.#host.timeoutMs} ms`))
  }

  #onDataEnd(): void {
    if (this.#dataEnded || this.#finished) return
    this.#dataEnded = true
    // Close our half too: some servers send the completion reply only once both sides closed, and
    // sockets read through `onread` do not end themselves.
    this.#socket?.destroy()
    if (this.#limitReached()) return // we closed it ourselves at the end of the range
    if (!this.#completion && !this.destroyed) {
      this.#replyTimer = setTimeout(() => {
        const err = new FtpError('timeout', 'No completion reply after the data connection closed')
        this.#host.markBroken(err)
        this.destroy(err)
      }, this.#host.timeoutMs)
    }
    this.#maybeFinish()
  }

  #onCompletion(reply: FtpReply): void {
    if (replyClass(reply.code) !== 2) {
      if (this.#limitReached()) return // the 426 answers our own stop at the end of the range
      this.destroy(errorFromReply(reply, this.#opts.verb))
      return
    }
    this.#completion = reply
    clearTimeout(this.#replyTimer)
    this.#maybeFinish()
  }

  #limitReached(): boolean {
    return this.#limit !== undefined && this.#received >= this.#limit && !this.#usesRang
  }

  #maybeFinish(): void {
    if (!this.#dataEnded || !this.#completion || this.destroyed) return
    if (this.#limitReached()) return
    this.#finished = true
    if (this.#expected !== undefined && this.#received !== this.#expected) {
      this.destroy(
        new FtpError('data', `Transfer ended after ${this.#received} of ${this.#expected} bytes`, {
          replyCode: this.#completion.code,
        }),
      )
      return
    }
    this.#timer?.done(this.#received, true)
    this.push(null)
  }
}

/**
 * A destination that holds a written chunk only until writableLength says so: a socket, or a plain
 * writer straight onto one (an HTTP response, without this layer knowing HTTP). A Transform or a
 * collecting Writable may keep chunks long after, so they never get shared read buffers.
 */
function isTerminalSink(dest: unknown): dest is NodeJS.WritableStream & { readonly writableLength: number } {
  if (dest instanceof net.Socket) return true
  const d = dest as { writableLength?: unknown; socket?: unknown }
  return !(dest instanceof Readable) && d.socket instanceof net.Socket && typeof d.writableLength === 'number'
}

/** Options of an upload. */
export interface StoreOptions {
  /** APPE instead of STOR. */
  append?: boolean | undefined
  /** Start writing at this offset (REST before STOR). */
  offset?: number | undefined
  /** Sees each chunk before it is sent; throwing fails the upload before that chunk is written. */
  onChunk?: ((chunk: Buffer) => void) | undefined
  /**
   * The source's chunks are nobody else's once read (an HTTP request body): each one's memory is
   * freed as soon as the data connection took it (ftp/memory/chunk-release.ts), and it is left
   * empty. Ignored when the session's `memoryTuning` is off.
   */
  releaseChunks?: boolean | undefined
}

/** Result of a completed upload. */
export interface StoreResult {
  bytes: number
}

/**
 * Streams `source` into STOR/APPE. Resolves only after the server's 2xx completion reply; on a
 * source error (client abort) or a server error, the data connection is closed, the session is
 * resynchronised, and the promise rejects. The source is consumed with backpressure, never buffered.
 * On failure the source is left to the caller, paused and not destroyed: an HTTP request body must
 * stay open so the error response can still be sent.
 */
export async function store(
  host: TransferHost,
  path: string,
  source: Readable,
  opts: StoreOptions = {},
): Promise<StoreResult> {
  const control = host.ctx.control
  let channel: DataChannel | undefined
  let completionRead: Promise<FtpReply> | undefined
  let completion: FtpReply | undefined
  let restPending = false
  let bytes = 0
  const abort = new AbortController()
  const timer = startTransferTimer(opts.append ? 'APPE' : 'STOR', host.ctx.sessionId, host.ctx.upstream ?? '')
  try {
    channel = await openDataChannel(host.ctx)
    if (opts.offset && opts.offset > 0) {
      const reply = await control.request('REST', String(opts.offset))
      if (reply.code !== Reply.PendingFurtherInfo) throw errorFromReply(reply, 'REST')
      restPending = true
    }
    const verb = opts.append ? 'APPE' : 'STOR'
    const reply = await control.request(verb, path)
    restPending = false
    if (replyClass(reply.code) !== 1) throw errorFromReply(reply, verb)
    completionRead = control.read(null)
    let earlyError: FtpError | undefined
    completionRead.then(
      (r) => {
        completion = r
        if (replyClass(r.code) !== 2) {
          earlyError = errorFromReply(r, verb)
          abort.abort(earlyError)
        }
      },
      (err) => {
        earlyError = err
        abort.abort(err)
      },
    )
    const socket = await channel.socket
    // Read (and discard) what the server sends on an upload's data connection: TLS 1.3 session
    // tickets. Closing with them unread makes the kernel send RST, and vsftpd then fails the
    // upload with 426 (vsftpd issue #7).
    socket.resume()
    socket.setTimeout(host.timeoutMs, () => socket.destroy(new FtpError('timeout', 'Data connection idle')))
    // Why: a server that dies mid-upload closes the data connection (FIN), which can surface as a
    // plain socket error (EPIPE, ECONNRESET), much like a client going away. Knowing the server
    // ended it first keeps that an upstream failure (502) rather than a client abort (499).
    let serverClosed = false
    const closedByServer = () => {
      serverClosed = true
    }
    socket.once('end', closedByServer).once('error', closedByServer)
    try {
      const observe = (chunk: Buffer) => {
        opts.onChunk?.(chunk)
        bytes += chunk.length
      }
      await pump(
        source,
        socket,
        abort.signal,
        observe,
        opts.releaseChunks && host.ctx.memoryTuning ? new ChunkReleaser() : undefined,
      )
    } catch (err) {
      if (earlyError) throw earlyError
      if (serverClosed && !(err instanceof FtpError))
        throw new FtpError('data', 'Data connection closed by the server during the upload', { cause: err })
      throw err
    }
    const final = await withTimeout(completionRead, host.timeoutMs)
    if (replyClass(final.code) !== 2) throw errorFromReply(final, verb)
    channel.destroy()
    timer?.done(bytes, true)
    return { bytes }
  } catch (err) {
    timer?.done(bytes, false)
    channel?.destroy()
    await resynchronize(host, completion ? undefined : completionRead, restPending)
    if (err instanceof FtpError) throw err
    const e = err as NodeJS.ErrnoException
    if (e.name === 'AbortError' || e.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      throw new FtpError('aborted', 'Upload aborted before it completed', { cause: err })
    }
    throw new FtpError('data', `Upload failed: ${e.message}`, { cause: err })
  }
}

/** Most bytes an upload queues for the data connection before it pauses the client. */
const UPLOAD_BATCH_BYTES = 1024 * 1024

/**
 * Writes `source` into the data socket with backpressure and ends it; resolves once the socket
 * finished. Like `pipe()`, with the counting and checks in its one 'data' handler instead of a
 * stream stage per chunk, and unlike `pipeline()` it never destroys the source. With `releaser`,
 * written chunks it can free are freed at once; the others are left to the garbage collector.
 */
function pump(
  source: Readable,
  socket: net.Socket,
  signal: AbortSignal,
  observe: (chunk: Buffer) => void,
  releaser?: ChunkReleaser,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false
    const settle = (err?: unknown): void => {
      if (done) return
      done = true
      releaser?.flush()
      for (const [emitter, event, listener] of listeners) emitter.off(event, listener)
      signal.removeEventListener('abort', onAbort)
      if (err === undefined) {
        resolve()
      } else {
        source.pause()
        reject(err)
      }
    }
    const onData = (chunk: Buffer): void => {
      try {
        observe(chunk)
      } catch (err) {
        settle(err)
        return
      }
      // Node reads the client up to 32 times (64 KiB each) per turn of the event loop; what arrives
      // in one turn goes out in one writev instead of a send (and a wake-up of the server) per
      // chunk: less gateway CPU per GiB uploaded, which on few cores is upload speed
      // (docs/performance.md "Corked uploads").
      if (!socket.writableCorked) {
        socket.cork()
        setImmediate(() => socket.uncork())
      }
      releaser?.track(chunk)
      socket.write(chunk, releaser?.written)
      if (socket.writableLength >= UPLOAD_BATCH_BYTES) source.pause()
    }
    const onSourceClose = (): void => {
      if (!source.readableEnded) settle(new FtpError('aborted', 'Upload aborted before it completed'))
    }
    const onAbort = (): void => settle(signal.reason)
    const listeners: [Readable | net.Socket, string, Parameters<Readable['on']>[1]][] = [
      [source, 'data', onData],
      [source, 'end', () => socket.end()],
      [source, 'error', settle],
      [source, 'close', onSourceClose],
      [socket, 'drain', () => source.resume()],
      [socket, 'finish', () => settle()],
      [socket, 'error', settle],
      [socket, 'close', () => settle(new FtpError('data', 'Data connection closed during the upload'))],
    ]
    if (signal.aborted) return onAbort()
    if (source.errored) return settle(source.errored)
    if (source.destroyed) return onSourceClose()
    for (const [emitter, event, listener] of listeners) emitter.on(event, listener)
    signal.addEventListener('abort', onAbort)
    if (source.readableEnded) socket.end()
    else source.resume()
  })
}
