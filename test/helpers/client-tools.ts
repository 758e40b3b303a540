/**
 * Real FTP clients (curl, lftp, openssl) run as child processes: for integration tests only, since
 * the unit project starts no external process.
 */
import { execFile, execFileSync } from 'node:child_process'
import path from 'node:path'

/** What a client process left behind. */
export interface RunResult {
  code: number
  stdout: Buffer
  stderr: string
}

/** Runs a client asynchronously (the server lives in this process, so never block the loop). */
export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { encoding: 'buffer', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
        resolve({ code, stdout, stderr: stderr.toString() })
      },
    )
  })
}

/** curl, silent but for errors, bounded to 60 s (a bound for a hung transfer, not a speed check). */
export function curl(...args: string[]): Promise<RunResult> {
  return run('curl', ['-s', '-S', '--max-time', '60', ...args], 65_000)
}

/** lftp logged in as demo on the embedded server at `port`, failing on the first error. */
export function lftp(port: number, script: string): Promise<RunResult> {
  const setup = `set ftp:ssl-allow false; set net:max-retries 1; set net:timeout 5; set cmd:fail-exit true; open -u demo,demo ftp://127.0.0.1:${port}`
  return run('lftp', ['-c', `${setup}; ${script}`])
}

/** What a test certificate says about itself. */
export interface TestCertificate {
  /** Subject, e.g. `/CN=localhost`. */
  subject: string
  /** subjectAltName value, e.g. `DNS:localhost,IP:127.0.0.1`; none when omitted. */
  altNames?: string
  /** Validity in days (default 2). */
  days?: number
}

/** Writes a self-signed RSA certificate and its key (PEM) with openssl; returns the two paths. */
export function writeSelfSignedCert(dir: string, what: TestCertificate): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      String(what.days ?? 2),
      '-subj',
      what.subject,
      ...(what.altNames === undefined ? [] : ['-addext', `subjectAltName=${what.altNames}`]),
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  )
  return { cert, key }
}
