/** Rewrites README.md's settings table from src/config/spec.ts (a unit test fails while they differ). */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { withSettingsTable } from '../src/config/docs.js'

const readme = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md')
writeFileSync(readme, withSettingsTable(readFileSync(readme, 'utf8')))
console.log('README.md settings table regenerated')
