import { test, expect } from './fixtures'

test('an admin manages webhooks in Settings → Integrations: create with the event picker, edit, deactivate, rotate the secret, send a test event, delete', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { mo: 'editor' } })
  const { page } = await newUserPage(w.owner, `/o/${w.org}`)
  await page.getByRole('link', { name: 'Integrations' }).click()
  await expect(page.getByRole('heading', { name: 'Integrations' })).toBeVisible()
  await expect(page.getByText('No webhooks yet')).toBeVisible()

  // Bad URLs: the server's 422 shows at the field and nothing is created.
  await page.getByRole('button', { name: 'New webhook' }).click()
  const dialog = page.getByRole('dialog', { name: 'New webhook' })
  const url = dialog.getByLabel('Endpoint URL')
  await url.fill('ftp://example.com/hook')
  await dialog.getByRole('button', { name: 'Create webhook' }).click()
  await expect(dialog.locator('#f-webhook-url-err')).toContainText('http')
  await url.fill('http://127.0.0.1:9/hook')
  await dialog.getByRole('button', { name: 'Create webhook' }).click()
  await expect(dialog.locator('#f-webhook-url-err')).toContainText('not a public address')
  expect((await server.call('GET', `/api/v1/orgs/${w.org}/webhooks`, { token: w.owner.token })).json).toEqual([])

  // The picker: tasks by default; a pattern typed by hand; "Every event" covers the rest.
  await url.fill('https://93.184.216.34/atrium')
  await dialog.getByLabel('Description').fill('Build server')
  await expect(dialog.getByLabel('All tasks')).toBeChecked()
  await expect(dialog.getByLabel('Task created')).toBeDisabled()
  await dialog.getByLabel('Other pattern').fill('leave.*')
  await dialog.getByRole('button', { name: 'Add pattern' }).click()
  await expect(dialog.locator('#ev-custom-err')).toBeVisible()
  await dialog.getByLabel('Other pattern').fill('record.leave_request.*')
  await dialog.getByRole('button', { name: 'Add pattern' }).click()
  await expect(dialog.getByRole('list', { name: 'Other patterns' })).toContainText('record.leave_request.*')
  await dialog.getByRole('button', { name: 'Create webhook' }).click()
  await expect(dialog).toHaveCount(0)
  const secret = await page.getByTestId('webhook-secret').textContent()
  expect(secret).toMatch(/^whsec_/)
  const row = page.getByTestId('webhook')
  await expect(row).toContainText('https://93.184.216.34/atrium')
  await expect(row).toContainText('record.leave_request.*, task.*')
  let hooks = (await server.call('GET', `/api/v1/orgs/${w.org}/webhooks`, { token: w.owner.token })).json
  expect(hooks.length).toBe(1)
  expect(hooks[0].events).toEqual(['record.leave_request.*', 'task.*'])
  const hook = hooks[0].id as string
  await shot(page, 'webhook-created')

  // Edit: documents too.
  await row.getByRole('button', { name: 'Edit' }).click()
  const edit = page.getByRole('dialog', { name: 'Edit webhook' })
  await edit.getByLabel('All documents').check()
  await edit.getByRole('button', { name: 'Save webhook' }).click()
  await expect(edit).toHaveCount(0)
  await expect(row).toContainText('doc.*')

  // Deactivate and activate again.
  await row.getByRole('button', { name: 'Deactivate' }).click()
  await expect(row.getByTestId('webhook-inactive')).toBeVisible()
  expect((await server.call('GET', `/api/v1/webhooks/${hook}`, { token: w.owner.token })).json.active).toBe(false)
  await row.getByRole('button', { name: 'Activate' }).click()
  await expect(row.getByTestId('webhook-inactive')).toHaveCount(0)

  // Rotation shows the new secret once.
  await row.getByRole('button', { name: 'Rotate secret' }).click()
  await page.getByRole('dialog', { name: 'Rotate the signing secret?' }).getByRole('button', { name: 'Rotate secret' }).click()
  await expect(page.getByTestId('webhook-secret')).not.toHaveText(secret!)
  await expect(page.getByTestId('webhook-secret')).toHaveText(/^whsec_/)
  expect((await server.call('GET', `/api/v1/webhooks/${hook}`, { token: w.owner.token })).json.previous_secret_until).toBeGreaterThan(Date.now())

  // The delivery log: a test event is queued and its attempt shows (the address is not
  // reachable from here, so it fails and waits for its retry).
  await row.getByRole('button', { name: 'Deliveries' }).click()
  await expect(row.getByText('Nothing delivered yet')).toBeVisible()
  await row.getByRole('button', { name: 'Send test event' }).click()
  const delivery = row.getByTestId('delivery')
  await expect(delivery).toContainText('webhook.test')
  await expect(async () => {
    await row.getByRole('button', { name: 'Refresh' }).click()
    await expect(delivery.getByTestId('delivery-error')).toBeVisible({ timeout: 1000 })
  }).toPass({ timeout: 20_000 })
  await delivery.getByRole('button', { name: 'Body' }).click()
  await expect(delivery.locator('pre')).toContainText('"type": "webhook.test"')
  await shot(page, 'webhook-deliveries')

  // A member without admin rights has no Integrations link and is told so on the page.
  const mo = await newUserPage(w.users.mo, `/o/${w.org}`)
  await expect(mo.page.getByRole('link', { name: 'Projects' })).toBeVisible()
  await expect(mo.page.getByRole('link', { name: 'Integrations' })).toHaveCount(0)

  // Delete.
  await row.getByRole('button', { name: 'Delete' }).click()
  await page.getByRole('dialog', { name: 'Delete this webhook?' }).getByRole('button', { name: 'Delete webhook' }).click()
  await expect(page.getByText('No webhooks yet')).toBeVisible()
  hooks = (await server.call('GET', `/api/v1/orgs/${w.org}/webhooks`, { token: w.owner.token })).json
  expect(hooks).toEqual([])
})
