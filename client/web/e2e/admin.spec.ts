import type { Page } from '@playwright/test'
import { test, expect } from './fixtures'

/** The select of one cell of the permission table. */
const cell = (page: Page, role: string, type: string, action: string) =>
  page.getByRole('combobox', { name: `${role} · ${type} · ${action}`, exact: true })

test('an admin defines a role, gives a business role to a member and changes the permission table; the member can then do what it allows', async ({ server, newUserPage, shot }) => {
  // Carol is a viewer in the project: by default she reads its documents and cannot edit them.
  const w = await server.world({ members: { carol: 'viewer' } })
  const docUrl = `/o/${w.org}/p/${w.project}/docs/${w.doc}`
  const carol = await newUserPage(w.users.carol, docUrl)
  await expect(carol.page.getByTestId('readonly-banner')).toBeVisible()
  await expect(carol.page.locator('.ProseMirror')).toHaveAttribute('contenteditable', 'false')

  const admin = await newUserPage(w.owner, `/o/${w.org}`)
  const a = admin.page
  await a.getByRole('link', { name: 'Roles and permissions' }).click()
  await expect(a.getByRole('heading', { name: 'Roles and permissions' })).toBeVisible()
  await expect(a.getByTestId('business-role').filter({ hasText: 'accountant' })).toContainText('Books, invoices and payments')

  // A bad name: the server's 422 shows at the field, and no role appears.
  await a.getByLabel('Name', { exact: true }).fill('Auditor!')
  await a.getByRole('button', { name: 'Create role' }).click()
  await expect(a.locator('#f-role-name-err')).toContainText('lowercase letters')
  await expect(a.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true')
  await expect(a.getByTestId('business-role').filter({ hasText: 'Auditor!' })).toHaveCount(0)
  await a.getByLabel('Name', { exact: true }).fill('auditor')
  await a.getByLabel('Description', { exact: true }).fill('Reads the books at year end')
  await a.getByRole('button', { name: 'Create role' }).click()
  await expect(a.getByTestId('business-role').filter({ hasText: 'auditor' })).toContainText('Reads the books at year end')
  await expect(a.getByLabel('Name', { exact: true })).toHaveValue('')
  // The same name again is refused at the field too.
  await a.getByLabel('Name', { exact: true }).fill('auditor')
  await a.getByRole('button', { name: 'Create role' }).click()
  await expect(a.locator('#f-role-name-err')).toContainText('already has a role named')
  // The new role has its row in the table, granted nothing.
  await expect(cell(a, 'auditor', 'Documents', 'read')).toHaveValue('none')

  // Members: Carol gets the accountant role; an invitation carries the new one.
  await a.getByRole('link', { name: 'Members', exact: true }).click()
  const carolRow = a.getByTestId('member').filter({ hasText: w.users.carol.name })
  await carolRow.getByRole('button', { name: `Business roles of ${w.users.carol.name}` }).click()
  const dialog = a.getByRole('dialog', { name: `Business roles of ${w.users.carol.name}` })
  await dialog.getByLabel('accountant', { exact: true }).check()
  await dialog.getByRole('button', { name: 'Save business roles' }).click()
  await expect(dialog).toHaveCount(0)
  await expect(carolRow.getByRole('list', { name: 'Business roles' })).toHaveText('accountant')
  const members = await server.call('GET', `/api/v1/orgs/${w.org}/members`, { token: w.owner.token })
  expect(members.json.items.find((m: any) => m.user.id === w.users.carol.id).roles).toEqual(['accountant'])

  await a.getByLabel('E-mail').fill('newcomer@example.com')
  await a.getByTestId('invite-form').getByLabel('auditor', { exact: true }).check()
  await a.getByRole('button', { name: 'Invite' }).click()
  await expect(a.getByTestId('pending-invitations')).toContainText('newcomer@example.com · member, auditor')

  // The table: accountants may write documents. The cell is marked as differing from the
  // default before and after saving.
  await a.getByRole('link', { name: 'Roles and permissions' }).click()
  await a.getByLabel('Resource type').selectOption({ label: 'Documents' })
  await expect(cell(a, 'editor', 'Documents', 'write')).toHaveValue('all')
  await expect(cell(a, 'owner', 'Organisation', 'read')).toHaveCount(0)
  const write = cell(a, 'accountant', 'Documents', 'write')
  await expect(write).toHaveValue('none')
  await write.selectOption('all')
  await expect(write).toHaveAttribute('aria-describedby', /perm-changed-note/)
  await a.getByRole('button', { name: 'Save permissions' }).click()
  await expect(a.getByText('Permissions saved')).toBeVisible()
  await expect(a.getByRole('button', { name: 'Save permissions' })).toBeDisabled()
  await expect(a.getByRole('button', { name: 'Reset accountant · Documents · write to the default' })).toBeVisible()
  const saved = await server.call('GET', `/api/v1/orgs/${w.org}/permissions`, { token: w.owner.token })
  expect(saved.json.overrides).toEqual([{ role: 'accountant', resource: 'document', action: 'write', scope: 'all' }])
  await shot(a, 'permissions-saved')

  // Carol, a viewer holding accountant, now edits the document.
  await carol.page.reload()
  const editor = carol.page.locator('.ProseMirror')
  await expect(editor).toHaveAttribute('contenteditable', 'true')
  await expect(carol.page.getByTestId('readonly-banner')).toHaveCount(0)
  await editor.click()
  await carol.page.keyboard.type('Carol balanced the books')
  await expect(carol.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect.poll(async () => (await server.call('GET', `/api/v1/docs/${w.doc}/content?format=text`, { token: w.owner.token })).text)
    .toContain('Carol balanced the books')
  // She cannot see the table itself (managing permissions is the admins').
  await carol.page.goto(`/o/${w.org}/roles`)
  await expect(carol.page.getByRole('note')).toContainText('Only people who may manage permissions')
  await expect(carol.page.getByRole('combobox', { name: /·/ })).toHaveCount(0)
})

test('a rule the server refuses shows its error and changes nothing; a cell resets to its default', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const { page } = await newUserPage(w.owner, `/o/${w.org}/roles`)
  await page.getByLabel('Resource type').selectOption({ label: 'Organisation' })
  const audit = cell(page, 'member', 'Organisation', 'read audit')
  await expect(audit).toHaveValue('none')
  // The owner's row is shown, fixed: no control to change it.
  await expect(page.locator('tr[data-role="owner"]')).toContainText('(fixed)')
  await expect(page.locator('tr[data-role="owner"] select')).toHaveCount(0)

  // The screen offers no bad rule, so one is added to the request on its way: a rule over the
  // owner's row, which the server refuses whole.
  await page.route('**/api/v1/orgs/*/permissions', async (route) => {
    if (route.request().method() !== 'PUT') return route.continue()
    const body = JSON.parse(route.request().postData() ?? '{}')
    body.overrides.push({ role: 'owner', resource: 'org', action: 'manage_permissions', scope: 'none' })
    await route.continue({ postData: JSON.stringify(body) })
  })
  await audit.selectOption('all')
  await page.getByRole('button', { name: 'Save permissions' }).click()
  const errors = page.getByTestId('permission-errors')
  await expect(errors).toContainText('the owner\'s permissions are fixed and cannot be overridden')
  await expect(errors).toContainText('Nothing was changed')
  // The edit is still there to fix, unsaved.
  await expect(audit).toHaveValue('all')
  await expect(page.getByRole('button', { name: 'Save permissions' })).toBeEnabled()
  const after = await server.call('GET', `/api/v1/orgs/${w.org}/permissions`, { token: w.owner.token })
  expect(after.json.overrides).toEqual([])
  await shot(page, 'refused')
  await page.unroute('**/api/v1/orgs/*/permissions')

  // Reset puts the cell back to its default; nothing is left to save.
  await page.getByRole('button', { name: 'Reset member · Organisation · read audit to the default' }).click()
  await expect(audit).toHaveValue('none')
  await expect(page.getByRole('button', { name: 'Save permissions' })).toBeDisabled()

  // A saved override, reset and saved again, is gone from the server.
  await audit.selectOption('all')
  await page.getByRole('button', { name: 'Save permissions' }).click()
  await expect(page.getByText('Permissions saved')).toBeVisible()
  expect((await server.call('GET', `/api/v1/orgs/${w.org}/permissions`, { token: w.owner.token })).json.overrides)
    .toEqual([{ role: 'member', resource: 'org', action: 'read_audit', scope: 'all' }])
  await page.getByRole('button', { name: 'Reset member · Organisation · read audit to the default' }).click()
  // The server sends the defaults: the reset cell shows its default before it is saved.
  await expect(audit).toHaveValue('none')
  await page.getByRole('button', { name: 'Save permissions' }).click()
  await expect(audit).toHaveValue('none')
  await expect(page.getByRole('button', { name: 'Reset member · Organisation · read audit to the default' })).toHaveCount(0)
  await expect.poll(async () => (await server.call('GET', `/api/v1/orgs/${w.org}/permissions`, { token: w.owner.token })).json.overrides).toEqual([])
})

test('a role change asks first, and a cancelled one changes nothing', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const bob = w.users.bob
  const { page } = await newUserPage(w.owner, `/o/${w.org}/members`)
  const role = page.getByLabel(`Role of ${bob.name}`)
  await expect(role).toHaveValue('member')
  await role.selectOption('admin')
  const ask = page.getByRole('dialog', { name: `Make ${bob.name} an admin?` })
  await expect(ask).toContainText('from member to admin')
  await shot(page, 'role-confirm')
  await ask.getByRole('button', { name: 'Cancel' }).click()
  await expect(role).toHaveValue('member')
  const roleOf = async () => (await server.call('GET', `/api/v1/orgs/${w.org}/members`, { token: w.owner.token })).json.items.find((m: any) => m.user.id === bob.id).role
  expect(await roleOf()).toBe('member')
  await role.selectOption('admin')
  await ask.getByRole('button', { name: 'Make admin' }).click()
  await expect.poll(roleOf).toBe('admin')
  await expect(role).toHaveValue('admin')

  // A project role too.
  await page.goto(`/o/${w.org}/p/${w.project}/settings`)
  const projectRole = page.getByLabel(`Role of ${bob.name}`)
  await projectRole.selectOption('viewer')
  await page.getByRole('dialog', { name: `Make ${bob.name} a viewer of this project?` }).getByRole('button', { name: 'Make viewer' }).click()
  await expect.poll(async () => (await server.call('GET', `/api/v1/projects/${w.project}/members`, { token: w.owner.token })).json.items.find((m: any) => m.user.id === bob.id).role).toBe('viewer')
})
