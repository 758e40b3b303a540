/**
 * deploy/prometheus-rules.yaml parses as a Prometheus rule file, has the alerts the README's
 * production checklist promises, and names only metrics the gateway really serves on /metrics
 * (read from a live registry, not a list kept by hand).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { GatewayMetrics } from '../../../src/http/metrics.js'

const FILE = path.resolve(import.meta.dirname, '../../../deploy/prometheus-rules.yaml')

interface Rule {
  alert?: string
  expr?: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

/** Metric names in a PromQL expression (histogram series suffixes folded onto their family). */
function metricsIn(expr: string): string[] {
  return [
    ...new Set(
      [...expr.matchAll(/\bftpgw_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')),
    ),
  ]
}

describe('deploy/prometheus-rules.yaml', () => {
  const doc = parse(readFileSync(FILE, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }
  const rules = doc.groups.flatMap((g) => g.rules)

  it('is a rule file with the alerts worth having, each complete', () => {
    expect(doc.groups.length).toBeGreaterThan(0)
    const names = rules.map((r) => r.alert)
    for (const wanted of [
      'FtpGatewayUpstreamDown',
      'FtpGatewayHigh5xxRate',
      'FtpGatewayPoolExhausted',
      'FtpGatewayStoreUnreachable',
      'FtpGatewayLoginFailuresSpike',
    ])
      expect(names).toContain(wanted)
    for (const r of rules) {
      expect(r.expr, r.alert).toMatch(/\S/)
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/)
      expect(r.labels?.severity, r.alert).toMatch(/^(critical|warning|info)$/)
      expect(r.annotations?.summary, r.alert).toBeTruthy()
    }
  })

  it('names only metrics the gateway serves', async () => {
    const metrics = new GatewayMetrics({})
    const served = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name))
    metrics.close()
    const used = rules.flatMap((r) => metricsIn(r.expr ?? ''))
    expect(used.length).toBeGreaterThan(5)
    expect(used.filter((m) => !served.has(m))).toEqual([])
    // The check itself sees a wrong name.
    expect(metricsIn('rate(ftpgw_no_such_metric_total[5m])').filter((m) => !served.has(m))).toEqual([
      'ftpgw_no_such_metric_total',
    ])
  })
})
