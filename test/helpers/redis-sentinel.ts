/**
 * A real Redis Sentinel setup for failover tests: a master, one replica and three sentinels
 * (`redis-server --sentinel`), all on 127.0.0.1 ports the OS hands out, no persistence, in a
 * fresh temp folder (sentinels rewrite their config file). Sentinels decide a master is down after
 * `downAfterMs` and need two of three to agree, as a production quorum would.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { freePort } from './servers/common.js'
import { waitFor } from './wait-for.js'

/** The name the sentinels monitor the master under. */
export const SENTINEL_MASTER_NAME = 'ftpgw-test-master'

/** A running master + replica + three sentinels. */
export interface SentinelSetup {
  masterPort: number
  replicaPort: number
  sentinelPorts: number[]
  /** REDIS_SENTINELS for the gateway. */
  sentinelsSetting: string
  /** SIGKILLs the current master process (no shutdown, no save: a crash). */
  killMaster(): void
  /** The port the sentinels currently name as master. */
  currentMasterPort(): Promise<number>
  stop(): Promise<void>
}

function startRedis(args: string[]): ChildProcess {
  return spawn('redis-server', args, { stdio: 'ignore' })
}

async function answers(port: number, command: string[]): Promise<unknown> {
  const c = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  })
  try {
    await c.connect()
    return await c.call(command[0] as string, ...command.slice(1))
  } finally {
    c.disconnect()
  }
}

/** Starts the five processes and waits until every sentinel knows the replica and its two peers. */
export async function startSentinelSetup(options: { downAfterMs?: number } = {}): Promise<SentinelSetup> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ftpgw-sentinel-'))
  const masterPort = await freePort()
  const replicaPort = await freePort()
  const sentinelPorts = [await freePort(), await freePort(), await freePort()]
  const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]
  const procs = new Map<number, ChildProcess>()
  procs.set(masterPort, startRedis(['--port', String(masterPort), ...common]))
  procs.set(
    replicaPort,
    startRedis(['--port', String(replicaPort), '--replicaof', '127.0.0.1', String(masterPort), ...common]),
  )
  const downAfter = options.downAfterMs ?? 1000
  for (const port of sentinelPorts) {
    const file = path.join(dir, `sentinel-${port}.conf`)
    await writeFile(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${downAfter}`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
        '',
      ].join('\n'),
    )
    procs.set(port, startRedis([file, '--sentinel']))
  }
  const setup: SentinelSetup = {
    masterPort,
    replicaPort,
    sentinelPorts,
    sentinelsSetting: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
    killMaster() {
      procs.get(masterPort)?.kill('SIGKILL')
    },
    async currentMasterPort() {
      for (const port of sentinelPorts) {
        const reply = await answers(port, [
          'SENTINEL',
          'get-master-addr-by-name',
          SENTINEL_MASTER_NAME,
        ]).catch(() => undefined)
        if (Array.isArray(reply) && reply.length === 2) return Number(reply[1])
      }
      return 0
    },
    async stop() {
      for (const p of procs.values()) p.kill('SIGKILL')
      await rm(dir, { recursive: true, force: true })
    },
  }
  const known = await waitFor(async () => {
    for (const port of sentinelPorts) {
      const replicas = await answers(port, ['SENTINEL', 'replicas', SENTINEL_MASTER_NAME]).catch(() => [])
      const peers = await answers(port, ['SENTINEL', 'sentinels', SENTINEL_MASTER_NAME]).catch(() => [])
      if (!Array.isArray(replicas) || replicas.length !== 1) return false
      if (!Array.isArray(peers) || peers.length !== 2) return false
    }
    // The replica has the master's data stream (a failover would otherwise lose the test's writes).
    const info = String(await answers(replicaPort, ['INFO', 'replication']).catch(() => ''))
    return info.includes('master_link_status:up')
  }, 30_000)
  if (!known) {
    await setup.stop()
    throw new Error('sentinel setup did not converge within 30 s')
  }
  return setup
}
