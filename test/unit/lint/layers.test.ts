/**
 * The layer rules that `npm run lint` enforces (.dependency-cruiser.cjs): the tree as it is has no
 * violation, and planted ones (an upward import, one face importing another, a cycle) fail.
 * In-process through dependency-cruiser's API: the unit project starts no external process.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { cruise, type IReporterOutput } from 'dependency-cruiser'
import { afterAll, describe, expect, it } from 'vitest'

const REPO = path.resolve(import.meta.dirname, '../../..')
const rules = createRequire(import.meta.url)(path.join(REPO, '.dependency-cruiser.cjs')) as {
  forbidden: unknown[]
  options: Record<string, unknown>
}

/** Violated rule names when cruising `src` under `baseDir`, and what was resolved. */
async function cruiseTree(baseDir: string) {
  const result: IReporterOutput = await cruise(['src'], {
    baseDir,
    validate: true,
    ruleSet: { forbidden: rules.forbidden } as never,
    tsPreCompilationDeps: true,
    exclude: { path: 'node_modules' },
  })
  const output = result.output
  if (typeof output === 'string') throw new Error('unexpected string output')
  const resolved = output.modules.flatMap((m) =>
    m.dependencies.filter((d) => !d.couldNotResolve).map((d) => `${m.source} -> ${d.resolved}`),
  )
  return { rules: output.summary.violations.map((v) => v.rule.name), resolved }
}

/** Violated rule names when cruising `src` under `baseDir`. */
async function violations(baseDir: string): Promise<string[]> {
  return (await cruiseTree(baseDir)).rules
}

const planted = mkdtempSync(path.join(tmpdir(), 'layers-'))
afterAll(() => rmSync(planted, { recursive: true, force: true }))

/** Writes a small tree of TypeScript files (path → source) under a fresh folder of `planted`. */
function tree(name: string, files: Record<string, string>): string {
  const dir = path.join(planted, name)
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), source)
  }
  return dir
}

describe('layer rules', () => {
  it('the source tree has no violation (and its imports were resolved, so the rules saw them)', async () => {
    const { rules: broken, resolved } = await cruiseTree(REPO)
    expect(broken).toEqual([])
    expect(resolved).toContain('src/http/app.ts -> src/http/rest/index.ts')
    expect(resolved).toContain('src/files/upstream.ts -> src/pool/index.ts')
  }, 60_000)

  it('an import up a layer fails (the engine importing HTTP)', async () => {
    const dir = tree('upward', {
      'src/ftp/engine.ts': "import { x } from '../http/app.js'\nexport const y = x\n",
      'src/http/app.ts': 'export const x = 1\n',
    })
    expect(await violations(dir)).toContain('no-upward-from-ftp')
  })

  it('one HTTP face importing another fails', async () => {
    const dir = tree('faces', {
      'src/http/webdav/plugin.ts': "import { x } from '../rest/conditional.js'\nexport const y = x\n",
      'src/http/rest/conditional.ts': 'export const x = 1\n',
    })
    expect(await violations(dir)).toContain('no-face-to-face-from-webdav')
  })

  it('an import cycle fails, even through type-only imports', async () => {
    const dir = tree('cycle', {
      'src/ftp/a.ts': "import type { B } from './b.js'\nexport type A = { b?: B }\n",
      'src/ftp/b.ts': "import type { A } from './a.js'\nexport type B = { a?: A }\n",
    })
    expect(await violations(dir)).toContain('no-circular')
  })

  it('HTTP speaking FTP directly fails', async () => {
    const dir = tree('http-ftp', {
      'src/http/rest/files.ts': "import { x } from '../../ftp/session.js'\nexport const y = x\n",
      'src/ftp/session.ts': 'export const x = 1\n',
    })
    expect(await violations(dir)).toContain('http-speaks-no-ftp')
  })
})
