import fs from 'node:fs'
import { test, expect } from './fixtures'
import { violations } from './axe'

// A client is a guest of the organisation: added to one project as a commenter. They land on
// the portal — the documents shared with them, by project and nested as in the page tree —
// not on the workspace of the organisation's own people (no records, invoices, timesheets,
// pipeline, members or settings), and open a document read-only with its comments.
test('a guest lands on the client portal: only what was shared, nested, read-only, with PDFs; axe in both themes', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ title: 'Project brief' })
  const owner = { token: w.owner.token }
  const agenda = (await server.call('POST', `/api/v1/projects/${w.project}/docs`, { ...owner, json: { title: 'Kick-off agenda' } }, 201)).json.id as string
  await server.call('PATCH', `/api/v1/docs/${agenda}`, { ...owner, json: { parent: w.doc } })
  // Another project the guest is not in: its document must not show.
  const internal = (await server.call('POST', `/api/v1/orgs/${w.org}/projects`, { ...owner, json: { name: 'Internal margins', visibility: 'open' } }, 201)).json.id as string
  await server.call('POST', `/api/v1/projects/${internal}/docs`, { ...owner, json: { title: 'Our pricing' } }, 201)

  const client = await server.user('client')
  await server.join(w.owner, w.org, client, 'guest')
  await server.call('POST', `/api/v1/projects/${w.project}/members`, { ...owner, json: { user_id: client.id, role: 'commenter' } }, [200, 201, 204])

  const { page } = await newUserPage(client, `/o/${w.org}`, { bypassCSP: true })
  const portal = page.getByRole('region', { name: 'Shared with you' })
  await expect(portal.getByRole('heading', { name: 'Shared with you', level: 1 })).toBeVisible()
  const brief = portal.locator(`li[data-doc="${w.doc}"]`)
  await expect(brief.getByRole('link', { name: 'Project brief', exact: true })).toBeVisible()
  // The sub-page sits inside its parent, as in the project's page tree.
  await expect(brief.locator(`li[data-doc="${agenda}"]`).getByRole('link', { name: 'Kick-off agenda', exact: true })).toBeVisible()
  await expect(portal).toContainText('You can read and comment on these documents.')
  await expect(portal).not.toContainText('Our pricing')
  await expect(portal).not.toContainText('Internal margins')

  // The sidebar offers what was shared, not the organisation's own workspace.
  const nav = page.getByRole('navigation', { name: 'Workspace' })
  await expect(nav.getByRole('link', { name: 'Shared with you' })).toBeVisible()
  for (const hidden of ['Records', 'Invoices', 'Clients', 'Pipeline', 'Timesheets', 'Time log', 'Members', 'Organisation settings']) {
    await expect(nav.getByRole('link', { name: hidden, exact: true })).toHaveCount(0)
  }
  await expect(page.getByRole('button', { name: 'New project' })).toHaveCount(0)

  // A PDF of a shared document to keep.
  const [download] = await Promise.all([page.waitForEvent('download'), brief.getByRole('link', { name: 'Download Project brief as PDF' }).click()])
  expect(fs.readFileSync(await download.path()).subarray(0, 5).toString()).toBe('%PDF-')

  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => localStorage.setItem('atrium.theme', t), theme)
    await page.goto(`/o/${w.org}`)
    await expect(portal.getByRole('link', { name: 'Kick-off agenda', exact: true })).toBeVisible()
    await page.waitForLoadState('networkidle')
    expect(await violations(page), `${theme} portal`).toEqual([])
    await shot(page, `${theme}-portal`)
  }

  // Opening a document: read-only for a commenter; the project shows documents and files only.
  await portal.getByRole('link', { name: 'Kick-off agenda', exact: true }).click()
  await expect(page).toHaveURL(new RegExp(`/docs/${agenda}$`))
  await expect(page.locator('.ProseMirror')).toHaveAttribute('contenteditable', 'false')
  await expect(nav.getByRole('link', { name: 'Documents' })).toBeVisible()
  await expect(nav.getByRole('link', { name: 'Files' })).toBeVisible()
  await expect(nav.getByRole('link', { name: 'Boards' })).toHaveCount(0)
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'dark document').toEqual([])
  await shot(page, 'guest-document')
})

test('a guest with nothing shared yet sees why, not an empty list', async ({ server, newUserPage }) => {
  const w = await server.world()
  const client = await server.user('client')
  await server.join(w.owner, w.org, client, 'guest')
  const { page } = await newUserPage(client, `/o/${w.org}`, { bypassCSP: true })
  await expect(page.getByText('Nothing shared with you yet')).toBeVisible()
  expect(await violations(page)).toEqual([])
})
