/** store/setup.ts: which Redis topology plain options select (the gateway maps its configuration onto them). */
import { describe, expect, it } from 'vitest'
import { redisOptionsFor } from '../../../src/store/index.js'

const node = { host: '10.0.0.1', port: 7000 }

describe('redisOptionsFor', () => {
  it('is undefined without a topology: state stays in memory', () => {
    expect(redisOptionsFor({})).toBeUndefined()
    expect(redisOptionsFor({ keyPrefix: 'p:', sentinelName: 'mymaster' })).toBeUndefined()
  })

  it('prefers Cluster, then Sentinel, then a URL, and carries the key prefix', () => {
    const all = {
      redisUrl: 'redis://127.0.0.1:6379',
      sentinels: [node],
      sentinelName: 'mymaster',
      clusterNodes: [node],
      keyPrefix: 'p:',
    }
    expect(redisOptionsFor(all)).toEqual({ cluster: [node], keyPrefix: 'p:' })
    expect(redisOptionsFor({ ...all, clusterNodes: undefined })).toEqual({
      sentinels: [node],
      name: 'mymaster',
      keyPrefix: 'p:',
    })
    expect(redisOptionsFor({ redisUrl: all.redisUrl, keyPrefix: 'p:' })).toEqual({
      url: all.redisUrl,
      keyPrefix: 'p:',
    })
  })

  it('gives ioredis its own node lists (the configuration is deep-frozen)', () => {
    const nodes = Object.freeze([Object.freeze({ ...node })])
    const options = redisOptionsFor({ clusterNodes: nodes })
    expect(options?.cluster).not.toBe(nodes)
  })
})
