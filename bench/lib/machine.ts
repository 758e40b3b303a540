/**
 * Quiets one source of noise on virtual machines: free page reporting. A guest kernel with it
 * (virtio-balloon's "reporting" feature; our Firecracker VMs run a kernel with extra knobs under
 * /sys/module/page_reporting/parameters) hands freed memory back to the host, and the next process
 * to use that memory waits while the host supplies fresh pages. A 1 GiB upload frees 1 GiB when the
 * bench deletes it; when the report landed just before or during the next peer's run, vsftpd's
 * writes into tmpfs cost 85–180 CPU ticks per GiB instead of ~50, and that run took 1.3–2.6 s
 * instead of ~0.85 s, for whichever peer it was (lab: 30 interleaved PUTs, slow runs matched the
 * reported bytes). Holding freed pages back from reporting for a while (`min_free_ms`) removes
 * those runs for every peer alike; the old value is put back when the bench exits.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

const MIN_FREE_MS = '/sys/module/page_reporting/parameters/min_free_ms'

/** What `holdFreedPages` did, for the results file. */
export interface PageReportingHold {
  /** The knob's value before the bench, or undefined where the kernel has no such knob. */
  before?: number
  /** The value during the bench, when it could be set. */
  during?: number
  /** Why nothing was changed, when nothing was. */
  note?: string
}

/**
 * Keeps freed pages from being reported to the host for `ms` while the bench runs; returns what it
 * did and a function that restores the old value (also run on process exit). `knob` is for tests.
 */
export function holdFreedPages(
  ms: number,
  knob = MIN_FREE_MS,
): { hold: PageReportingHold; restore: () => void } {
  if (!existsSync(knob)) return { hold: { note: 'no page-reporting knob on this kernel' }, restore: () => {} }
  const before = Number(readFileSync(knob, 'utf8').trim())
  if (before >= ms) return { hold: { before, during: before }, restore: () => {} }
  try {
    writeFileSync(knob, String(ms))
  } catch (err) {
    return {
      hold: { before, note: `could not set ${knob}: ${(err as Error).message}` },
      restore: () => {},
    }
  }
  let restored = false
  const restore = (): void => {
    if (restored) return
    restored = true
    try {
      writeFileSync(knob, String(before))
    } catch {
      // Nothing more to do on the way out; the value only delays memory going back to the host.
    }
  }
  process.on('exit', restore)
  return { hold: { before, during: ms }, restore }
}
