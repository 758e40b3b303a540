/**
 * Young garbage of uploads. Node's HTTP parser copies every request-body chunk (up to 64 KiB) into
 * memory of its own that only a garbage collection frees, and V8 collects young garbage by how much
 * JavaScript allocates, which an upload hardly does: a 1 GiB PUT piled up tens of MiB of dead
 * chunks between collections. glibc then either handed that memory back to the kernel (a fresh,
 * zeroed page for every reused one: ~180,000 page faults per GiB) or, with the raised trim
 * threshold main.ts sets, kept it resident after the upload (~60 MiB). A young-generation
 * collection every few MiB uploaded frees the chunks while their memory is still the most recently
 * used: page faults per GiB ~0 and RSS after uploads ~110 MiB instead of ~140 (bench, lab runs).
 *
 * The period matters for speed too: V8 counts array-buffer memory allocated since its last full
 * collection against the old generation's limit, and after a few idle seconds its memory reducer
 * leaves that limit only a few MiB above the heap. With 8 MiB of chunks between collections, an
 * upload after idle started a full marking of the whole heap every ~60 MiB (16–19 per GiB, 164
 * gateway CPU ticks per GiB); with 4 MiB, 0–1 (74–90 ticks), and 1 GiB PUTs ran ~1.4× faster.
 *
 * HTTP request bodies no longer take this path: their chunks are freed as soon as they are written
 * (ftp/chunk-release.ts; 20 young collections per GiB instead of 257, no full ones). What is
 * counted here are chunks the gateway does not own: other sources, pool slices.
 */
import v8 from 'node:v8'
import vm from 'node:vm'

/** Uploaded bytes between two young-generation collections. */
export const UPLOAD_BYTES_PER_COLLECTION = 4 * 1024 * 1024

let collect: (() => void) | undefined
let sinceCollection = 0

/** Installs the collector (main.ts, when the runtime offers one); `undefined` turns it off. */
export function setYoungCollector(fn: (() => void) | undefined): void {
  collect = fn
  sinceCollection = 0
}

/** Counts bytes written to an upload's data connection; collects young garbage every few MiB. */
export function noteUploadedBytes(bytes: number): void {
  if (collect === undefined) return
  sinceCollection += bytes
  if (sinceCollection < UPLOAD_BYTES_PER_COLLECTION) return
  sinceCollection = 0
  collect()
}

/**
 * V8's young-generation collection, without handing `gc` to every module: the flag makes V8 give
 * new contexts a `gc` function, and only this one context is made. Undefined where the runtime
 * refuses (uploads then leave their garbage to V8's own schedule).
 */
export function v8YoungCollector(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc')
    const gc: unknown = vm.runInNewContext('gc')
    if (typeof gc !== 'function') return undefined
    return () => gc({ type: 'minor' })
  } catch {
    return undefined
  }
}
