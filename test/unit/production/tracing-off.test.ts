/**
 * Tracing costs nothing when it is off: the OpenTelemetry packages and the span code are loaded
 * only by src/tracing.ts and src/http/tracing.ts, and those two only through `await import()`
 * behind the "is tracing on" checks (main.ts, app.ts). Every other module may name OpenTelemetry
 * types (erased at compile time) but never import it at run time.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = path.resolve(import.meta.dirname, '../../../src')
const TRACING_MODULES = new Set(['tracing.ts', 'http/tracing.ts'])

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(dir, e.name)]
        : [],
  )
}

/** Static `import … from 'x'` / `export … from 'x'` that survive compilation (not `import type`). */
function runtimeImports(text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms))
    out.push(m[1] as string)
  return out
}

describe('tracing off', () => {
  it('no module but the two tracing modules imports OpenTelemetry or them at load time', () => {
    const offenders: string[] = []
    for (const file of sources(SRC)) {
      const rel = path.relative(SRC, file)
      if (TRACING_MODULES.has(rel)) continue
      for (const spec of runtimeImports(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('@opentelemetry/') || /(^|\/)tracing\.js$/.test(spec))
          offenders.push(`${rel}: ${spec}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('the check sees a planted runtime import (and ignores a type-only one)', () => {
    expect(runtimeImports("import { trace } from '@opentelemetry/api'\n")).toEqual(['@opentelemetry/api'])
    expect(runtimeImports("import type { Tracer } from '@opentelemetry/api'\n")).toEqual([])
    expect(runtimeImports("import {\n  a,\n  b,\n} from './http/tracing.js'\n")).toEqual([
      './http/tracing.js',
    ])
  })
})

describe('tracing settings', () => {
  it('OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL; the service name defaults to ftp-gateway', async () => {
    const { loadConfig } = await import('../../../src/config.js')
    for (const bad of ['collector:4318', 'ftp://collector', 'grpc://x:4317']) {
      expect(() => loadConfig({ FTP_URL: 'ftp://h', OTEL_EXPORTER_OTLP_ENDPOINT: bad })).toThrow(
        /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/,
      )
    }
    const on = loadConfig({ FTP_URL: 'ftp://h', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' })
    expect([on.otelEndpoint, on.otelServiceName]).toEqual(['http://otel:4318', 'ftp-gateway'])
    expect(loadConfig({ FTP_URL: 'ftp://h' }).otelEndpoint).toBeUndefined()
  })
})
