/**
 * The command line: `ftp-gateway serve|check-config|hash-password|version|--help`. Exit codes: 0
 * done, 1 the command found problems (check-config) or failed, 2 the command line itself is wrong
 * (unknown command or flag) or the configuration is invalid at `serve`.
 */
import { readFileSync } from 'node:fs'
import { CONFIG_FILE_ENV, EXTRA_SERVE_FLAGS, parseServeArgs, settingsHelp } from '../config/flags.js'
import { checkConfig } from './check-config.js'
import { BCRYPT_MAX_BYTES, hashPassword, promptHidden, readPipedPassword } from './hash-password.js'

/** Where a command writes (tests pass their own). */
export interface CliIo {
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WriteStream
  env: NodeJS.ProcessEnv
}

/** The package's version (package.json sits one folder above both src/ and dist/). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

/** The full help: commands, then every setting as flag and environment name, default and doc. */
export function helpText(): string {
  const extras = EXTRA_SERVE_FLAGS.map((f) => `  ${f.flag}\n      ${f.doc}`).join('\n')
  return `ftp-gateway ${packageVersion()}: an HTTP face (REST, WebDAV, browser page) for FTP servers

Usage:
  ftp-gateway serve [--config FILE] [--ftp-url URL] [--port N] [--host ADDR] [--tls] [--SETTING VALUE…]
  ftp-gateway check-config FILE      every problem of a config file (or NAME=value env file); exit 1 on any
  ftp-gateway hash-password [--user NAME]
                                     bcrypt hash for GATEWAY_HTPASSWD (password from stdin or a prompt)
  ftp-gateway version
  ftp-gateway --help

Every setting is read from the environment and may be given to serve as a flag instead (the flag
wins): FTP_URL is --ftp-url, RATE_LIMIT_MAX is --rate-limit-max, and so on.

Options of serve:
${extras}

Settings:
${settingsHelp()}
`
}

const usageHint = 'run ftp-gateway --help for the commands and settings'

function fail(io: CliIo, message: string): number {
  io.stderr.write(`ftp-gateway: ${message}\n${usageHint}\n`)
  return 2
}

/**
 * Runs one command line (without the node and script arguments). Resolves to the exit code, or
 * undefined when the command keeps running (serve).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number | undefined> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(helpText())
    return 0
  }
  if (command === 'version' || command === '--version' || command === '-v') {
    if (rest.length > 0) return fail(io, `version takes no arguments (got ${JSON.stringify(rest[0])})`)
    io.stdout.write(`ftp-gateway ${packageVersion()}\n`)
    return 0
  }
  if (command === 'serve') {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(helpText())
      return 0
    }
    const args = parseServeArgs(rest)
    if (args.problems.length > 0) return fail(io, args.problems.join('; '))
    // Loaded only here: the gateway's modules are most of the start-up time of every other command.
    const { serve } = await import('./serve.js')
    return serve({ ...io.env, ...args.env }, { tls: args.tls })
  }
  if (command === 'check-config') return checkConfigCommand(rest, io)
  if (command === 'hash-password') return hashPasswordCommand(rest, io)
  return fail(io, `unknown command ${JSON.stringify(command)}`)
}

function checkConfigCommand(rest: readonly string[], io: CliIo): number {
  const unknown = rest.find((a) => a.startsWith('-'))
  if (unknown !== undefined) return fail(io, `unknown flag ${JSON.stringify(unknown)} for check-config`)
  if (rest.length !== 1) return fail(io, 'check-config takes one FILE')
  const file = rest[0] as string
  // The file under test replaces whatever config file the environment names.
  const { [CONFIG_FILE_ENV]: _ignored, ...env } = io.env
  const result = checkConfig(file, env)
  if (result.ok) {
    io.stdout.write(`${file}: OK\n${result.summary.map((l) => `  ${l}\n`).join('')}`)
    return 0
  }
  io.stderr.write(`${file}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}\n`)
  for (const p of result.problems) io.stderr.write(`  - ${p}\n`)
  return 1
}

async function hashPasswordCommand(rest: readonly string[], io: CliIo): Promise<number> {
  let user: string | undefined
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string
    if (arg === '--user' && rest[i + 1] !== undefined) user = rest[++i]
    else if (arg.startsWith('--user=')) user = arg.slice('--user='.length)
    else return fail(io, `unknown argument ${JSON.stringify(arg)} for hash-password`)
  }
  if (user !== undefined && (user === '' || /[:\s]/.test(user)))
    return fail(io, 'the --user name must be non-empty, without colons or spaces')
  let password: string
  try {
    if (io.stdin.isTTY) {
      password = await promptHidden('Password: ', io.stdin, io.stderr)
      const again = await promptHidden('Again: ', io.stdin, io.stderr)
      if (again !== password) {
        io.stderr.write('ftp-gateway: the passwords differ\n')
        return 1
      }
    } else password = await readPipedPassword(io.stdin)
  } catch (err) {
    io.stderr.write(`ftp-gateway: ${(err as Error).message}\n`)
    return 1
  }
  if (password === '') {
    io.stderr.write('ftp-gateway: the password is empty\n')
    return 1
  }
  if (Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES)
    io.stderr.write(
      `ftp-gateway: warning: bcrypt uses only the first ${BCRYPT_MAX_BYTES} bytes of the password\n`,
    )
  const hash = await hashPassword(password)
  io.stdout.write(user === undefined ? `${hash}\n` : `${user}:${hash}\n`)
  return 0
}
