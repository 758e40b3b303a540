#!/usr/bin/env node
/**
 * The `ftp-gateway` command (package.json `bin`): `serve`, `check-config`, `hash-password`,
 * `version`, `--help`. The commands live in src/cli/; this file only hands them the process.
 */
import { runCli } from './cli/run.js'

runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then(
  (code) => {
    // serve resolves undefined and keeps running until a signal.
    if (code !== undefined) process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`ftp-gateway failed: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  },
)
