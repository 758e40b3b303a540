/**
 * What can be checked of deploy/ without Docker or a cluster: every YAML parses, probes and ports
 * match what the code serves and reads, every variable a manifest sets is one loadConfig knows,
 * the Dockerfile runs as a non-root user with a health check. HAProxy's own check of its config
 * runs the haproxy binary, so it is an integration test (test/integration/production/deploy-haproxy.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { CONFIG_NAMES, loadConfig } from '../../../src/config.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const DEPLOY = path.join(REPO, 'deploy')

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    // A Helm chart's templates are Go templates, YAML only once rendered (helm-chart.test.ts).
    if (e.isDirectory() && e.name === 'templates' && dir.includes(`${path.sep}helm${path.sep}`)) return []
    if (e.isDirectory()) return yamlFiles(full)
    return /\.ya?ml$/.test(e.name) ? [full] : []
  })
}

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML
type Doc = any

function docs(file: string): Doc[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`)
    return d.toJS()
  })
}

function k8s(kind: string): Doc {
  const found = yamlFiles(path.join(DEPLOY, 'k8s'))
    .flatMap(docs)
    .filter((d) => d?.kind === kind)
  expect(found, kind).toHaveLength(1)
  return found[0]
}

const defaults = loadConfig({ FTP_URL: 'ftp://ftp.example:21' })

describe('deploy/', () => {
  it('every YAML file parses (all documents)', () => {
    const files = yamlFiles(DEPLOY)
    expect(files.length).toBeGreaterThanOrEqual(8)
    for (const file of files) expect(docs(file).length, file).toBeGreaterThan(0)
  })

  it('Kubernetes probes and ports match what the code serves', () => {
    const deployment = k8s('Deployment')
    const [container] = deployment.spec.template.spec.containers
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: defaults.port })
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: defaults.port })
    expect(container.ports[0].containerPort).toBe(defaults.port)
    expect(container.lifecycle.preStop.exec.command.length).toBeGreaterThan(0)
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true)
    const configMap = k8s('ConfigMap')
    expect(Number(configMap.data.PORT ?? defaults.port)).toBe(defaults.port)
    const service = k8s('Service')
    expect(service.spec.ports[0].targetPort).toBe(defaults.port)
    // Termination must outlast preStop plus the drain, or Kubernetes SIGKILLs running transfers.
    const grace = Number(configMap.data.SHUTDOWN_GRACE_MS) / 1000
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(grace + 5)
    for (const kind of ['HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Secret', 'NetworkPolicy'])
      expect(k8s(kind).metadata.name).toBe('ftp-gateway')
  })

  it('every variable set by a manifest is one loadConfig reads, and the values validate', () => {
    const known = new Set<string>(CONFIG_NAMES)
    const configMap = k8s('ConfigMap').data as Record<string, string>
    const secret = k8s('Secret').stringData as Record<string, string>
    const deploymentEnv = k8s('Deployment').spec.template.spec.containers[0].env as Array<{ name: string }>
    const compose = docs(path.join(DEPLOY, 'docker-compose.yml'))[0]
    const composeEnv = compose['x-gateway'].environment as Record<string, string>
    const names = [
      ...Object.keys(configMap),
      ...Object.keys(secret),
      ...deploymentEnv.map((e) => e.name),
      ...Object.keys(composeEnv),
    ]
    expect(names.filter((n) => !known.has(n))).toEqual([])
    // The manifests' values pass validation as they stand (compose's secret comes from the shell).
    expect(() => loadConfig({ ...configMap, ...secret })).not.toThrow()
    expect(() => loadConfig({ ...composeEnv, SESSION_SECRET: 'x'.repeat(32) })).not.toThrow()
  })

  it('the manifests trust exactly one proxy hop, not every X-Forwarded-For entry', () => {
    const configMap = k8s('ConfigMap').data as Record<string, string>
    const composeEnv = docs(path.join(DEPLOY, 'docker-compose.yml'))[0]['x-gateway'].environment
    for (const env of [configMap, composeEnv]) {
      const config = loadConfig({ ...env, SESSION_SECRET: 'x'.repeat(32) })
      expect(config.trustProxy).toBe(1)
      expect(config.trustProxyWarning).toBeUndefined()
    }
    // HAProxy appends the client it saw, and sets the protocol itself rather than passing the client's on.
    const haproxy = readFileSync(path.join(DEPLOY, 'haproxy/haproxy.cfg'), 'utf8')
    expect(haproxy).toMatch(/^\s*option forwardfor\b/m)
    expect(haproxy).toMatch(/^\s*http-request set-header X-Forwarded-Proto /m)
    expect(haproxy).toMatch(/^\s*http-request del-header X-Forwarded-Host/m)
  })

  it('only the config module reads the environment, and only names the spec declares', () => {
    const known = new Set<string>(CONFIG_NAMES)
    const files = readdirSync(path.join(REPO, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join('src', f))
    for (const file of files) {
      const source = readFileSync(path.join(REPO, file), 'utf8')
      const reads = [
        ...source.matchAll(/\b(?:process\.)?env(?:\.([A-Z_][A-Z0-9_]*)|\[['"]([A-Z_][A-Z0-9_]*)['"]\])/g),
      ]
      const names = reads.map((m) => m[1] ?? m[2])
      if (!['src/config.ts', path.join('src', 'config', 'spec.ts')].includes(file))
        expect(names, `${file} reads the environment`).toEqual([])
      for (const name of names) expect(known.has(name as string), `${file}: ${name}`).toBe(true)
    }
  })

  it('the Dockerfile runs as non-root with a health check and exposes the configured port', () => {
    const dockerfile = readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8')
    const stages = dockerfile.match(/^FROM /gm) ?? []
    expect(stages.length).toBeGreaterThanOrEqual(2)
    // The image runs the current LTS (CI tests it beside the machine's Node).
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m)
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))
    const user = /^USER (\S+)$/m.exec(runtime)?.[1]
    expect(user).toBeDefined()
    expect(['root', '0']).not.toContain(user)
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m)
    expect(/^EXPOSE (\d+)$/m.exec(runtime)?.[1]).toBe(String(defaults.port))
    expect(runtime).toMatch(/^STOPSIGNAL SIGTERM$/m)
    expect(runtime).toMatch(/npm ci --omit=dev|--from=deps/)
    // The image runs node as `npm start` does, with the same flags (the benchmark reads them there).
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)?.[1] ?? '[]') as string[]
    const pkg = JSON.parse(readFileSync(path.join(DEPLOY, '../package.json'), 'utf8')) as {
      scripts: { start: string }
    }
    expect(cmd.join(' ')).toBe(pkg.scripts.start)
  })

  it('docker-compose runs three gateways, HAProxy, Redis and vsftpd', () => {
    const compose = docs(path.join(DEPLOY, 'docker-compose.yml'))[0]
    expect(Object.keys(compose.services).sort()).toEqual(
      ['gateway1', 'gateway2', 'gateway3', 'haproxy', 'redis', 'vsftpd'].sort(),
    )
  })
})
