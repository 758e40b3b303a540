import type { Readable } from 'node:stream'

/** Reads a stream to its end (rejecting if it errors) and returns the bytes. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}
