/**
 * The unit project starts no external process, so it runs anywhere in seconds: no file under
 * test/unit, and no helper one of them imports, loads node:child_process. Tests that drive curl,
 * lftp, openssl, haproxy or real servers belong in test/integration.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const TEST = path.resolve(import.meta.dirname, '../..')
const SPAWNS = /from 'node:child_process'|require\('node:child_process'\)/

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) return tsFiles(full)
    return e.name.endsWith('.ts') ? [full] : []
  })
}

/** Every test-tree file `file` imports, transitively (relative imports inside test/ only). */
function testImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen
  seen.add(file)
  for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) {
    const target = path.resolve(path.dirname(file), `${m[1]}.ts`)
    if (target.startsWith(TEST) && existsSync(target)) testImports(target, seen)
  }
  return seen
}

describe('the unit project', () => {
  it('loads node:child_process nowhere, directly or through a test helper', () => {
    const loaded = new Set<string>()
    for (const file of tsFiles(path.join(TEST, 'unit'))) for (const f of testImports(file)) loaded.add(f)
    loaded.delete(import.meta.filename) // names the module only to look for it
    const spawning = [...loaded].filter((f) => SPAWNS.test(readFileSync(f, 'utf8')))
    expect(spawning.map((f) => path.relative(TEST, f))).toEqual([])
  })
})
