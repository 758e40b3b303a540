/**
 * The settings table as documentation, made from the spec: the README's table (kept in step by a
 * test and `npx tsx scripts/generate-config-docs.ts`, which also writes gateway.example.yaml from
 * src/config/example.ts).
 */
import { SETTINGS, type Setting } from './spec.js'

/** Marks around the generated table in README.md. */
export const README_MARKS = {
  start:
    '<!-- settings:start (generated from src/config/spec.ts: npx tsx scripts/generate-config-docs.ts) -->',
  end: '<!-- settings:end -->',
} as const

/** A setting's key in a config file (GATEWAY_CONFIG), as the table shows it. */
export function fileKey(s: Setting<unknown>): string {
  if (s.key === '') return '—'
  if (s.scope === 'local') return '— (local mode)'
  return s.scope === 'upstream' ? `\`upstreams.<name>.${s.key}\`` : `\`${s.key}\``
}

/** The Markdown table of every setting: environment name, config-file key, meaning, default. */
export function settingsTable(): string {
  const rows = Object.values(SETTINGS).map((s: Setting<unknown>) => {
    const cells = [`\`${s.env}\``, fileKey(s), s.doc, s.defaultDoc]
    return `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`
  })
  return ['| environment | config file | meaning | default |', '|---|---|---|---|', ...rows].join('\n')
}

/** README text with the table between the marks replaced by the current one. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(README_MARKS.start)
  const end = readme.indexOf(README_MARKS.end)
  if (start === -1 || end === -1 || end < start) throw new Error('README.md has no settings marks')
  return `${readme.slice(0, start + README_MARKS.start.length)}\n${settingsTable()}\n${readme.slice(end)}`
}
