/**
 * The one redaction list (src/http/app.ts LOG_REDACTION), used by main.ts's logger and by
 * createServer's: a logged object carrying any of its paths shows the censor, never the secret.
 */
import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { LOG_REDACT_PATHS, LOG_REDACTION } from '../../../src/http/app.js'

const SECRET = 'hunter2-secret'

/** `a.b["c-d"].*` → ['a', 'b', 'c-d', '*'] */
function segments(path: string): string[] {
  return [...path.matchAll(/([^.[\]"]+)|\["([^"]+)"\]/g)].map((m) => (m[1] ?? m[2]) as string)
}

/** An object with SECRET at `path`; a wildcard segment becomes a concrete key. */
function objectWith(path: string): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  let at = root
  const parts = segments(path)
  for (const [i, part] of parts.entries()) {
    const key = part === '*' ? `any${i}` : part
    if (i === parts.length - 1) at[key] = SECRET
    else {
      const next: Record<string, unknown> = {}
      at[key] = next
      at = next
    }
  }
  return root
}

function logOnce(obj: Record<string, unknown>): string {
  let out = ''
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString()
      done()
    },
  })
  pino({ redact: LOG_REDACTION }, sink).info(obj, 'line')
  return out
}

describe('log redaction', () => {
  it('lists the credentials main.ts and the HTTP app used to list separately', () => {
    for (const path of [
      'req.headers.authorization',
      'req.headers.cookie',
      'config.upstreams[*].url.password',
    ])
      expect(LOG_REDACT_PATHS).toContain(path)
  })

  it.each(LOG_REDACT_PATHS)('censors %s', (path) => {
    const line = logOnce(objectWith(path))
    expect(line).not.toContain(SECRET)
    expect(line).toContain('[redacted]')
  })
})
