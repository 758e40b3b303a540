/**
 * The Helm chart (deploy/helm/ftp-gateway) and the plain manifests (deploy/k8s), validated:
 * - the chart is rendered with Helm's engine (scripts/helm-render: Go text/template + sprig, built
 *   from Debian's packages; there is no helm binary in Debian or on npm), once with its defaults
 *   and once with every option on (TLS, config file, ServiceMonitor, no autoscaler);
 * - every object, rendered or from deploy/k8s, validates against the Kubernetes API schemas of
 *   `kubernetes-models` (and the Prometheus Operator's for the ServiceMonitor);
 * - every environment name a manifest sets is one the config spec declares (CONFIG_NAMES);
 * - the chart renders what deploy/k8s has: the same kinds, probes, ports and preStop, the same
 *   settings with the same values.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseAllDocuments, stringify } from 'yaml'
import { CONFIG_NAMES, loadConfig } from '../../../src/config.js'

const run = promisify(execFile)
const REPO = path.resolve(import.meta.dirname, '../../..')
const CHART = path.join(REPO, 'deploy/helm/ftp-gateway')
const K8S = path.join(REPO, 'deploy/k8s')
const RENDERER = path.join(REPO, 'scripts/helm-render/main.go')

/**
 * Settings another part of issue 22 / issue 17 introduces (HTTPS: TLS_CERT_FILE/TLS_KEY_FILE; the
 * config file: GATEWAY_CONFIG) that the chart already wires behind options that are off by
 * default. Accepted only while the spec on this branch lacks them; once merged they are checked
 * like every other name. The default rendering never uses them.
 */
const PENDING_NAMES = ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'GATEWAY_CONFIG'].filter(
  (n) => !CONFIG_NAMES.includes(n),
)

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML
type Obj = any

/** Validators per apiVersion/kind: a model class's validate() throws with every schema violation. */
const MODELS: Record<string, new (o: Obj) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
}

function validate(o: Obj, where: string): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`]
  if (!Model) throw new Error(`${where}: no schema for ${o.apiVersion} ${o.kind}`)
  try {
    new Model(o).validate()
  } catch (err) {
    throw new Error(`${where} (${o.kind} ${o.metadata?.name}): ${(err as Error).message}`)
  }
}

function parseDocs(text: string, where: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${where}: ${d.errors.map((e) => e.message).join('; ')}`)
      return d.toJS()
    })
    .filter((o) => o !== null && o !== undefined)
}

let renderer: string

/** Builds scripts/helm-render once per source version (GOPATH mode, Debian's Go packages only). */
async function buildRenderer(): Promise<string> {
  const source = readFileSync(RENDERER)
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12)
  const dir = path.join(os.tmpdir(), 'ftpgw-helm-render')
  const bin = path.join(dir, `helm-render-${hash}`)
  if (existsSync(bin)) return bin
  await mkdir(dir, { recursive: true })
  await run('go', ['build', '-o', bin, RENDERER], {
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH: `${path.join(dir, 'gopath')}:/usr/share/gocode`,
      GOCACHE: path.join(dir, 'gocache'),
      GOFLAGS: '',
    },
  })
  return bin
}

async function render(values?: Obj): Promise<Obj[]> {
  const args = [CHART, '--release', 'gw', '--namespace', 'files']
  if (values) {
    const file = path.join(os.tmpdir(), `ftpgw-helm-values-${process.pid}.yaml`)
    await writeFile(file, stringify(values))
    args.push('-f', file)
  }
  const { stdout } = await run(renderer, args)
  return parseDocs(stdout, 'rendered chart')
}

const ALL_ON = {
  autoscaling: { enabled: false },
  replicaCount: 2,
  tls: { secretName: 'gateway-tls' },
  configFile: {
    content: { upstreams: { main: { url: 'ftpes://ftp.example:21' } }, mounts: [{ path: '/' }] },
  },
  serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
  secret: { existingSecret: 'gateway-secrets' },
  networkPolicy: {
    ingressFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } } }],
  },
  env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318', OTEL_SERVICE_NAME: 'ftp-gateway' },
}

/** Every environment name the objects set: ConfigMap data, Secret data, container env. */
function envNames(objs: Obj[]): string[] {
  const names: string[] = []
  for (const o of objs) {
    if (o.kind === 'ConfigMap') names.push(...Object.keys(o.data ?? {}).filter((k) => !k.includes('.')))
    if (o.kind === 'Secret') names.push(...Object.keys(o.stringData ?? o.data ?? {}))
    if (o.kind === 'Deployment')
      for (const c of o.spec.template.spec.containers)
        names.push(...(c.env ?? []).map((e: { name: string }) => e.name))
  }
  return names
}

function one(objs: Obj[], kind: string): Obj {
  const found = objs.filter((o) => o.kind === kind)
  expect(found, kind).toHaveLength(1)
  return found[0]
}

const k8sObjects = readdirSync(K8S)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseDocs(readFileSync(path.join(K8S, f), 'utf8'), f))

beforeAll(async () => {
  renderer = await buildRenderer()
}, 120_000)

describe('Kubernetes manifests', () => {
  it('deploy/k8s: every object validates against the Kubernetes schemas', () => {
    expect(k8sObjects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ])
    for (const o of k8sObjects) validate(o, 'deploy/k8s')
    expect(envNames(k8sObjects).filter((n) => !CONFIG_NAMES.includes(n))).toEqual([])
  })

  it('the chart with its defaults: valid objects, known settings, the same as deploy/k8s', async () => {
    const objs = await render()
    for (const o of objs) validate(o, 'chart defaults')
    expect(objs.map((o) => o.kind).sort()).toEqual(k8sObjects.map((o) => o.kind).sort())
    expect(envNames(objs).filter((n) => !CONFIG_NAMES.includes(n))).toEqual([])

    // Same settings, same values (the chart's names carry the release; the values are the point).
    const chartEnv = { ...one(objs, 'ConfigMap').data, ...one(objs, 'Secret').stringData }
    const k8sEnv = { ...one(k8sObjects, 'ConfigMap').data, ...one(k8sObjects, 'Secret').stringData }
    for (const [name, value] of Object.entries(k8sEnv)) expect(chartEnv[name], name).toBe(value)
    expect(() => loadConfig(chartEnv)).not.toThrow()

    const [c] = one(objs, 'Deployment').spec.template.spec.containers
    const [k] = one(k8sObjects, 'Deployment').spec.template.spec.containers
    for (const field of [
      'ports',
      'readinessProbe',
      'livenessProbe',
      'lifecycle',
      'securityContext',
      'resources',
    ])
      expect(c[field], field).toEqual(k[field])
    expect(one(objs, 'Deployment').spec.template.spec.terminationGracePeriodSeconds).toBe(
      one(k8sObjects, 'Deployment').spec.template.spec.terminationGracePeriodSeconds,
    )
    for (const kind of ['HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service'])
      expect(
        one(objs, kind).spec.minReplicas ?? one(objs, kind).spec.minAvailable ?? one(objs, kind).spec.ports,
      ).toEqual(
        one(k8sObjects, kind).spec.minReplicas ??
          one(k8sObjects, kind).spec.minAvailable ??
          one(k8sObjects, kind).spec.ports,
      )
    // The selector the Service, PDB and NetworkPolicy use matches the pods.
    const podLabels = one(objs, 'Deployment').spec.template.metadata.labels
    expect(podLabels).toMatchObject(one(objs, 'Service').spec.selector)
    expect(podLabels).toMatchObject(one(objs, 'PodDisruptionBudget').spec.selector.matchLabels)
    expect(podLabels).toMatchObject(one(objs, 'NetworkPolicy').spec.podSelector.matchLabels)
  })

  it('the chart with every option on: TLS mount, config file, ServiceMonitor, fixed replicas', async () => {
    const objs = await render(ALL_ON)
    for (const o of objs) validate(o, 'chart, all options')
    const unknown = envNames(objs).filter((n) => !CONFIG_NAMES.includes(n))
    expect(unknown.filter((n) => !PENDING_NAMES.includes(n))).toEqual([])
    const kinds = objs.map((o) => o.kind)
    expect(kinds).toContain('ServiceMonitor')
    expect(kinds).not.toContain('HorizontalPodAutoscaler')
    expect(kinds).not.toContain('Secret')
    const deployment = one(objs, 'Deployment')
    expect(deployment.spec.replicas).toBe(2)
    const pod = deployment.spec.template.spec
    const [c] = pod.containers
    expect(c.envFrom[1].secretRef.name).toBe('gateway-secrets')
    const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]))
    expect(env.TLS_CERT_FILE).toBe('/etc/ftp-gateway/tls/tls.crt')
    expect(env.GATEWAY_CONFIG).toBe('/etc/ftp-gateway/gateway.yaml')
    expect(c.readinessProbe.httpGet.scheme).toBe('HTTPS')
    // The certificate Secret is mounted as a directory so renewals reach the pod (no subPath).
    const tlsMount = c.volumeMounts.find((m: Obj) => m.name === 'tls')
    expect(tlsMount.subPath).toBeUndefined()
    expect(pod.volumes.find((v: Obj) => v.name === 'tls').secret.secretName).toBe('gateway-tls')
    // The config file lands in the ConfigMap as YAML the gateway can read.
    const file = one(objs, 'ConfigMap').data['gateway.yaml']
    expect(parseDocs(file, 'gateway.yaml')[0]).toEqual(ALL_ON.configFile.content)
    expect(one(objs, 'ServiceMonitor').metadata.labels.release).toBe('prometheus')
  })

  it('a broken object is caught by the schema check', () => {
    const bad = structuredClone(one(k8sObjects, 'Deployment'))
    bad.spec.template.spec.containers[0].ports[0].containerPort = 'eighty'
    expect(() => validate(bad, 'planted')).toThrow(/containerPort/)
    const noSelector = structuredClone(one(k8sObjects, 'PodDisruptionBudget'))
    noSelector.spec.minAvailable = { nested: true }
    expect(() => validate(noSelector, 'planted')).toThrow()
  })
})
