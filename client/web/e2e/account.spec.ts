import { createRequire } from 'node:module'
import type { Page } from '@playwright/test'
import { test, expect } from './fixtures'

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')

/** WCAG 2 A/AA violations axe-core finds on the page as it is now (as a11y.spec.ts checks). */
async function violations (page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE })
  return await page.evaluate(async () => {
    const r = await (window as any).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } })
    return r.violations.map((v: any) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')).join(', ')}`)
  })
}

test('changing the password in Settings → Security: a wrong current password and a mismatch are shown at their fields, and success signs out the other sessions only', async ({ server, newUserPage, shot }) => {
  const ann = await server.user('ann')
  // Another browser of Ann's, signed in before the change.
  const elsewhere = (await server.call('POST', '/api/v1/auth/login', { json: { email: ann.email, password: ann.password } })).json.token as string

  // axe is injected as an inline script, which the server's CSP (rightly) forbids.
  const { page } = await newUserPage(ann, '/settings/security', { bypassCSP: true })
  const form = page.getByRole('form', { name: 'Change password' })
  const current = form.getByLabel('Current password')
  const next = form.getByLabel('New password', { exact: true })
  const repeat = form.getByLabel('Repeat the new password')
  const save = form.getByRole('button', { name: 'Change password' })
  const newPassword = 'Lighthouse-keeper-on-a-quiet-night'

  // The repetition is checked in the browser, the current password by the server.
  await current.fill('not the password at all')
  await next.fill(newPassword)
  await repeat.fill(newPassword + 'x')
  await save.click()
  await expect(page.locator('#f-repeat-password-err')).toHaveText('does not match the new password')
  await repeat.fill(newPassword)
  await save.click()
  await expect(page.locator('#f-current-password-err')).toHaveText('the password is wrong')
  await expect(current).toHaveAttribute('aria-invalid', 'true')
  expect(await violations(page)).toEqual([])
  await shot(page, 'wrong-current')

  // The sign-up rules apply to the new one.
  await current.fill(ann.password)
  await next.fill('short')
  await repeat.fill('short')
  await save.click()
  await expect(page.locator('#f-new-password-err')).toContainText('at least 10 characters')

  await next.fill(newPassword)
  await repeat.fill(newPassword)
  await save.click()
  await expect(form.getByRole('status')).toContainText('Your password is changed')
  await expect(current).toHaveValue('')
  expect(await violations(page)).toEqual([])
  await shot(page, 'changed')

  // This session stays; the other one is signed out; only the new password logs in.
  await page.reload()
  await expect(page.getByRole('form', { name: 'Change password' })).toBeVisible()
  expect((await server.request('GET', '/api/v1/me', { token: elsewhere })).status).toBe(401)
  expect((await server.request('POST', '/api/v1/auth/login', { json: { email: ann.email, password: ann.password } })).status).toBe(401)
  expect((await server.request('POST', '/api/v1/auth/login', { json: { email: ann.email, password: newPassword } })).status).toBe(200)
})
