import { test, expect } from './fixtures'
import { violations } from './axe'

test('pages meet WCAG AA (axe) in light and dark themes, and at phone width', async ({ server, newUserPage, shot, browser }) => {
  // Some thirty screens, each loaded and checked: more than the default minute.
  test.slow()
  const w = await server.world({ members: { bob: 'editor' } })
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'general' } }, 201)).json
  await server.call('POST', `/api/v1/channels/${channel.id}/messages`, { token: w.users.bob.token, json: { text: `hello @${w.owner.handle}, see **this**` } }, 201)
  // A board (one column at its WIP limit) with a labelled, assigned, blocked card.
  const board = (await server.call('POST', `/api/v1/projects/${w.project}/boards`, { token: w.owner.token, json: { name: 'Sprint', columns: [{ name: 'To do' }, { name: 'Doing', wip_limit: 1 }, { name: 'Done' }] } }, 201)).json
  const doing = board.columns[1].id
  const blocker = (await server.call('POST', `/api/v1/boards/${board.id}/tasks`, { token: w.owner.token, json: { title: 'Blocker', column: doing } }, 201)).json
  const task = (await server.call('POST', `/api/v1/boards/${board.id}/tasks`, { token: w.owner.token, json: { title: 'Labelled task', labels: ['design'], priority: 'high', due: '2030-01-02', assignees: [w.users.bob.id], blocked_by: [blocker.id] } }, 201)).json
  // A custom record type with a child table and a workflow, and one record of it.
  await server.call('POST', `/api/v1/orgs/${w.org}/record-types`, { token: w.owner.token, json: { slug: 'claim', name: 'Claim', fields: [{ name: 'code', type: 'text', required: true }, { name: 'amount', type: 'money' }, { name: 'kind', type: 'select', options: ['travel', 'food'] }, { name: 'lines', type: 'table', fields: [{ name: 'item', type: 'text' }, { name: 'cost', type: 'money' }] }], workflow: { states: [{ name: 'draft' }, { name: 'done', final_state: true }], transitions: [{ action: 'finish', from: ['draft'], to: 'done' }] } } }, 201)
  const claim = (await server.call('POST', `/api/v1/orgs/${w.org}/records/claim`, { token: w.owner.token, json: { code: 'C-1', amount: 1250, kind: 'travel', lines: [{ item: 'Taxi', cost: 1250 }] } }, 201)).json
  // axe is injected as an inline script, which the server's CSP (rightly) forbids.
  const a = await newUserPage(w.owner, `/o/${w.org}`, { bypassCSP: true })
  // A pending invitation, so that the members screen shows its list too.
  await server.call('POST', `/api/v1/orgs/${w.org}/members`, { token: w.owner.token, json: { email: 'pending@example.com', role: 'member' } }, 202)
  const pages = [`/o/${w.org}`, `/o/${w.org}/p/${w.project}/docs`, `/o/${w.org}/p/${w.project}/docs/${w.doc}`, `/o/${w.org}/p/${w.project}/files`, `/o/${w.org}/chat/${channel.id}`, `/o/${w.org}/notifications`, '/settings/tokens', '/settings/profile', '/settings/notifications', `/o/${w.org}/settings`, `/o/${w.org}/members`, '/invitations?token=atr_i_example', '/verify-email?token=atr_v_example', `/o/${w.org}/roles`,
    `/o/${w.org}/p/${w.project}/boards`, `/o/${w.org}/p/${w.project}/boards/${board.id}`, `/o/${w.org}/p/${w.project}/boards/${board.id}?task=${task.id}`, `/o/${w.org}/p/${w.project}/tasks`, `/o/${w.org}/timesheet`,
    `/o/${w.org}/records`, `/o/${w.org}/records/claim`, `/o/${w.org}/records/claim/new`, `/o/${w.org}/records/claim/${claim.id}`, `/o/${w.org}/records/claim/design`, `/o/${w.org}/records/new-type`,
    `/o/${w.org}/threads`, `/o/${w.org}/audit`, `/o/${w.org}/settings/integrations`, `/o/${w.org}/settings/automation`, '/settings/security',
    `/o/${w.org}/timesheets`, `/o/${w.org}/timesheets/approvals`, `/o/${w.org}/invoices`, `/o/${w.org}/invoices/new`, `/o/${w.org}/invoices/settings`, `/o/${w.org}/clients`, `/o/${w.org}/pipeline`]
  // Every screen, in both themes.
  const runs: [string, string[]][] = [['light', pages], ['dark', pages]]
  for (const [theme, list] of runs) {
    await a.page.evaluate((t) => localStorage.setItem('atrium.theme', t), theme)
    for (const p of list) {
      await a.page.goto(p)
      await a.page.waitForLoadState('networkidle')
      expect(await violations(a.page), `${theme} ${p}`).toEqual([])
    }
  }
  // The permission table with a cell changed and not saved yet, and the business roles dialog.
  await a.page.evaluate(() => localStorage.setItem('atrium.theme', 'light'))
  await a.page.goto(`/o/${w.org}/roles`)
  await a.page.getByLabel('Resource type').selectOption({ label: 'Documents' })
  await a.page.getByRole('combobox', { name: 'commenter · Documents · write', exact: true }).selectOption('own')
  await expect(a.page.getByRole('button', { name: 'Reset commenter · Documents · write to the default' })).toBeVisible()
  expect(await violations(a.page), 'permission table, edited').toEqual([])
  await a.page.goto(`/o/${w.org}/members`)
  await a.page.getByRole('button', { name: `Business roles of ${w.users.bob.name}` }).click()
  await expect(a.page.getByRole('dialog')).toBeVisible()
  expect(await violations(a.page), 'business roles dialog').toEqual([])
  await a.page.keyboard.press('Escape')

  // Keyboard: the skip link comes first, focus is visible, and Ctrl+K opens search.
  await a.page.goto(`/o/${w.org}/chat/${channel.id}`)
  await expect(a.page.getByTestId('composer')).toBeVisible()
  await a.page.keyboard.press('Tab')
  const skip = a.page.getByRole('link', { name: 'Skip to content' })
  await expect(skip).toBeFocused()
  expect(await skip.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe('none')
  await a.page.keyboard.press('Tab')
  expect(await a.page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none')
  await a.page.keyboard.press('Control+K')
  await expect(a.page.getByRole('dialog', { name: 'Search' }).getByLabel('Search')).toBeFocused()
  await a.page.keyboard.press('Escape')
  await expect(a.page.getByRole('dialog', { name: 'Search' })).toHaveCount(0)

  // The pages of e-mailed links for someone not logged in, and the unverified banner.
  const visitor = await browser.newContext({ baseURL: server.url, bypassCSP: true })
  const anon = await visitor.newPage()
  for (const p of ['/invitations?token=atr_i_example', '/verify-email?token=atr_v_example', '/unlock?token=atr_u_example']) {
    await anon.goto(p)
    await anon.waitForLoadState('networkidle')
    expect(await violations(anon), `logged out ${p}`).toEqual([])
  }
  await visitor.close()
  const fresh = await server.user('fresh', { verified: false })
  const b = await newUserPage(fresh, '/', { bypassCSP: true })
  await expect(b.page.getByTestId('verify-banner')).toBeVisible()
  for (const theme of ['light', 'dark']) {
    await b.page.evaluate((t) => localStorage.setItem('atrium.theme', t), theme)
    await b.page.reload()
    await b.page.waitForLoadState('networkidle')
    expect(await violations(b.page), `${theme} unverified banner`).toEqual([])
  }

  await a.page.setViewportSize({ width: 375, height: 740 })
  await a.page.goto(`/o/${w.org}/chat/${channel.id}`)
  await a.page.waitForLoadState('networkidle')
  expect(await violations(a.page), 'phone chat').toEqual([])
  // Nothing wider than the screen, the page or any scrolling part of it.
  const wide = await a.page.evaluate(() => [...document.querySelectorAll<HTMLElement>('*')]
    .filter((el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible' && el.clientWidth > 1 && !el.classList.contains('sr-only'))
    .map((el) => el.className || el.tagName))
  expect(wide).toEqual([])
  expect(await a.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
  await expect(a.page.getByRole('button', { name: 'Send' })).toBeInViewport({ ratio: 1 })
  await shot(a.page, 'phone-chat')

  // The board at phone width: its columns scroll sideways inside it, the page does not; the
  // task panel takes the screen.
  await a.page.goto(`/o/${w.org}/p/${w.project}/boards/${board.id}`)
  await a.page.waitForLoadState('networkidle')
  expect(await violations(a.page), 'phone board').toEqual([])
  expect(await a.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
  await a.page.getByRole('button', { name: /Labelled task/ }).click()
  await expect(a.page.getByTestId('task-panel')).toContainText('Labelled task')
  await expect(a.page.getByTestId('task-panel')).toBeInViewport()
  expect(await a.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
  await shot(a.page, 'phone-task')
})

test('the polished screens meet WCAG AA (axe) in light and dark themes', async ({ server, newUserPage, shot }) => {
  test.slow()
  const w = await server.world({ members: { bob: 'editor' } })
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'general' } }, 201)).json
  const root = (await server.call('POST', `/api/v1/channels/${channel.id}/messages`, { token: w.owner.token, json: { text: '> a quote\n\nan answer' } }, 201)).json
  await server.call('POST', `/api/v1/channels/${channel.id}/messages`, { token: w.owner.token, json: { text: 'a reply', thread: root.id } }, 201)
  await server.call('POST', '/api/v1/me/tokens', { token: w.owner.token, json: { name: 'ci', expires_in_days: 400 } }, [200, 201])
  await server.call('POST', `/api/v1/docs/${w.doc}/versions`, { token: w.owner.token, json: { name: 'First' } }, [200, 201])
  const trashed = (await server.call('POST', `/api/v1/projects/${w.project}/docs`, { token: w.owner.token, json: { title: 'Old notes' } }, 201)).json.id as string
  await server.call('DELETE', `/api/v1/docs/${trashed}`, { token: w.owner.token })
  const empty = (await server.call('POST', '/api/v1/orgs', { token: w.owner.token, json: { name: 'Empty Org' } }, 201)).json.id as string
  const a = await newUserPage(w.owner, `/o/${w.org}`, { bypassCSP: true })
  const doc = `/o/${w.org}/p/${w.project}/docs/${w.doc}`
  const check = async (label: string) => {
    await a.page.waitForLoadState('networkidle')
    expect(await violations(a.page), label).toEqual([])
  }
  for (const theme of ['light', 'dark']) {
    await a.page.evaluate((t) => localStorage.setItem('atrium.theme', t), theme)
    for (const p of ['/settings/security', '/settings/tokens', '/settings/notifications', `/o/${w.org}/threads`, `/o/${w.org}/chat/${channel.id}`, `/o/${w.org}/p/${w.project}/docs/${trashed}`, `/o/${w.org}/p/${w.project}/docs/0190aaaa-0000-7000-8000-000000000000`]) {
      await a.page.goto(p)
      await check(`${theme} ${p}`)
    }
    // The document: the table tools, the app's own confirmation, the version preview.
    await a.page.goto(doc)
    await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
    await a.page.getByTestId('editor').locator('.ProseMirror').click()
    await a.page.getByRole('button', { name: 'Insert table' }).click()
    await check(`${theme} table tools`)
    await a.page.getByRole('button', { name: 'Delete table' }).click()
    await expect(a.page.getByRole('dialog', { name: 'Delete this table?' })).toBeVisible()
    await check(`${theme} confirmation dialog`)
    await a.page.getByRole('dialog', { name: 'Delete this table?' }).getByRole('button', { name: 'Delete table' }).click()
    await a.page.getByRole('button', { name: 'History' }).click()
    await a.page.getByRole('dialog', { name: 'Version history' }).getByRole('button', { name: 'First' }).click()
    await expect(a.page.getByTestId('version-preview')).toBeVisible()
    await check(`${theme} version preview`)
    await a.page.keyboard.press('Escape')
    // The account menu open, and a new channel before any project.
    await a.page.goto(`/o/${empty}`)
    await a.page.getByLabel('Account menu').click()
    await check(`${theme} account menu`)
    await a.page.keyboard.press('Escape')
    await a.page.getByRole('button', { name: 'New channel' }).click()
    await expect(a.page.getByRole('dialog', { name: 'New channel' })).toContainText('Create a project first')
    await check(`${theme} new channel without projects`)
    await shot(a.page, `${theme}-new-channel`)
  }
})
