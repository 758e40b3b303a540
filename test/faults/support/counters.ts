/**
 * Counters for the faults summary. Each test file appends one JSON line per `record` call to the
 * file named by FAULTS_COUNTER_FILE (set by scripts/test-faults.sh to a file in a fresh temp dir);
 * the script sums the lines and prints one block at the end. Appending whole lines with
 * appendFileSync keeps this safe across vitest workers (each line is one small write). Without the
 * variable (a plain `npx vitest run`) recording is a no-op, so the same tests run anywhere.
 */
import { appendFileSync } from 'node:fs'

/** What the summary counts. */
export interface Tally {
  /** Test cases (or fuzz examples) run. */
  cases?: number
  /** Faults injected (a kill, a stall, a flush, a refused port…). */
  faults?: number
  /** Hostile requests sent. */
  badInputs?: number
  /** Files whose bytes were compared with what they must be. */
  filesCompared?: number
  /** FTP sessions or sockets found leaked after a case (must stay 0). */
  sessionsLeaked?: number
}

/** Appends one tally line (no-op outside scripts/test-faults.sh). */
export function record(tally: Tally): void {
  const file = process.env.FAULTS_COUNTER_FILE
  if (!file) return
  appendFileSync(file, `${JSON.stringify({ pid: process.pid, ...tally })}\n`)
}
