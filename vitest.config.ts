import { defineConfig } from 'vitest/config'

// Tests that drive Chromium: they test the page's own script, which does not depend on the Node
// version, so scripts/test-all.sh runs them once (on Node 24), not on every Node it tests.
const BROWSER = ['test/integration/browse/**/*.test.ts', 'test/integration/docs/**/*.test.ts']
// Tests that move a gigabyte or more: what they prove (streaming, memory held flat) is the same on
// every Node, and each costs a minute of both cores, so they too run once.
const HEAVY = [
  'test/integration/uploads/tus-two-instances.test.ts',
  'test/integration/zip/zip-download.test.ts',
  'test/integration/namespace/estate-dav.test.ts',
]
// Real-server tests mostly wait on sockets and child processes (about half of two cores is used
// with two workers), so they run more files at once than there are cores.
const workers = Number(process.env.FTPGW_TEST_WORKERS ?? 4)

/** Options every project that starts real servers shares. */
const realServers = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // Real servers bind fixed helpers' ports; files run in parallel but each picks free ports.
  fileParallelism: true,
  maxWorkers: workers,
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [...BROWSER, ...HEAVY],
          sequence: { groupOrder: 1 },
          ...realServers,
        },
      },
      {
        test: {
          name: 'browser',
          include: BROWSER,
          // Its own group: projects of one group run side by side, each with its own workers.
          sequence: { groupOrder: 2 },
          ...realServers,
        },
      },
      {
        test: {
          name: 'heavy',
          include: HEAVY,
          sequence: { groupOrder: 3 },
          ...realServers,
          testTimeout: 180_000,
        },
      },
      {
        test: {
          // Fault injection, hostile input and hostile servers (npm run test:faults): real servers
          // and processes; each file checks leaks and unhandled rejections after every case.
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          sequence: { groupOrder: 4 },
          testTimeout: 90_000,
          hookTimeout: 120_000,
          fileParallelism: true,
          // Three at once: the longest files (bans, process faults) mostly wait on timers and restarts.
          maxWorkers: 3,
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'json-summary', 'html'],
      reportsDirectory: 'coverage',
    },
  },
})
