/**
 * The allocator setting: process-wide, applied once at start (main.ts, when MEMORY_TUNING is on).
 *
 * Node's HTTP parser copies every request-body chunk (64 KiB) into fresh malloc'd memory. With
 * glibc's default 128 KiB trim threshold, memory freed in batches by the garbage collector goes
 * back to the kernel, so the next uploaded bytes land on newly faulted, zeroed pages (a third of
 * the gateway's CPU on uploads; docs/performance.md "Allocator"). Freeing one mmapped chunk of
 * just under 32 MiB makes glibc raise its mmap threshold to that size and its trim threshold to
 * twice it (mallopt(3), "dynamic mmap threshold"); freed buffers are then reused. Chunk release
 * (chunk-release.ts) frees upload chunks one by one as they are sent, so the raised threshold does
 * not leave tens of MiB resident after uploads. Harmless with other allocators.
 */

/** Bytes of the one allocation whose release raises glibc's thresholds (just under 32 MiB). */
export const THRESHOLD_PROBE_BYTES = 32 * 1024 * 1024 - 64 * 1024

/** Raises glibc's mmap and trim thresholds by allocating (and dropping) one large buffer. */
export function raiseAllocatorThresholds(): void {
  Buffer.allocUnsafeSlow(THRESHOLD_PROBE_BYTES)
}
