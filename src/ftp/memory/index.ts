/**
 * The gateway's memory work, in one place and behind one switch (MEMORY_TUNING, on by default;
 * off to debug, or to measure what it buys: docs/performance.md has the numbers):
 *
 * - the allocator setting (allocator.ts): process-wide, applied by main.ts at start;
 * - chunk release (chunk-release.ts): an upload's chunks freed as soon as the data connection
 *   took them, when the caller says they are nobody else's;
 * - read-buffer lending (read-buffers.ts): plain passive downloads read into reused buffers,
 *   handed on as views instead of fresh garbage per read.
 *
 * The engine takes the switch as a session option (`memoryTuning` in FtpSessionOptions), never
 * from the configuration; `tuneProcessMemory` is the process's half of it.
 */
import { raiseAllocatorThresholds } from './allocator.js'

export { ChunkReleaser, ownsWholeBuffer, RELEASE_BATCH } from './chunk-release.js'
export { type ChunkSharing, ReadBufferLender } from './read-buffers.js'

/** The process-wide part of the memory work (main.ts calls it once, before serving). */
export function tuneProcessMemory(): void {
  raiseAllocatorThresholds()
}
