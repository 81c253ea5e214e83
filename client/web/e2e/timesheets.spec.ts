import { test, expect } from './fixtures'
import { violations } from './axe'
import type { TestServer, TestUser } from './harness'

const DAY = 86_400_000
/** `YYYY-MM-DD` `days` after `date`. */
const plus = (date: string, days: number) => new Date(Date.parse(date + 'T00:00:00Z') + days * DAY).toISOString().slice(0, 10)
/** This week's Monday (UTC, as the app and the server count weeks). */
function thisMonday (): string {
  const now = new Date()
  const today = now.toISOString().slice(0, 10)
  return plus(today, -((now.getUTCDay() + 6) % 7))
}

async function logTime (server: TestServer, user: TestUser, task: string, minutes: number, date: string, billable: boolean) {
  await server.call('POST', `/api/v1/tasks/${task}/time`, { token: user.token, json: { minutes, date, billable } }, 201)
}

async function sheetOf (server: TestServer, user: TestUser, org: string, week: string) {
  const items = (await server.call('GET', `/api/v1/orgs/${org}/records/timesheet?user=${user.id}&week=${week}`, { token: user.token })).json.items
  expect(items).toHaveLength(1)
  return items[0]
}

/** An org whose owner runs a project with a board of two tasks; a worker on it, and Mia, the
 * worker's manager (set through the API), who is on no project. */
async function office (server: TestServer) {
  const w = await server.world()
  const worker = await server.user('worker')
  await server.join(w.owner, w.org, worker)
  await server.call('POST', `/api/v1/projects/${w.project}/members`, { token: w.owner.token, json: { user_id: worker.id, role: 'editor' } }, [200, 201, 204])
  const mia = await server.user('mia')
  await server.join(w.owner, w.org, mia)
  const member = (await server.call('PATCH', `/api/v1/orgs/${w.org}/members/${worker.id}`, { token: w.owner.token, json: { manager: mia.id } })).json
  expect(member.manager).toBe(mia.id)
  const board = (await server.call('POST', `/api/v1/projects/${w.project}/boards`, { token: w.owner.token, json: { name: 'Main' } }, 201)).json
  const tasks = []
  for (const title of ['Design the login', 'Fix the export']) {
    tasks.push((await server.call('POST', `/api/v1/boards/${board.id}/tasks`, { token: w.owner.token, json: { title } }, 201)).json)
  }
  return { ...w, worker, mia, tasks }
}

// A worker's week: time logged on two tasks becomes the rows of the timesheet they start from
// the navigation; a row is changed, a bad duration refused beside it, a row added, the totals
// following as they type; saved; a stale save (changed on another device) reloads it; submitted,
// it is read-only. Their manager opens the approvals
// inbox from the notification and rejects it, a reason required; the worker sees the reason
// live, fixes the row and submits again; the manager, whose inbox shows it again live, approves
// it, and the worker sees that live too. Screens checked by axe on the way.
test('timesheets: a week from the time log, submitted, rejected with a reason, fixed and approved by the manager', async ({ server, newUserPage, shot }) => {
  test.slow()
  const o = await office(server)
  const monday = thisMonday()
  const [design, fix] = o.tasks
  await logTime(server, o.worker, design.id, 90, monday, true)
  await logTime(server, o.worker, fix.id, 30, plus(monday, 2), true)
  await logTime(server, o.worker, fix.id, 45, plus(monday, 3), false)

  // The week screen, from the navigation: nothing yet, the time log's 2:45 about to become it.
  const { page } = await newUserPage(o.worker, `/o/${o.org}`, { bypassCSP: true })
  await page.setViewportSize({ width: 1400, height: 1000 })
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Timesheets', exact: true }).click()
  await expect(page).toHaveURL(new RegExp(`/o/${o.org}/timesheets$`))
  await expect(page.getByTestId('week-label')).toContainText('This week')
  await expect(page.getByText('No timesheet for this week yet')).toBeVisible()
  await expect(page.getByTestId('logged')).toContainText('2:45')
  await expect(page.getByTestId('logged')).toContainText('3 entries')
  await page.getByRole('button', { name: "Start this week's timesheet" }).click()

  // Prefilled: a row per entry, the task's key and title, the day, h:mm, billable as logged.
  const rows = page.getByTestId('sheet-rows').getByTestId('sheet-row')
  await expect(rows).toHaveCount(3)
  await expect(page.getByTestId('sheet-state')).toHaveText('Draft')
  await expect(page.getByTestId('approvers')).toContainText(o.mia.name)
  await expect(page.getByLabel('Task, row 1').locator('option:checked')).toHaveText(`${design.key} Design the login`)
  await expect(page.getByLabel('Hours, row 1')).toHaveValue('1:30')
  await expect(page.getByLabel('Day, row 2')).toHaveValue(plus(monday, 2))
  await expect(page.getByLabel('Billable, row 3')).not.toBeChecked()
  await expect(page.getByTestId('week-total')).toHaveText('2:45')
  await expect(page.getByTestId('week-billable')).toHaveText('2:00')
  const sheet = await sheetOf(server, o.worker, o.org, monday)
  expect(sheet.entries.map((e: any) => [e.task, e.minutes, e.billable])).toEqual([[design.id, 90, true], [fix.id, 30, true], [fix.id, 45, false]])

  // A bad duration is refused beside its row and nothing is sent; the totals follow the typing.
  await page.getByLabel('Hours, row 2').fill('soon')
  await expect(page.locator('#hours-1-err')).toHaveText('Enter hours as h:mm, e.g. 1:30')
  await expect(page.getByTestId('week-total')).toHaveText('2:15')
  await page.getByRole('button', { name: 'Save', exact: true }).click()
  await expect(page.getByLabel('Hours, row 2')).toBeFocused()
  expect((await sheetOf(server, o.worker, o.org, monday)).version).toBe(sheet.version)
  await page.getByLabel('Hours, row 2').fill('1:00')
  await expect(page.getByTestId('week-total')).toHaveText('3:15')
  await expect(page.getByTestId('totals').locator(`tbody tr:first-child td[data-day="${plus(monday, 2)}"]`)).toHaveText('1:00')

  // A row of its own: no task, a description, Friday, half an hour, with a note.
  await page.getByRole('button', { name: 'Add a row' }).click()
  await expect(rows).toHaveCount(4)
  await expect(page.getByLabel('Hours, row 4')).toBeFocused()
  await page.getByLabel('Description, row 4').fill('Planning call')
  await page.getByLabel('Day, row 4').selectOption(plus(monday, 4))
  await page.getByLabel('Hours, row 4').fill('0:30')
  await page.getByLabel('Note, row 4').fill('With the client')
  await expect(page.getByTestId('week-total')).toHaveText('3:45')
  await expect(page.getByTestId('week-billable')).toHaveText('3:00')
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'week screen, a draft being edited').toEqual([])
  await shot(page, 'week-draft')
  await page.getByRole('button', { name: 'Save', exact: true }).click()
  await expect(page.getByText('You have unsaved changes.')).toHaveCount(0)
  const saved = await sheetOf(server, o.worker, o.org, monday)
  expect(saved.entries.map((e: any) => [e.minutes, e.billable, e.description])).toEqual([[90, true, `${design.key} Design the login`], [60, true, `${fix.key} Fix the export`], [45, false, `${fix.key} Fix the export`], [30, true, 'Planning call']])
  expect(saved.entries[3]).toMatchObject({ project: o.project, date: plus(monday, 4), note: 'With the client' })
  expect([saved.total_minutes, saved.billable_minutes]).toEqual([225, 180])

  // Changed on another device meanwhile: this tab says so at once; its own unsaved edit is then
  // refused as stale and the timesheet reloaded with the other change.
  await page.getByLabel('Hours, row 1').fill('2:00')
  const other = saved.entries.map((e: any) => e.description === 'Planning call' ? { ...e, note: 'With the client, by phone' } : e)
  await server.call('PATCH', `/api/v1/records/${saved.id}`, { token: o.worker.token, json: { version: saved.version, entries: other } })
  await expect(page.getByTestId('newer')).toContainText('changed elsewhere while you were editing it')
  await page.getByRole('button', { name: 'Save', exact: true }).click()
  await expect(page.getByTestId('stale')).toContainText('has been reloaded: your changes were not saved')
  await expect(page.getByLabel('Hours, row 1')).toHaveValue('1:30')
  await expect(page.getByLabel('Note, row 4')).toHaveValue('With the client, by phone')
  await expect(page.getByTestId('newer')).toHaveCount(0)
  expect((await sheetOf(server, o.worker, o.org, monday)).entries[0].minutes).toBe(90)

  // Submitted: read-only, waiting for Mia (and the project's manager, its owner).
  await page.getByRole('button', { name: 'Submit', exact: true }).click()
  await expect(page.getByTestId('sheet-state')).toHaveText('Submitted')
  await expect(page.getByTestId('submitted-note')).toContainText(o.mia.name)
  await expect(page.getByLabel('Hours, row 1')).toHaveCount(0)
  await expect(rows.nth(3)).toContainText('Planning call')
  await expect(rows.nth(3).getByTestId('row-hours')).toHaveText('0:30')

  // Mia hears of it and opens it from the notification centre: her approvals inbox, at it.
  const m = await newUserPage(o.mia, `/o/${o.org}`, { bypassCSP: true })
  await m.page.setViewportSize({ width: 1400, height: 1000 })
  await expect(m.page.getByTestId('notifications-bell')).toHaveAccessibleName(/1 unread/)
  await m.page.getByTestId('notifications-bell').click()
  const note = m.page.getByTestId('notifications').getByRole('button', { name: new RegExp(`${o.worker.name} submitted a timesheet for your approval`) })
  await expect(note).toBeVisible()
  await note.click()
  await expect(m.page).toHaveURL(new RegExp(`/o/${o.org}/timesheets/approvals\\?sheet=${sheet.id}$`))
  const item = m.page.locator(`[data-testid="approval"][data-sheet="${sheet.id}"]`)
  await expect(item).toContainText(o.worker.name)
  await expect(item.getByTestId('approval-total')).toHaveText('3:45')
  await expect(item.getByTestId('approval-billable')).toHaveText('3:00')
  // Opened at it: its rows shown.
  await expect(item.getByTestId('approval-rows').getByTestId('sheet-row')).toHaveCount(4)
  await expect(item.getByTestId('approval-rows')).toContainText('Planning call')
  await expect(item.getByTestId('approval-rows').getByTestId('week-total')).toHaveText('3:45')
  await m.page.waitForLoadState('networkidle')
  expect(await violations(m.page), 'approvals inbox').toEqual([])
  await shot(m.page, 'approvals')

  // Rejected: a reason is required (asked for, and nothing sent without it).
  await item.getByRole('button', { name: /^Reject/ }).click()
  const dialog = m.page.getByRole('dialog', { name: `Reject ${o.worker.name}’s timesheet` })
  await dialog.getByRole('button', { name: 'Reject timesheet' }).click()
  await expect(dialog.getByRole('alert')).toContainText('Say why')
  expect((await server.call('GET', `/api/v1/records/${sheet.id}`, { token: o.mia.token })).json.state).toBe('submitted')
  expect(await violations(m.page), 'reject dialog').toEqual([])
  await dialog.getByLabel(/^Reason/).fill('Wednesday is missing the client call')
  await dialog.getByRole('button', { name: 'Reject timesheet' }).click()
  await expect(dialog).toHaveCount(0)
  await expect(item).toHaveCount(0)
  await expect(m.page.getByText('Nothing waits for your approval')).toBeVisible()

  // The worker sees it live: rejected, with the reason, editable again.
  await expect(page.getByTestId('sheet-state')).toHaveText('Rejected')
  await expect(page.getByTestId('rejection-reason')).toHaveText('Wednesday is missing the client call')
  await expect(page.getByTestId('rejection')).toContainText(`${o.mia.name} rejected this timesheet`)
  await expect(page.getByLabel('Hours, row 2')).toHaveValue('1:00')
  await shot(page, 'rejected')
  // Their notification leads to the same week.
  await page.getByTestId('notifications-bell').click()
  await page.getByTestId('notifications').getByRole('button', { name: new RegExp(`${o.mia.name} rejected your timesheet`) }).click()
  await expect(page).toHaveURL(new RegExp(`/o/${o.org}/timesheets\\?week=${monday}$`))
  await expect(page.getByTestId('rejection-reason')).toHaveText('Wednesday is missing the client call')

  // Fixed and submitted again in one go.
  await page.getByLabel('Hours, row 2').fill('1:30')
  await expect(page.getByTestId('week-total')).toHaveText('4:15')
  await page.getByRole('button', { name: 'Save and submit' }).click()
  await expect(page.getByTestId('sheet-state')).toHaveText('Submitted')
  await expect(page.getByTestId('rejection')).toHaveCount(0)

  // Back in Mia's inbox, live; she approves it.
  await expect(item).toBeVisible()
  await expect(item.getByTestId('approval-total')).toHaveText('4:15')
  await item.getByRole('button', { name: /^Approve/ }).click()
  await expect(item).toHaveCount(0)
  const approved = (await server.call('GET', `/api/v1/records/${sheet.id}`, { token: o.worker.token })).json
  expect([approved.state, approved.total_minutes]).toEqual(['approved', 255])
  await shot(m.page, 'approved-inbox')

  // The worker sees the approval live; it is read-only.
  await expect(page.getByTestId('sheet-state')).toHaveText('Approved')
  await expect(page.getByTestId('approved-note')).toContainText(`Approved by ${o.mia.name}`)
  await expect(page.getByLabel('Hours, row 1')).toHaveCount(0)
  await expect(page.getByRole('button', { name: 'Submit', exact: true })).toHaveCount(0)
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => localStorage.setItem('atrium.theme', t), theme)
    await page.goto(`/o/${o.org}/timesheets?week=${monday}`)
    await expect(page.getByTestId('sheet-state')).toHaveText('Approved')
    await page.waitForLoadState('networkidle')
    expect(await violations(page), `${theme} week screen, approved`).toEqual([])
    await shot(page, `approved-${theme}`)
  }
  await page.evaluate(() => localStorage.setItem('atrium.theme', 'light'))
  // The week before has none; the navigation goes there and back.
  await page.getByRole('button', { name: 'Previous week' }).click()
  await expect(page).toHaveURL(new RegExp(`week=${plus(monday, -7)}`))
  await expect(page.getByText('No timesheet for this week yet')).toBeVisible()
  await page.getByRole('button', { name: 'Next week' }).click()
  await expect(page.getByTestId('sheet-state')).toHaveText('Approved')
})

// The owner names the worker's manager on the members page and bills the project to a client
// on its settings page; the worker's approved week is then invoiced by an accountant from the
// invoices list: refused first for a missing rate (said plainly), invoiced once the rates are
// set (the draft opens in the invoice editor, priced at the worker's own rate), and refused again
// once nothing is left to invoice in the period.
test('timesheets: managers on the members page, billing in project settings, approved time invoiced from the invoices list', async ({ server, newUserPage, shot }) => {
  test.slow()
  const o = await office(server)
  // The manager is chosen in the browser below; the API's choice is undone first.
  await server.call('PATCH', `/api/v1/orgs/${o.org}/members/${o.worker.id}`, { token: o.owner.token, json: { manager: null } })
  const acc = await server.user('accountant')
  await server.join(o.owner, o.org, acc, 'accountant')
  const client = (await server.call('POST', `/api/v1/orgs/${o.org}/records/client`, { token: o.owner.token, json: { name: 'Globex', currency: 'EUR', email: 'ap@globex.example', payment_terms_days: 30 } }, 201)).json

  // Members: Mia becomes the worker's manager; a loop (the worker managing Mia) is refused.
  const { page } = await newUserPage(o.owner, `/o/${o.org}/members`, { bypassCSP: true })
  await page.setViewportSize({ width: 1400, height: 1000 })
  await page.getByLabel(`Manager of ${o.worker.name}`).selectOption({ label: `Manager: ${o.mia.name}` })
  await expect(page.getByText(`${o.mia.name} now manages ${o.worker.name}`)).toBeVisible()
  await expect.poll(async () => (await server.call('GET', `/api/v1/orgs/${o.org}/members`, { token: o.owner.token })).json.items.find((m: any) => m.user.id === o.worker.id).manager).toBe(o.mia.id)
  await page.getByLabel(`Manager of ${o.mia.name}`).selectOption({ label: `Manager: ${o.worker.name}` })
  await expect(page.getByRole('alert').filter({ hasText: `${o.mia.name}’s manager:` })).toBeVisible()
  await expect(page.getByLabel(`Manager of ${o.mia.name}`)).toHaveValue('')
  expect((await server.call('GET', `/api/v1/orgs/${o.org}/members`, { token: o.owner.token })).json.items.find((m: any) => m.user.id === o.mia.id).manager ?? null).toBeNull()
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'members page').toEqual([])
  await shot(page, 'members')

  // Organisation settings: last week's timesheet due on Tuesday at 10:00, UTC+01:00.
  await page.goto(`/o/${o.org}/settings`)
  const settings = page.getByTestId('timesheet-settings')
  await expect(settings.getByLabel('Day')).toHaveValue('1')
  await settings.getByLabel('Day').selectOption({ label: 'Tuesday' })
  await settings.getByLabel('Time', { exact: true }).selectOption({ label: '10:00' })
  await settings.getByLabel('Time zone').selectOption({ label: 'UTC+01:00' })
  await settings.getByRole('button', { name: 'Save timesheet settings' }).click()
  await expect(page.getByText('Timesheet settings saved')).toBeVisible()
  expect((await server.call('GET', `/api/v1/orgs/${o.org}/timesheet-settings`, { token: o.worker.token })).json)
    .toEqual({ reminders: true, deadline_weekday: 2, deadline_hour: 10, utc_offset_minutes: 60 })
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'organisation settings').toEqual([])

  // The worker's week (through the API): 1:30 billable on a task, 0:30 not; submitted; Mia
  // (named in the browser) is among its approvers and approves it.
  const week = '2026-11-02'
  await logTime(server, o.worker, o.tasks[0].id, 90, week, true)
  await logTime(server, o.worker, o.tasks[1].id, 30, plus(week, 1), false)
  const sheet = (await server.call('POST', `/api/v1/orgs/${o.org}/records/timesheet`, { token: o.worker.token, json: { week } }, 201)).json
  expect(sheet.approvers).toContain(o.mia.id)
  await server.call('POST', `/api/v1/records/${sheet.id}/transition`, { token: o.worker.token, json: { action: 'submit' } })
  await server.call('POST', `/api/v1/records/${sheet.id}/transition`, { token: o.mia.token, json: { action: 'approve' } })

  // Project settings: billed to Globex, no rates yet.
  await page.goto(`/o/${o.org}/p/${o.project}/settings`)
  const billing = page.getByTestId('billing')
  await expect(billing.getByRole('heading', { name: 'Billing' })).toBeVisible()
  await billing.getByLabel('Client', { exact: true }).selectOption({ label: 'Globex (EUR)' })
  await expect(billing.getByLabel('Default hourly rate (EUR)')).toHaveValue('')
  await billing.getByRole('button', { name: 'Save billing' }).click()
  await expect(page.getByText('Billing saved')).toBeVisible()
  expect((await server.call('GET', `/api/v1/projects/${o.project}/billing`, { token: o.owner.token })).json).toEqual({ client: client.id, rates: [] })

  // The accountant invoices the period: refused, the worker has no rate.
  const a = await newUserPage(acc, `/o/${o.org}/invoices`, { bypassCSP: true })
  await a.page.setViewportSize({ width: 1400, height: 1000 })
  await a.page.getByRole('button', { name: 'Invoice from time…' }).click()
  const dialog = a.page.getByRole('dialog', { name: 'Invoice from time' })
  const picker = dialog.getByLabel('Client', { exact: true })
  await picker.fill('Glob')
  await expect(a.page.getByRole('option', { name: /Globex/ })).toBeVisible()
  await picker.press('ArrowDown')
  await picker.press('Enter')
  await expect(dialog.getByTestId('client-chosen')).toHaveText('Globex')
  await dialog.getByLabel('From').fill('2026-11-01')
  await dialog.getByLabel('To').fill('2026-11-08')
  await dialog.getByRole('button', { name: 'Make the draft invoice' }).click()
  await expect(dialog.getByRole('alert')).toContainText(`Some time has no hourly rate: no hourly rate for ${o.worker.name} in`)
  await expect(dialog.getByRole('alert')).toContainText('Members and billing')
  await a.page.waitForLoadState('networkidle')
  expect(await violations(a.page), 'invoice from time, refused').toEqual([])
  await shot(a.page, 'from-time-no-rate')

  // The owner sets a default rate and the worker's own; a bad amount is refused beside it first.
  await billing.getByLabel('Default hourly rate (EUR)').fill('100')
  await billing.getByRole('button', { name: 'Set a person’s own rate' }).click()
  await billing.getByTestId('person-rate').getByLabel('Person').selectOption({ label: o.worker.name })
  const own = billing.getByLabel(`Hourly rate of ${o.worker.name} (EUR)`)
  await own.fill('12x')
  await billing.getByRole('button', { name: 'Save billing' }).click()
  await expect(billing.getByRole('alert')).toHaveText('must be an amount such as 1,234.50')
  await own.fill('120.50')
  await billing.getByRole('button', { name: 'Save billing' }).click()
  await expect(billing.getByRole('alert')).toHaveCount(0)
  await expect.poll(async () => (await server.call('GET', `/api/v1/projects/${o.project}/billing`, { token: o.owner.token })).json.rates)
    .toEqual([{ rate: 10000 }, { user_id: o.worker.id, rate: 12050 }])
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'project settings with billing').toEqual([])
  await shot(page, 'billing')

  // Again: the draft opens in the invoice editor, 1.5 h of the task at the worker's EUR 120.50.
  await dialog.getByRole('button', { name: 'Make the draft invoice' }).click()
  await expect(a.page).toHaveURL(new RegExp(`/o/${o.org}/invoices/[0-9a-f-]{36}$`))
  await expect(a.page.getByTestId('invoice-status')).toHaveText('Draft')
  await expect(a.page.getByLabel('Description, line 1', { exact: true })).toHaveValue(`${o.tasks[0].key} Design the login`)
  await expect(a.page.getByLabel('Quantity, line 1', { exact: true })).toHaveValue('1.5')
  await expect(a.page.getByLabel('Unit price, line 1', { exact: true })).toHaveValue('120.50')
  await expect(a.page.getByLabel('Description, line 2', { exact: true })).toHaveCount(0)
  await expect(a.page.getByTestId('total')).toHaveText('EUR 180.75')
  const invoiceId = a.page.url().split('/').pop()!
  const invoice = (await server.call('GET', `/api/v1/records/${invoiceId}`, { token: acc.token })).json
  expect([invoice.client, invoice.total, invoice.time_from, invoice.time_to]).toEqual([client.id, 18075, '2026-11-01', '2026-11-08'])
  await shot(a.page, 'invoice-from-time')

  // Nothing is left to invoice in the period: said beside the period's end.
  await a.page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Invoices', exact: true }).click()
  await a.page.getByRole('button', { name: 'Invoice from time…' }).click()
  await picker.fill('Glob')
  await expect(a.page.getByRole('option', { name: /Globex/ })).toBeVisible()
  await picker.press('ArrowDown')
  await picker.press('Enter')
  await dialog.getByLabel('From').fill('2026-11-01')
  await dialog.getByLabel('To').fill('2026-11-08')
  await dialog.getByLabel('One per person').check()
  await dialog.getByRole('button', { name: 'Make the draft invoice' }).click()
  await expect(dialog.locator('#ft-to-err')).toContainText('no approved, billable time')
  await expect(dialog.getByLabel('To')).toBeFocused()
  expect((await server.call('GET', `/api/v1/orgs/${o.org}/records/invoice`, { token: acc.token })).json.items).toHaveLength(1)
})
