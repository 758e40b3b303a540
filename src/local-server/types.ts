import type { Duplex } from 'node:stream'

/** Commands that can be switched off to emulate older or smaller servers. */
export interface FeatureFlags {
  mlsd: boolean
  mlst: boolean
  epsv: boolean
  pasv: boolean
  eprt: boolean
  port: boolean
  size: boolean
  mdtm: boolean
  mfmt: boolean
  rest: boolean
  /** APPE (RFC 959); off emulates servers that refuse to append (resumable uploads then use REST + STOR). */
  appe: boolean
  utf8: boolean
  rang: boolean
  hash: boolean
}

export type FeatureName = keyof FeatureFlags

/** Everything off unless noted: the defaults emulate a modern, well-behaved server. */
export const DEFAULT_FEATURES: Readonly<FeatureFlags> = Object.freeze({
  mlsd: true,
  mlst: true,
  epsv: true,
  pasv: true,
  eprt: true,
  port: true,
  size: true,
  mdtm: true,
  mfmt: true,
  rest: true,
  appe: true,
  utf8: true,
  rang: false,
  hash: false,
})

/** pino-compatible subset; the server never logs passwords. */
export interface LocalServerLogger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
}

export interface LocalFtpServerOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string
  /** Listen port; default 0 (any free port). */
  port?: number
  /** Directory served; every path is confined to it. */
  root: string
  /** user → password, or a checker. */
  users: Record<string, string> | ((user: string, password: string) => boolean)
  /** Inclusive passive port range; default any free port. */
  pasvPorts?: [number, number]
  /** Per-command switches; a disabled command leaves FEAT and answers 502. */
  features?: Partial<FeatureFlags>
  /** LIST output style; default unix. */
  listFormat?: 'unix' | 'dos'
  /** Lines of the 220 greeting (multi-line when more than one). */
  greeting?: string[]
  /** Explicit (AUTH TLS) or, with `implicit`, implicit FTPS. */
  tls?: { key: string | Buffer; cert: string | Buffer; implicit?: boolean }
  /** Close control connections idle this long with 421. */
  idleTimeoutMs?: number
  /** How long a passive listener or active dial waits for its data connection; default 30 s. */
  dataTimeoutMs?: number
  logger?: LocalServerLogger
}

/** One command line as the server received it. */
export interface CommandRecord {
  session: number
  /** Upper-cased command verb. */
  verb: string
  /** Everything after the first space ('***' for PASS). */
  arg: string
  /** The line's bytes without CRLF (PASS redacted). */
  raw: Buffer
}

/** Fault-injection knobs, read live on every use; all off by default. */
export interface Faults {
  /** '421' refuses every new connection; 'hang' never greets. */
  greeting?: 'normal' | '421' | 'hang'
  /** Address advertised in PASV replies instead of the real one. */
  pasvAddress?: string
  /** Raw EPSV reply line (without CRLF) sent instead of the real one; the listener still opens. */
  epsvReply?: string
  /** Write every reply in 1-3 byte chunks with small delays. */
  splitReplies?: boolean
  /** When the completion reply goes relative to closing the data socket; default after-eof. */
  completionOrder?: 'before-eof' | 'after-eof'
  /** RETR sends this many bytes, closes the data connection and replies 426. */
  abortAfterBytes?: number
  /** Pure-FTPd quirk: a stray `150` line follows the replies to ABOR. */
  extra150AfterAbor?: boolean
  /** LIST/MLSD/NLST data never ends (lines keep coming until the client goes). */
  endlessListing?: boolean
  /** Transfers complete on the data connection but no completion reply is sent. */
  never226?: boolean
  /** The data connection opens, then nothing is sent on it. */
  dataStall?: boolean
}

/** What an intercept handler may do with the command it caught. */
export interface InterceptContext {
  readonly verb: string
  readonly arg: string
  readonly session: number
  /** Send a reply; an array makes a multi-line reply (middle lines are written verbatim). */
  reply(code: number, text: string | string[]): Promise<void>
  /** Raw bytes on the control connection. */
  write(raw: string | Buffer): Promise<void>
  /** Flush what was written, then close the control connection. */
  close(): void
  /** Drop the control connection at once (RST-like). */
  destroy(): void
  /** The pending passive/active data connection (after PASV/EPSV/PORT/EPRT). */
  openData(): Promise<Duplex>
  /** Run the built-in handling of this command. */
  fallthrough(): Promise<void>
  /** Never answer: the session's command queue stops here. */
  hang(): Promise<never>
}

export type InterceptHandler = (ctx: InterceptContext) => void | Promise<void>

/**
 * A built-in command: its handler, whether it works before login, and the feature gating it.
 * Generic over the session so that this file, which the session imports, does not import it back.
 */
export interface CommandSpec<S> {
  handler(s: S, arg: string): Promise<void> | void
  /** Allowed before a successful login. */
  public?: boolean
  /** When this feature is off the command answers 502 and leaves FEAT. */
  feature?: FeatureName
}

/** Built-in commands by verb. */
export type CommandTable<S> = Record<string, CommandSpec<S>>
