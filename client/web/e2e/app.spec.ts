import { test, expect } from './fixtures'
import { rand } from './harness'

test('sign up, create an organisation, a project and a document, log out and in again', async ({ page, shot }) => {
  const email = `ada-${rand()}@example.com`
  const password = `Long-enough-${rand(4)}-secret`
  await page.goto('/')
  await expect(page).toHaveURL(/\/login/)
  await page.getByRole('link', { name: 'Create an account' }).click()
  await page.getByLabel('Name').fill('Ada Lovelace')
  await page.getByLabel('E-mail').fill(email)
  await page.getByLabel('Password').fill('short')
  await page.getByRole('button', { name: 'Create account' }).click()
  // The server's validation message sits beside the password field.
  await expect(page.locator('#f-password-err')).toBeVisible()
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Create account' }).click()

  await page.getByLabel('Organisation name').fill('Analytical Engines')
  await page.getByRole('button', { name: 'Create organisation' }).click()
  await expect(page.getByRole('heading', { name: 'Projects' })).toBeVisible()
  await page.getByRole('button', { name: 'New project' }).click()
  await page.getByLabel('Name').fill('Notes')
  await page.getByRole('dialog').getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByRole('heading', { name: /Documents/ })).toBeVisible()
  await page.getByRole('button', { name: 'New document' }).first().click()
  await page.getByLabel('Title').fill('Plan')
  await page.getByRole('dialog').getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await page.locator('.ProseMirror').click()
  await page.keyboard.type('# Heading\nSome text')
  await expect(page.locator('.ProseMirror h1')).toHaveText('Heading')
  await shot(page, 'editor')

  await page.getByRole('link', { name: '← Documents' }).click()
  await expect(page.getByTestId('doc-list')).toContainText('Plan')
  await page.getByRole('button', { name: 'Rename Plan' }).click()
  await page.getByLabel('Title').fill('Plan B')
  await page.getByRole('dialog').getByRole('button', { name: 'Rename' }).click()
  await expect(page.getByTestId('doc-list')).toContainText('Plan B')
  await page.getByRole('button', { name: 'Move Plan B to the trash' }).click()
  await expect(page.getByText('No documents yet')).toBeVisible()
  await page.getByRole('button', { name: 'Trash', exact: true }).click()
  await page.getByRole('button', { name: 'Restore' }).click()
  await expect(page.getByText('The trash is empty')).toBeVisible()
  await page.getByRole('button', { name: 'Back to documents' }).click()
  await expect(page.getByTestId('doc-list')).toContainText('Plan B')
  await page.setViewportSize({ width: 390, height: 800 })
  await shot(page, 'phone')
  await page.setViewportSize({ width: 1280, height: 800 })

  await page.getByRole('button', { name: 'Switch to' }).click()
  await shot(page, 'theme')
  await page.getByLabel('Account menu').click()
  await page.getByRole('button', { name: 'Log out' }).click()
  await expect(page).toHaveURL(/\/login/)
  await page.getByLabel('E-mail').fill(email)
  await page.getByLabel('Password').fill('wrong password entirely')
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('alert')).toContainText(/wrong/i)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('heading', { name: 'Projects' })).toBeVisible()
})

test('settings keep the current organisation: its switcher, search and bell', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const second = (await server.call('POST', '/api/v1/orgs', { token: w.owner.token, json: { name: 'Second Org' } }, 201)).json.id as string
  const { page } = await newUserPage(w.owner, `/o/${second}`)
  await expect(page.getByRole('heading', { name: 'Projects' })).toBeVisible()
  await page.goto('/settings/profile')
  await expect(page.getByLabel('Organisation')).toHaveValue(second)
  await expect(page.getByLabel('Organisation').locator('option', { hasText: 'Choose…' })).toHaveCount(0)
  await expect(page.getByRole('button', { name: 'Search (Ctrl+K)' })).toBeVisible()
  await expect(page.getByTestId('notifications-bell')).toBeVisible()
  await expect(page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Projects', exact: true })).toHaveAttribute('href', `/o/${second}`)
  await shot(page, 'settings')
})

test('the account menu closes on navigation, a click outside and Escape', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const { page } = await newUserPage(w.owner, `/o/${w.org}`)
  const menu = page.locator('details.user-menu')
  const button = page.getByLabel('Account menu')
  const profile = page.getByRole('link', { name: 'Profile and settings' })

  await button.click()
  await expect(profile).toBeVisible()
  await shot(page, 'open')
  await profile.click()
  await expect(page).toHaveURL(/\/settings/)
  await expect(menu).not.toHaveAttribute('open')
  await expect(profile).toBeHidden()

  await button.click()
  await expect(profile).toBeVisible()
  await page.locator('main').click({ position: { x: 5, y: 5 } })
  await expect(profile).toBeHidden()

  await button.click()
  await expect(profile).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(profile).toBeHidden()
  await expect(button).toBeFocused()
})

test('a list that fails to load shows its error and a retry, not its empty state', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const { page } = await newUserPage(w.owner, `/o/${w.org}`)
  await page.route(/\/api\/v1\/projects\/[^/]+\/docs(\?.*)?$/, (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'The database is not answering.' } }) }))
  await page.route(/\/api\/v1\/me\/tokens$/, (route) => route.request().method() === 'GET'
    ? route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'The database is not answering.' } }) })
    : route.continue())
  await page.goto(`/o/${w.org}/p/${w.project}/docs`)
  await expect(page.getByRole('alert').filter({ hasText: 'The database is not answering.' })).toBeVisible()
  await expect(page.getByRole('button', { name: 'Try again' })).toBeVisible()
  await expect(page.getByText('No documents yet')).toBeHidden()
  await shot(page, 'docs')
  await page.goto('/settings/tokens')
  await expect(page.getByRole('alert').filter({ hasText: 'The database is not answering.' })).toBeVisible()
  await expect(page.getByText('No API tokens')).toBeHidden()
})

test('wording and layout: counts, expiry years, aligned buttons and checkboxes, quotes', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'general' } }, 201)).json
  const root = (await server.call('POST', `/api/v1/channels/${channel.id}/messages`, { token: w.owner.token, json: { text: '> quoted words\n\nand an answer' } }, 201)).json
  await server.call('POST', `/api/v1/channels/${channel.id}/messages`, { token: w.owner.token, json: { text: 'one reply', thread: root.id } }, 201)
  await server.call('POST', '/api/v1/me/tokens', { token: w.owner.token, json: { name: 'long-lived', expires_in_days: 400 } }, [200, 201])
  const { page } = await newUserPage(w.owner, `/o/${w.org}/threads`)

  await expect(page.getByText('1 reply', { exact: true })).toBeVisible()
  await expect(page.getByText('1 replies')).toHaveCount(0)

  await page.goto(`/o/${w.org}/chat/${channel.id}`)
  const quote = page.locator('blockquote', { hasText: 'quoted words' })
  await expect(quote).toBeVisible()
  expect(await quote.evaluate((el) => parseFloat(getComputedStyle(el).borderLeftWidth))).toBeGreaterThanOrEqual(2)
  await shot(page, 'quote')

  await page.goto('/settings/tokens')
  const expiry = new Date(Date.now() + 400 * 86_400_000).getFullYear()
  await expect(page.locator('.list-row', { hasText: 'long-lived' })).toContainText(`expires`)
  await expect(page.locator('.list-row', { hasText: 'long-lived' })).toContainText(String(expiry))
  const input = await page.getByLabel('Token name').boundingBox()
  const button = await page.getByRole('button', { name: 'Create token' }).boundingBox()
  expect(Math.abs((input!.y + input!.height) - (button!.y + button!.height)), 'button bottom vs field bottom').toBeLessThanOrEqual(1)
  await shot(page, 'tokens')

  await page.goto('/settings/notifications')
  // The box on its text's line: the label is one line high and the box sits in its middle.
  const box = await page.getByRole('checkbox', { name: /digest/ }).boundingBox()
  const label = await page.locator('label', { hasText: 'E-mail me a digest' }).boundingBox()
  expect(box!.height, 'checkbox height').toBeLessThanOrEqual(20)
  expect(label!.height, 'label height').toBeLessThanOrEqual(28)
  expect(Math.abs((box!.y + box!.height / 2) - (label!.y + label!.height / 2)), 'checkbox centre vs text centre').toBeLessThanOrEqual(3)
  await shot(page, 'checkbox')
})

test('no dead ends: a new channel before any project leads to creating one; an unknown document says so, with a way back', async ({ server, newUserPage, shot }) => {
  const owner = await server.user('owner')
  const org = (await server.call('POST', '/api/v1/orgs', { token: owner.token, json: { name: 'Fresh Org' } }, 201)).json.id as string
  const { page } = await newUserPage(owner, `/o/${org}`)
  await page.getByRole('button', { name: 'New channel' }).click()
  const dialog = page.getByRole('dialog', { name: 'New channel' })
  await expect(dialog).toContainText('Create a project first')
  await shot(page, 'new-channel')
  await dialog.getByRole('button', { name: 'Create a project' }).click()
  const project = page.getByRole('dialog', { name: 'New project' })
  await project.getByLabel('Name').fill('Launch')
  await project.getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByRole('heading', { name: /Documents/ })).toBeVisible()
  await page.getByRole('button', { name: 'New channel' }).click()
  await expect(page.getByRole('dialog', { name: 'New channel' }).getByLabel('Project')).toContainText('Launch')
  await page.getByRole('dialog', { name: 'New channel' }).getByRole('button', { name: 'Cancel' }).click()

  const projectId = new URL(page.url()).pathname.split('/')[4]
  await page.goto(`/o/${org}/p/${projectId}/docs/0190aaaa-0000-7000-8000-000000000000`)
  await expect(page.getByText('This document does not exist, or you have no access to it')).toBeVisible()
  await expect(page.getByRole('button', { name: 'Try again' })).toHaveCount(0)
  await shot(page, 'unknown-document')
  await page.getByRole('link', { name: 'Back to the project’s documents' }).click()
  await expect(page.getByRole('heading', { name: /Documents/ })).toBeVisible()
})

test('sessions name the browser and system; an empty direct message opens without a refused request', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const dm = (await server.call('POST', `/api/v1/orgs/${w.org}/dms`, { token: w.owner.token, json: { user_ids: [w.users.bob.id] } }, [200, 201])).json
  const { page } = await newUserPage(w.owner, '/settings/security')
  const sessions = page.locator('.list-row', { hasText: 'this session' })
  await expect(sessions).toContainText(/Chrome \d+ on Linux/)
  await expect(page.getByText('Mozilla/5.0')).toHaveCount(0)
  await shot(page, 'sessions')

  const refused: string[] = []
  page.on('response', (r) => { if (r.status() >= 400) refused.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`) })
  await page.goto(`/o/${w.org}/chat/${dm.id}`)
  await expect(page.getByText('No messages yet')).toBeVisible()
  await page.waitForLoadState('networkidle')
  expect(refused).toEqual([])
})
