import { test, expect } from './fixtures'
import { violations } from './axe'

test('the command palette toggles the theme, opens a channel, makes a document and a task, and still searches', async ({ server, newUserPage, shot }) => {
  test.slow()
  const w = await server.world({ title: 'Shared notes' })
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'sightings' } }, 201)).json
  const board = (await server.call('POST', `/api/v1/projects/${w.project}/boards`, { token: w.owner.token, json: { name: 'Roadmap' } }, 201)).json
  const projectName = (await server.call('GET', `/api/v1/projects/${w.project}`, { token: w.owner.token }, 200)).json.name as string
  // axe is injected as an inline script, which the server's CSP (rightly) forbids.
  const { page } = await newUserPage(w.owner, `/o/${w.org}`, { bypassCSP: true })
  await expect(page.getByRole('heading', { name: 'Projects' })).toBeVisible()
  const dialog = page.getByRole('dialog', { name: 'Search and commands' })
  const box = dialog.getByRole('combobox')

  // Opened from the button: the commands are listed, axe finds nothing, Escape gives the focus back.
  await page.locator('.search-button').click()
  await expect(box).toBeFocused()
  await expect(dialog.getByRole('option', { name: /^New document/ })).toBeVisible()
  await expect(dialog.getByRole('option', { name: /^Go to channel/ })).toBeVisible()
  await expect(box).toHaveAttribute('aria-activedescendant', 'palette-opt-0')
  await box.press('ArrowDown')
  await expect(box).toHaveAttribute('aria-activedescendant', 'palette-opt-1')
  await expect(dialog.getByRole('option', { selected: true })).toHaveAttribute('id', 'palette-opt-1')
  expect(await violations(page)).toEqual([])
  await shot(page, 'commands')
  await box.press('Escape')
  await expect(dialog).toBeHidden()
  await expect(page.locator('.search-button')).toBeFocused()

  // Ctrl+K, "theme", Enter: the other theme, on the html element.
  const before = await page.locator('html').getAttribute('data-theme')
  await page.keyboard.press('Control+K')
  await box.fill('theme')
  await expect(dialog.getByRole('option')).toHaveCount(1)
  await box.press('Enter')
  await expect(dialog).toBeHidden()
  await expect(page.locator('html')).toHaveAttribute('data-theme', before === 'dark' ? 'light' : 'dark')

  // A second step: Escape goes back to the commands, a second Escape closes.
  await page.keyboard.press('Control+K')
  await box.fill('switch org')
  await box.press('Enter')
  await expect(dialog.getByRole('combobox', { name: 'Switch organisation' })).toBeFocused()
  await expect(dialog.getByRole('option', { name: 'New organisation…' })).toBeVisible()
  await box.press('Escape')
  await expect(dialog.getByRole('combobox', { name: 'Search or run a command' })).toBeFocused()
  await box.press('Escape')
  await expect(dialog).toBeHidden()

  // A channel's or project's name finds it among the commands, without a second step.
  await page.keyboard.press('Control+K')
  await box.fill('sightin')
  await expect(dialog.getByRole('option', { name: /#sightings/ })).toBeVisible()
  await box.press('Escape')

  // Go to channel…, then the channel chosen by a click.
  await page.keyboard.press('Control+K')
  await box.fill('Go to channel')
  await box.press('Enter')
  await expect(box).toHaveAccessibleName('Go to channel')
  await box.fill('sight')
  expect(await violations(page)).toEqual([])
  await shot(page, 'channels')
  await dialog.getByRole('option', { name: /#sightings/ }).click()
  await expect(page).toHaveURL(new RegExp(`/chat/${channel.id}$`))
  await expect(dialog).toBeHidden()

  // New document, outside a project: which project, then the title; its editor opens.
  await page.keyboard.press('Control+K')
  await box.fill('new doc')
  await box.press('Enter')
  await expect(box).toHaveAccessibleName('New document in…')
  await box.fill(projectName)
  await box.press('Enter')
  await expect(box).toHaveAccessibleName(`New document in ${projectName}`)
  await box.fill('Palette plan')
  await expect(dialog.getByRole('option')).toHaveText('Create document “Palette plan”')
  await box.press('Enter')
  await expect(page).toHaveURL(new RegExp(`/o/${w.org}/p/${w.project}/docs/[^/]+$`))
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect(page.locator('.ProseMirror')).toBeVisible()

  // New task, inside the project now: which board, then the title; the task opens.
  await page.keyboard.press('Control+K')
  await box.fill('new task')
  await box.press('Enter')
  await expect(box).toHaveAccessibleName(`Board in ${projectName}`)
  await dialog.getByRole('option', { name: board.name }).click()
  await box.fill('Write the release notes')
  await box.press('Enter')
  await expect(page).toHaveURL(new RegExp(`/o/${w.org}/tasks/[^/]+$`))
  await expect(page.getByText('Write the release notes').first()).toBeVisible()

  // ">" asks for commands only; without it, search results follow the commands as before.
  await page.keyboard.press('Control+K')
  await box.fill('> notes')
  await expect(dialog.locator('.search-hit[data-kind="doc"]')).toHaveCount(0)
  const hit = dialog.locator('.search-hit[data-kind="doc"]', { hasText: 'Shared notes' })
  await expect(async () => {
    await box.fill('')
    await box.fill('Shared notes')
    await expect(hit).toBeVisible({ timeout: 1500 })
  }).toPass({ timeout: 30_000 })
  await hit.click()
  await expect(page).toHaveURL(new RegExp(`/docs/${w.doc}$`))
})

test('the palette offers the places visited lately first, and opens one with Enter', async ({ server, newUserPage }) => {
  const w = await server.world({ title: 'Quarterly plan' })
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'standup' } }, 201)).json
  const { page } = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/docs/${w.doc}`)
  await expect(page.getByRole('heading', { name: 'Quarterly plan' })).toBeVisible()
  await page.goto(`/o/${w.org}/chat/${channel.id}`)
  await expect(page.getByTestId('messages')).toBeVisible()
  await page.keyboard.press('Control+K')
  const dialog = page.getByRole('dialog', { name: 'Search and commands' })
  // The document is first (the channel, being where we are, is not offered).
  const first = dialog.getByRole('option').first()
  await expect(first).toContainText('Quarterly plan')
  await expect(first).toContainText('Recently visited')
  await expect(dialog.getByRole('option', { name: /standup.*Recently visited/ })).toHaveCount(0)
  await dialog.getByRole('combobox').press('Enter')
  await expect(page).toHaveURL(new RegExp(`/docs/${w.doc}$`))
  await expect(page.getByRole('heading', { name: 'Quarterly plan' })).toBeVisible()
})
