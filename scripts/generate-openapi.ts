/**
 * Writes openapi/openapi.yaml from the route schemas (`npx tsx scripts/generate-openapi.ts`).
 * test/unit/http/openapi.test.ts fails when the committed file differs from what this produces.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildOpenApiDocument, openApiYaml } from '../src/http/openapi-document.js'

const target = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'openapi', 'openapi.yaml')
const doc = await buildOpenApiDocument()
await mkdir(dirname(target), { recursive: true })
await writeFile(target, openApiYaml(doc))
console.log(`wrote ${target}`)
