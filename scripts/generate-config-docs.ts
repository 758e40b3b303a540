/**
 * Rewrites README.md's settings table and gateway.example.yaml from src/config/spec.ts (unit tests
 * fail while either differs).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { withSettingsTable } from '../src/config/docs.js'
import { EXAMPLE_FILE, exampleConfigYaml } from '../src/config/example.js'

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const readme = path.join(repo, 'README.md')
writeFileSync(readme, withSettingsTable(readFileSync(readme, 'utf8')))
writeFileSync(path.join(repo, EXAMPLE_FILE), exampleConfigYaml())
console.log(`README.md settings table and ${EXAMPLE_FILE} regenerated`)
