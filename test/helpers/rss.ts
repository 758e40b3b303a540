/**
 * Memory checks for tests that run a gateway in their own process: the growth of this process's
 * RSS while something streams through it. A bound on growth, never on time.
 */

/** Runs `fn` while sampling this process's RSS; returns the largest growth over the start, in bytes. */
export async function rssGrowthDuring(fn: () => Promise<void>): Promise<number> {
  globalThis.gc?.()
  const start = process.memoryUsage().rss
  let peak = start
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  try {
    await fn()
  } finally {
    clearInterval(timer)
  }
  return Math.max(peak, process.memoryUsage().rss) - start
}
