/**
 * HAProxy accepts the deploy/ configuration (`haproxy -c`) and health-checks /readyz. It runs the
 * haproxy binary, so it lives with the integration tests; the rest of deploy/ is checked in
 * test/unit/production/deploy.test.ts.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const DEPLOY = path.join(REPO, 'deploy')
const run = promisify(execFile)

describe('deploy/haproxy', () => {
  it('haproxy -c accepts the configuration and it checks /readyz', async () => {
    const cfg = path.join(DEPLOY, 'haproxy/haproxy.cfg')
    const text = readFileSync(cfg, 'utf8')
    expect(text).toMatch(/option httpchk GET \/readyz/)
    expect(text).toMatch(/http-check expect status 200/)
    expect(text).toMatch(/balance roundrobin/)
    // Server names resolve only inside compose; `init-addr ... none` lets the check pass without them.
    const { stdout, stderr } = await run('haproxy', ['-c', '-f', cfg])
    expect(`${stdout}${stderr}`).toMatch(/Configuration file is valid/)
  })
})
