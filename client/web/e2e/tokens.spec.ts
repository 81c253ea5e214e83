import { test, expect } from './fixtures'

test('a token limited to reading one org’s records: made in settings, refused elsewhere, revoked by an org admin', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const orgName = (await server.call('GET', '/api/v1/me', { token: w.owner.token })).json.orgs.find((o: { id: string }) => o.id === w.org).name as string
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'general' } }, 201)).json
  await server.call('POST', `/api/v1/orgs/${w.org}/records/client`, { token: w.owner.token, json: { name: 'Globex', currency: 'eur' } }, 201)

  // Bob makes the token in Settings → API tokens: only business records, read, in this org.
  const bob = await newUserPage(w.users.bob, '/settings/tokens')
  const form = bob.page.getByRole('form', { name: 'New API token' })
  await form.getByLabel('Token name').fill('ledger sync')
  await form.getByLabel('Only what I choose').check()
  const create = form.getByRole('button', { name: 'Create token' })
  await expect(create).toBeDisabled() // no area chosen yet
  await form.getByLabel('Limit to organisation').selectOption(w.org)
  await form.getByLabel('Business records').selectOption('read')
  await shot(bob.page, 'limited-token-form')
  await create.click()
  const secret = (await bob.page.getByTestId('new-token').textContent())!.trim()
  expect(secret).toMatch(/^atr_p_/)
  const row = bob.page.getByTestId('token-row').filter({ hasText: 'ledger sync' })
  await expect(row.getByTestId('token-scopes')).toHaveText(`Business records: read · ${orgName}`)
  await shot(bob.page, 'limited-token-listed')

  // The token reads the org's records and nothing else.
  expect((await server.request('GET', `/api/v1/orgs/${w.org}/records/client`, { token: secret })).status).toBe(200)
  expect((await server.request('GET', `/api/v1/channels/${channel.id}/messages`, { token: secret })).status).toBe(403)
  expect((await server.request('POST', `/api/v1/orgs/${w.org}/records/client`, { token: secret, json: { name: 'Hooli', currency: 'eur' } })).status).toBe(403)

  // The owner sees it among the org's tokens and revokes it; it stops working at once.
  const owner = await newUserPage(w.owner, `/o/${w.org}/settings/integrations`)
  const listed = owner.page.getByTestId('org-token').filter({ hasText: 'ledger sync' })
  await expect(listed).toContainText(w.users.bob.name)
  await expect(listed).toContainText('Business records: read')
  await shot(owner.page, 'org-tokens')
  await listed.getByRole('button', { name: 'Revoke' }).click()
  await owner.page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click()
  await expect(owner.page.getByTestId('org-token')).toHaveCount(0)
  expect((await server.request('GET', `/api/v1/orgs/${w.org}/records/client`, { token: secret })).status).toBe(401)
})
