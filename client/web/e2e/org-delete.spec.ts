import fs from 'node:fs'
import { test, expect } from './fixtures'
import { violations } from './axe'

test('an owner exports the organisation, downloads the ZIP, and deletes it by typing its name; an admin sees no Danger zone', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const orgName = (await server.call('GET', '/api/v1/orgs', { token: w.owner.token })).json.items.find((o: any) => o.id === w.org).name as string
  // Bob is an admin: he manages the organisation but may not delete it.
  const members = (await server.call('GET', `/api/v1/orgs/${w.org}/members`, { token: w.owner.token })).json.items
  expect(members.some((m: any) => m.user.id === w.users.bob.id)).toBe(true)
  await server.call('PATCH', `/api/v1/orgs/${w.org}/members/${w.users.bob.id}`, { token: w.owner.token, json: { role: 'admin' } })

  const bob = await newUserPage(w.users.bob, `/o/${w.org}/settings`)
  await expect(bob.page.getByRole('heading', { name: 'Organisation settings' })).toBeVisible()
  await expect(bob.page.getByRole('form', { name: 'Organisation name' })).toBeVisible()
  await expect(bob.page.getByRole('heading', { name: 'Danger zone' })).toHaveCount(0)
  await expect(bob.page.getByRole('button', { name: 'Delete organisation…' })).toHaveCount(0)
  await bob.context.close()

  // axe is injected as an inline script, which the server's CSP (rightly) forbids.
  const { page } = await newUserPage(w.owner, `/o/${w.org}/settings`, { bypassCSP: true })
  const zone = page.getByRole('region', { name: 'Danger zone' })
  await expect(zone).toBeVisible()

  // Without an export the dialog says to export first, and deletion stays disabled.
  await zone.getByRole('button', { name: 'Delete organisation…' }).click()
  let dialog = page.getByRole('dialog', { name: 'Delete organisation' })
  await expect(dialog).toContainText('Export the organisation first')
  const confirm = dialog.getByLabel(/Type the organisation's name/)
  const remove = dialog.getByRole('button', { name: 'Delete organisation' })
  await confirm.fill(orgName)
  await expect(remove).toBeDisabled()
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => localStorage.setItem('atrium.theme', t), theme)
    await page.reload()
    await page.getByRole('region', { name: 'Danger zone' }).getByRole('button', { name: 'Delete organisation…' }).click()
    await expect(page.getByRole('dialog', { name: 'Delete organisation' })).toBeVisible()
    expect(await violations(page), `${theme} delete dialog`).toEqual([])
    await shot(page, `${theme}-delete-dialog`)
    await page.keyboard.press('Escape')
    await expect(page.getByRole('dialog', { name: 'Delete organisation' })).toHaveCount(0)
  }
  await page.evaluate(() => localStorage.setItem('atrium.theme', 'light'))
  await page.reload()

  // Export everything from the Danger zone: it is prepared, then offered for download.
  await zone.getByRole('button', { name: 'Export everything' }).click()
  const recent = zone.getByRole('list', { name: 'Recent exports' })
  const download = recent.getByRole('link', { name: 'Download ZIP' })
  await expect(download).toBeVisible({ timeout: 30_000 })
  expect(await violations(page), 'settings with an export').toEqual([])
  await shot(page, 'export-ready')
  const [file] = await Promise.all([page.waitForEvent('download'), download.click()])
  expect(file.suggestedFilename()).toMatch(/^atrium-export-\d+\.zip$/)
  const bytes = fs.readFileSync((await file.path())!)
  expect(bytes.length).toBeGreaterThan(100)
  expect(bytes.subarray(0, 4).toString('binary')).toBe('PK\x03\x04')

  // The dialog: a wrong name keeps the button disabled, the exact name enables it.
  await zone.getByRole('button', { name: 'Delete organisation…' }).click()
  dialog = page.getByRole('dialog', { name: 'Delete organisation' })
  await expect(dialog).toContainText('It is deleted with the organisation')
  await dialog.getByLabel(/Type the organisation's name/).fill(orgName.toLowerCase())
  await expect(dialog.getByRole('button', { name: 'Delete organisation' })).toBeDisabled()
  await dialog.getByLabel(/Type the organisation's name/).fill(orgName)
  await expect(dialog.getByRole('button', { name: 'Delete organisation' })).toBeEnabled()
  expect(await violations(page), 'delete dialog ready').toEqual([])
  await shot(page, 'delete-ready')
  await dialog.getByRole('button', { name: 'Delete organisation' }).click()

  // The owner had only this organisation: the start page offers to create one.
  await expect(page.getByRole('heading', { name: 'Welcome to Atrium' })).toBeVisible()
  await expect(page).toHaveURL(/\/$/)
  await expect(page.getByText(orgName)).toHaveCount(0)
  await shot(page, 'after-delete')
  expect((await server.request('GET', `/api/v1/orgs/${w.org}/projects`, { token: w.owner.token })).status).toBe(404)
  const orgs = (await server.call('GET', '/api/v1/orgs', { token: w.users.bob.token })).json.items
  expect(orgs.some((o: any) => o.id === w.org)).toBe(false)
})
