import net from 'node:net'
import { type ControlConnection, normalizeAddress } from './control-connection.js'
import { FtpError } from './errors.js'
import { type ChunkSharing, ReadBufferLender } from './memory/index.js'
import type { FtpLogger } from './options.js'
import { formatEprt, formatPort, parseEpsvReply, parsePasvReply } from './passive.js'
import { errorFromReply } from './reply-errors.js'
import { Reply } from './status.js'

/** Per-session memory of what worked, so a failed EPSV or passive attempt is not retried every time. */
export interface DataModeState {
  mode: 'passive' | 'active' | 'auto'
  epsvFailed: boolean
  eprtFailed: boolean
  /** In auto mode, set once passive failed and active worked. */
  fellBackToActive: boolean
}

/** What the transfer code needs to open data connections. */
export interface DataChannelContext {
  control: ControlConnection
  state: DataModeState
  /** PROT P was accepted: data connections use TLS. */
  protectData: boolean
  activeAddress?: string | undefined
  activePorts?: [number, number] | undefined
  readBufferBytes: number
  /** Plain passive reads go into lent, reused buffers (ftp/memory/read-buffers.ts); off: stream reads. */
  memoryTuning: boolean
  logger?: FtpLogger | undefined
  sessionId: number
  /** The upstream as `host:port`, for the transfer diagnostics (never credentials). */
  upstream?: string | undefined
}

/** Called for every chunk read from the data socket; return false to pause reading (backpressure). */
export type ChunkHandler = (chunk: Buffer) => boolean

/** A data connection being opened. Send the transfer command, then await `socket`. */
export interface DataChannel {
  /** The connected socket, TLS-secured with PROT P. Rejects if it cannot be had. */
  readonly socket: Promise<net.Socket>
  /** Tears down whatever exists (socket, listener). Safe to call more than once. */
  destroy(): void
}

/**
 * Opens a data connection as the session's mode says. Passive dials the control peer's address
 * whatever the PASV reply named (SSRF and bounce defence); active accepts only the control peer.
 * When `onChunk` is given, reads go to it (through recycled 1 MiB `onread` buffers on plain passive
 * sockets; `sharing` lets a consumer that can say when it let go of a chunk take it without a copy).
 */
export async function openDataChannel(
  ctx: DataChannelContext,
  onChunk?: ChunkHandler,
  sharing?: ChunkSharing,
): Promise<DataChannel> {
  const { state } = ctx
  if (state.mode === 'active' || state.fellBackToActive) return openActive(ctx, onChunk)
  try {
    return await openPassive(ctx, onChunk, sharing)
  } catch (err) {
    if (state.mode !== 'auto' || ctx.control.failure) throw err
    ctx.logger?.warn?.(
      { session: ctx.sessionId, err: (err as Error).message },
      'passive mode failed; trying active',
    )
    const channel = await openActive(ctx, onChunk)
    state.fellBackToActive = true
    return channel
  }
}

async function openPassive(
  ctx: DataChannelContext,
  onChunk?: ChunkHandler,
  sharing?: ChunkSharing,
): Promise<DataChannel> {
  const { control, state } = ctx
  let port: number | undefined
  if (!state.epsvFailed) {
    const reply = await control.request('EPSV')
    if (reply.code === Reply.EnteringExtendedPassive) port = parseEpsvReply(reply).port
    else if (reply.code >= 500) state.epsvFailed = true
    else throw errorFromReply(reply, 'EPSV')
  }
  if (port === undefined) {
    const reply = await control.request('PASV')
    if (reply.code !== Reply.EnteringPassive) throw errorFromReply(reply, 'PASV')
    const target = parsePasvReply(reply)
    if (target.announcedHost !== control.remoteAddress) {
      ctx.logger?.debug?.(
        { session: ctx.sessionId, announced: target.announcedHost },
        'PASV address ignored; dialling the control peer',
      )
    }
    port = target.port
  }
  // A passive port below 1024 is no data port: it would point the gateway at SSH, SMTP and the like.
  if (port < 1024) throw new FtpError('protocol', `Refusing passive data port ${port} (below 1024)`)
  return dialData(ctx, control.remoteAddress, port, onChunk, sharing)
}

function dialData(
  ctx: DataChannelContext,
  host: string,
  port: number,
  onChunk?: ChunkHandler,
  sharing?: ChunkSharing,
): DataChannel {
  const { control } = ctx
  let socket: net.Socket
  if (ctx.protectData) {
    // Dial the pinned address, but speak TLS as the control connection does (its host, its session).
    socket = control.secureData(net.connect({ host, port }))
  } else if (onChunk && ctx.memoryTuning) {
    const buffers = new ReadBufferLender(ctx.readBufferBytes, sharing)
    socket = net.connect({
      host,
      port,
      onread: {
        buffer: () => buffers.next(),
        callback: (nread: number, buf: Uint8Array) => onChunk(buffers.chunk(nread, buf)),
      },
    })
    // Only once the handle is closed can no read land in a buffer any more.
    socket.once('close', () => buffers.close())
  } else {
    socket = net.connect({ host, port })
  }
  if (onChunk && (ctx.protectData || !ctx.memoryTuning)) attachChunkHandler(socket, onChunk)
  const ready = waitConnected(socket, ctx.protectData ? 'secureConnect' : 'connect', control.timeoutMs)
  ready.catch(() => {})
  return {
    socket: ready,
    destroy: () => socket.destroy(),
  }
}

function attachChunkHandler(socket: net.Socket, onChunk: ChunkHandler): void {
  socket.on('data', (chunk: Buffer) => {
    if (!onChunk(chunk)) socket.pause()
  })
}

function waitConnected(
  socket: net.Socket,
  event: 'connect' | 'secureConnect',
  timeoutMs: number,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new FtpError('timeout', `Data connection not established within ${timeoutMs} ms`))
    }, timeoutMs)
    const onError = (err: Error) => {
      clearTimeout(timer)
      socket.destroy()
      const kind = event === 'secureConnect' ? 'tls' : 'data'
      reject(new FtpError(kind, `Data connection: ${err.message}`, { cause: err }))
    }
    socket.once('error', onError)
    socket.once(event, () => {
      clearTimeout(timer)
      socket.removeListener('error', onError)
      resolve(socket)
    })
  })
}

async function openActive(ctx: DataChannelContext, onChunk?: ChunkHandler): Promise<DataChannel> {
  const { control, state } = ctx
  const server = net.createServer({ pauseOnConnect: true })
  server.on('error', () => {})
  const bindAddress = control.localAddress
  const port = await listenInRange(server, bindAddress, ctx.activePorts)
  const advertised = ctx.activeAddress ?? bindAddress
  let accepted = false
  try {
    let ok = false
    if (!state.eprtFailed) {
      const reply = await control.request('EPRT', formatEprt(advertised, port))
      if (reply.code === Reply.Ok) ok = true
      else if (reply.code >= 500 && !advertised.includes(':')) state.eprtFailed = true
      else throw errorFromReply(reply, 'EPRT')
    }
    if (!ok) {
      const reply = await control.request('PORT', formatPort(advertised, port))
      if (reply.code !== Reply.Ok) throw errorFromReply(reply, 'PORT')
    }
  } catch (err) {
    server.close()
    throw err
  }
  let socketRef: net.Socket | undefined
  const socket = new Promise<net.Socket>((resolve, reject) => {
    const timer = setTimeout(() => {
      server.close()
      reject(new FtpError('timeout', `No active data connection within ${control.timeoutMs} ms`))
    }, control.timeoutMs)
    server.on('connection', (raw: net.Socket) => {
      // Only the control peer may connect: anyone else racing to this port is stealing the data.
      if (accepted || normalizeAddress(raw.remoteAddress ?? '') !== control.remoteAddress) {
        ctx.logger?.warn?.(
          { session: ctx.sessionId, from: raw.remoteAddress },
          'active data connection from a foreign address refused',
        )
        raw.destroy()
        return
      }
      accepted = true
      clearTimeout(timer)
      server.close()
      if (!ctx.protectData) {
        socketRef = raw
        if (onChunk) attachChunkHandler(raw, onChunk)
        raw.resume()
        resolve(raw)
        return
      }
      const secured = control.secureData(raw)
      socketRef = secured
      if (onChunk) attachChunkHandler(secured, onChunk)
      raw.resume()
      waitConnected(secured, 'secureConnect', control.timeoutMs).then(resolve, reject)
    })
  })
  socket.catch(() => {})
  return {
    socket,
    destroy: () => {
      server.close()
      socketRef?.destroy()
    },
  }
}

function listenInRange(server: net.Server, host: string, range?: [number, number]): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (err: Error) => reject(err)
      server.once('error', onError)
      server.listen({ host, port, exclusive: true }, () => {
        server.removeListener('error', onError)
        resolve((server.address() as net.AddressInfo).port)
      })
    })
  if (!range) return tryPort(0)
  const [lo, hi] = range
  const size = hi - lo + 1
  const start = Math.floor(Math.random() * size)
  return (async () => {
    for (let i = 0; i < size; i++) {
      try {
        return await tryPort(lo + ((start + i) % size))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
      }
    }
    throw new FtpError('data', `No free port in active range ${lo}-${hi}`)
  })()
}
