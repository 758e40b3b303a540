/**
 * `npm start` and `npm run dev`: `ftp-gateway serve` with the process's arguments (`npm start --
 * --tls --port 9000`). The process itself (logger, listen, signals, graceful shutdown) is
 * src/cli/serve.ts.
 */
import { runCli } from './cli/run.js'

runCli(['serve', ...process.argv.slice(2)], {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then(
  (code) => {
    if (code !== undefined) process.exit(code)
  },
  (err: unknown) => {
    process.stderr.write(`ftp-gateway failed to start: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  },
)
