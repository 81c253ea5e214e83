import { createRequire } from 'node:module'
import type { Page } from '@playwright/test'

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')

/** WCAG 2 A/AA violations axe-core finds on the page as it is now, one line each (rule, help,
 * the first few offending elements), so a failing check names what to fix. */
export async function violations (page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE })
  return await page.evaluate(async () => {
    const r = await (window as any).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } })
    return r.violations.map((v: any) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')).join(', ')}`)
  })
}
