/**
 * axe-core in a Playwright page: the library is evaluated through the DevTools protocol (not a
 * <script> tag, which the page's CSP rightly refuses) and run over the whole document, open
 * dialogs included. Returns the violations as short strings (rule id and the first targets), so
 * a failing assertion says what to fix.
 */
import axe from 'axe-core'
import type { Page } from 'playwright-core'

/** The violations axe finds in the page now (WCAG 2.x A and AA plus best practices). */
export async function axeViolations(page: Page): Promise<string[]> {
  const loaded = await page.evaluate<boolean>('typeof window.axe === "object"')
  if (!loaded) await page.evaluate(axe.source)
  const results = await page.evaluate<{ id: string; nodes: { target: string[] }[] }[]>(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
      .then(function (r) { return r.violations.map(function (v) { return { id: v.id, nodes: v.nodes.map(function (n) { return { target: n.target.map(String) }; }) }; }); })`,
  )
  return results.map(
    (v) =>
      `${v.id}: ${v.nodes
        .slice(0, 3)
        .map((n) => n.target.join(' '))
        .join(', ')}`,
  )
}
