/**
 * The one way tests wait for something to happen: poll a condition with a deadline. A fixed sleep
 * followed by an assertion is either too short on a loaded machine (flaky) or too long everywhere
 * (slow); polling is as quick as the thing itself and fails only past a generous bound.
 */

/**
 * Polls `check` every `everyMs` until it returns true (resolves true) or `timeoutMs` passes
 * (resolves false, after one last check). Callers assert the result, with a message saying what
 * was awaited: `expect(await waitFor(() => x.ready, 3000), 'ready').toBe(true)`.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
