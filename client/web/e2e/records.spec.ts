import fs from 'node:fs'
import { randomBytes } from 'node:crypto'
import type { Page } from '@playwright/test'
import { test, expect } from './fixtures'
import { violations } from './axe'

/** The designer's input `part` (name, type, label, …) of the field at `at` (`fields[3].fields[0]`). */
const draft = (page: Page, at: string, part: string) => page.locator(`#dz-${at.replace(/[^a-z0-9]/gi, '-')}-${part}`)

// An admin designs a type with a child table; a member fills the generated form, fixes an error
// the server names beside the field, and moves it through its workflow; the admin's list updates
// live; a stale write is refused; CSV export downloads; an import with a bad row writes nothing.
test('records: a type designed in the browser, its generated form, workflow, live list and CSV', async ({ server, newUserPage, shot }) => {
  test.slow()
  const w = await server.world()
  const carol = await server.user('carol')
  await server.join(w.owner, w.org, carol)
  // A type to link to, which members may read.
  await server.call('POST', `/api/v1/orgs/${w.org}/record-types`, { token: w.owner.token, json: { slug: 'cost_centre', name: 'Cost centre', fields: [{ name: 'name', type: 'text', required: true }], permissions: [{ role: 'member', action: 'read', scope: 'all' }] } }, 201)
  const centre = (await server.call('POST', `/api/v1/orgs/${w.org}/records/cost_centre`, { token: w.owner.token, json: { name: 'Initech office' } }, 201)).json

  // The admin designs "Expense claim" in the browser.
  const alice = await newUserPage(w.owner, `/o/${w.org}/records`)
  await alice.page.getByRole('link', { name: 'New record type' }).click()
  await alice.page.getByLabel('Type name').fill('Expense claim')
  await expect(alice.page.getByLabel('Slug (in addresses and links)')).toHaveValue('expense_claim')
  await draft(alice.page, 'fields[0]', 'name').fill('code')
  await draft(alice.page, 'fields[0]', 'label').fill('Code')
  await draft(alice.page, 'fields[0]', 'pattern').fill('[A-Z]{2}-[0-9]+')
  const first = alice.page.getByTestId('draft-fields[0]')
  await first.getByLabel('Required').check()
  await first.getByLabel('Unique').check()
  await alice.page.getByRole('button', { name: 'Add a field' }).click()
  await draft(alice.page, 'fields[1]', 'name').fill('budget')
  await draft(alice.page, 'fields[1]', 'type').selectOption('money')
  await draft(alice.page, 'fields[1]', 'min').fill('0')
  await alice.page.getByRole('button', { name: 'Add a field' }).click()
  await draft(alice.page, 'fields[2]', 'name').fill('priority')
  await draft(alice.page, 'fields[2]', 'type').selectOption('select')
  await draft(alice.page, 'fields[2]', 'options').fill('low, high')
  await alice.page.getByRole('button', { name: 'Add a field' }).click()
  await draft(alice.page, 'fields[3]', 'name').fill('customer')
  await draft(alice.page, 'fields[3]', 'type').selectOption('link')
  await draft(alice.page, 'fields[3]', 'to').selectOption('cost_centre')
  await alice.page.getByRole('button', { name: 'Add a field' }).click()
  await draft(alice.page, 'fields[4]', 'name').fill('lines')
  await draft(alice.page, 'fields[4]', 'type').selectOption('table')
  await alice.page.getByRole('button', { name: 'Add a column' }).click()
  await draft(alice.page, 'fields[4].fields[0]', 'name').fill('item')
  await alice.page.getByTestId('draft-fields[4].fields[0]').getByLabel('Required').check()
  await alice.page.getByRole('button', { name: 'Add a column' }).click()
  await draft(alice.page, 'fields[4].fields[1]', 'name').fill('amount')
  await draft(alice.page, 'fields[4].fields[1]', 'type').selectOption('money')
  // A workflow: draft → submitted → approved (final), approval by admins, never by the claimant.
  await alice.page.getByLabel('Records follow a workflow').check()
  for (const [i, name] of ['draft', 'submitted', 'approved'].entries()) {
    await alice.page.getByRole('button', { name: 'Add a state' }).click()
    await alice.page.locator(`#st-${i}`).fill(name)
  }
  await alice.page.getByLabel('Final (read-only)').nth(2).check()
  await alice.page.getByRole('button', { name: 'Add a transition' }).click()
  await alice.page.locator('#tr-0-action').fill('submit')
  await alice.page.getByLabel('Transition submit from draft').check()
  await alice.page.locator('#tr-0-to').selectOption('submitted')
  await alice.page.getByRole('button', { name: 'Add a transition' }).click()
  await alice.page.locator('#tr-1-action').fill('approve')
  await alice.page.getByLabel('Transition approve from submitted').check()
  await alice.page.locator('#tr-1-to').selectOption('approved')
  await alice.page.locator('#tr-1-roles').fill('owner, admin')
  await alice.page.getByTestId('transition-1').getByLabel('The record’s creator may take it').uncheck()
  await alice.page.getByLabel('Number records with a naming series').check()
  await alice.page.locator('#nm-prefix').fill('EXP-')
  await alice.page.getByRole('button', { name: 'Let members read, write, take steps and export' }).click()
  await shot(alice.page, 'designer')
  await alice.page.getByRole('button', { name: 'Create the type' }).click()
  await expect(alice.page.getByRole('heading', { name: 'Expense claim' })).toBeVisible()
  await expect(alice.page.getByText('No Expense claim records yet')).toBeVisible()
  // The sidebar lists the types under Records.
  await expect(alice.page.getByTestId('records-nav').getByRole('link', { name: 'Expense claim' })).toHaveAttribute('aria-current', 'page')
  const type = (await server.call('GET', `/api/v1/orgs/${w.org}/record-types/expense_claim`, { token: w.owner.token })).json
  expect(type.fields.map((f: any) => f.name)).toEqual(['code', 'budget', 'priority', 'customer', 'lines'])
  expect(type.fields[4].fields.map((f: any) => [f.name, f.type])).toEqual([['item', 'text'], ['amount', 'money']])
  expect(type.workflow.transitions[1]).toMatchObject({ action: 'approve', roles: ['owner', 'admin'], allow_self_approval: false })

  // Carol, a member, fills the generated form; the admin watches the list.
  const carolPage = (await newUserPage(carol, `/o/${w.org}/records/expense_claim`)).page
  await carolPage.getByRole('link', { name: 'New Expense claim' }).click()
  await carolPage.getByLabel('Code').fill('bad code')
  await carolPage.getByLabel('Budget').fill('1,250.50')
  await carolPage.getByLabel('Priority').selectOption('high')
  await carolPage.getByLabel('Customer').fill('Init')
  await carolPage.getByRole('option', { name: 'Initech office' }).getByRole('button').click()
  await expect(carolPage.getByTestId('link-value')).toHaveText('Initech office')
  await carolPage.getByRole('button', { name: 'Add a row to Lines' }).click()
  await carolPage.getByLabel('Item, row 1').fill('Train ticket')
  await carolPage.getByLabel('Amount, row 1').fill('89.90')
  await carolPage.getByRole('button', { name: 'Add a row to Lines' }).click()
  await carolPage.getByLabel('Item, row 2').fill('Hotel')
  await carolPage.getByLabel('Amount, row 2').fill('120')
  await carolPage.getByRole('button', { name: 'Move row 2 up' }).click()
  await expect(carolPage.getByLabel('Item, row 1')).toHaveValue('Hotel')
  await carolPage.getByRole('button', { name: 'Create Expense claim' }).click()
  // The server's refusal sits beside the field it names; nothing was created.
  await expect(carolPage.locator('#rf-code-err')).toHaveText('does not match the required pattern')
  await expect(carolPage.getByLabel('Code')).toBeFocused()
  await shot(carolPage, 'form-error')
  expect((await server.call('GET', `/api/v1/orgs/${w.org}/records/expense_claim`, { token: w.owner.token })).json.items).toEqual([])
  await carolPage.getByLabel('Code').fill('EX-1')
  await carolPage.getByRole('button', { name: 'Create Expense claim' }).click()
  await expect(carolPage.getByTestId('record-name')).toHaveText(/^EXP-\d{4}-00001$/)
  await expect(carolPage.getByTestId('record-state')).toHaveText('draft')

  // The admin's list shows it without a reload, with the totals row.
  const list = alice.page.getByTestId('records-table')
  await expect(list).toContainText(/EXP-\d{4}-00001/)
  await expect(list).toContainText('EUR 1,250.50')
  // A link column shows the linked record's name.
  await expect(list).toContainText('Initech office')
  await expect(alice.page.getByTestId('totals')).toContainText('EUR 1,250.50')
  await shot(alice.page, 'list-live')

  const record = (await server.call('GET', `/api/v1/orgs/${w.org}/records/expense_claim`, { token: w.owner.token })).json.items[0]
  expect(record).toMatchObject({ code: 'EX-1', budget: 125050, priority: 'high', customer: centre.id })
  expect(record.lines.map((l: any) => [l.item, l.amount])).toEqual([['Hotel', 12000], ['Train ticket', 8990]])

  // Both have the draft open. Alice edits while Carol saves: Alice is told at once, her save
  // is refused (409, nothing overwritten), and she loads Carol's version.
  await alice.page.getByRole('link', { name: /EXP-\d{4}-00001/ }).click()
  await expect(alice.page.getByLabel('Budget')).toHaveValue('1250.50')
  await alice.page.getByLabel('Budget').fill('999')
  await carolPage.getByLabel('Budget').fill('1,300')
  await carolPage.getByRole('button', { name: 'Save changes' }).click()
  await expect(alice.page.getByTestId('stale')).toContainText('changed by someone else')
  await alice.page.getByRole('button', { name: 'Save changes' }).click()
  await expect(alice.page.getByTestId('stale')).toBeVisible()
  await shot(alice.page, 'stale-write')
  expect((await server.call('GET', `/api/v1/records/${record.id}`, { token: w.owner.token })).json.budget).toBe(130000)
  await alice.page.getByRole('button', { name: 'Load their version' }).click()
  await expect(alice.page.getByLabel('Budget')).toHaveValue('1300.00')
  await expect(alice.page.getByTestId('stale')).toHaveCount(0)

  // Carol submits with a comment; she may not approve her own claim (the button says why).
  await carolPage.getByLabel('Comment for the next step (optional)').fill('Trip to the Initech office')
  await carolPage.getByRole('button', { name: 'submit' }).click()
  await expect(carolPage.getByTestId('record-state')).toHaveText('submitted')
  await expect(carolPage.getByRole('button', { name: 'approve' })).toBeDisabled()
  await expect(carolPage.getByText('approve: none of your roles may take this step')).toBeVisible()
  await expect(carolPage.getByTestId('history')).toContainText('took “submit”')
  await expect(carolPage.getByTestId('history')).toContainText('Trip to the Initech office')
  await expect(carolPage.getByTestId('history')).toContainText('Budget: EUR 1,250.50 → EUR 1,300.00')
  await expect(carolPage.getByTestId('history')).toContainText('Lines row: — → Item: Hotel, Amount: EUR 120.00')

  // The admin approves; Carol's open record follows, and is read-only in its final state.
  await expect(alice.page.getByTestId('record-state')).toHaveText('submitted')
  await alice.page.getByRole('button', { name: 'approve' }).click()
  await expect(alice.page.getByTestId('record-state')).toHaveText('approved')
  await expect(carolPage.getByTestId('record-state')).toHaveText('approved')
  await expect(carolPage.getByText(/This record is approved: it can no longer be changed/)).toBeVisible()
  await expect(carolPage.getByLabel('Code')).toBeDisabled()
  await shot(carolPage, 'record-approved')

  // CSV export of the list downloads what the list shows.
  await alice.page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Expense claim' }).click()
  const [download] = await Promise.all([
    alice.page.waitForEvent('download'),
    alice.page.getByRole('link', { name: 'Export CSV' }).click()
  ])
  const csv = fs.readFileSync(await download.path(), 'utf8')
  expect(csv.split('\n')[0]).toBe('id,name,state,code,budget,priority,customer,lines')
  expect(csv).toContain('EX-1,130000,high')

  // An import with one bad row reports it per row and column and writes nothing.
  await alice.page.getByRole('button', { name: 'Import CSV' }).click()
  await alice.page.getByLabel('CSV file').setInputFiles({ name: 'claims.csv', mimeType: 'text/csv', buffer: Buffer.from('code,budget,priority\nEX-2,1000,low\nEX-3,lots,high\n') })
  await alice.page.getByRole('dialog').getByRole('button', { name: 'Import' }).click()
  const report = alice.page.getByTestId('import-report')
  await expect(report).toContainText('Nothing was imported')
  await expect(report.getByRole('row').nth(1)).toContainText('2budgetmust be a whole number')
  await shot(alice.page, 'import-report')
  expect((await server.call('GET', `/api/v1/orgs/${w.org}/records/expense_claim`, { token: w.owner.token })).json.items).toHaveLength(1)
  // The good file goes in, and the list shows both.
  await alice.page.getByLabel('CSV file').setInputFiles({ name: 'claims.csv', mimeType: 'text/csv', buffer: Buffer.from('code,budget,priority\nEX-2,1000,low\n') })
  await alice.page.getByRole('dialog').getByRole('button', { name: 'Import' }).click()
  await expect(alice.page.getByRole('dialog')).toHaveCount(0)
  await expect(list.locator('tbody tr')).toHaveCount(2)
  await expect(alice.page.getByTestId('totals')).toContainText('EUR 1,310.00')

  // Filters: the select narrows the list; sorting by budget puts the smaller first.
  await alice.page.getByLabel('Filter by').selectOption({ label: 'Priority' })
  await alice.page.getByTestId('filter-priority').getByLabel('low').check()
  await expect(list.locator('tbody tr')).toHaveCount(1)
  await expect(list).toContainText('EUR 10.00')
  await alice.page.getByRole('button', { name: 'Remove the Priority filter' }).click()
  await expect(list.locator('tbody tr')).toHaveCount(2)
  await alice.page.getByRole('button', { name: 'Budget' }).click()
  await expect(list.locator('tbody tr').first()).toContainText('EUR 10.00')
  await alice.page.getByRole('button', { name: 'Budget ↑' }).click()
  await expect(list.locator('tbody tr').first()).toContainText('EUR 1,300.00')

  // Bulk delete, confirmed: the draft goes; the approved claim is refused (final states stay).
  await alice.page.getByLabel('Select all').check()
  await alice.page.getByTestId('bulk-bar').getByRole('button', { name: 'Delete selected' }).click()
  await alice.page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click()
  await expect(alice.page.getByRole('alert').filter({ hasText: 'Not deleted' })).toContainText('final state')
  await expect(list.locator('tbody tr')).toHaveCount(1)
  await expect(list).toContainText('EX-1')
})

// A record's discussion and files between two people, each in their own browser: a comment
// reaches the other's open record at once and a reply comes back; a file uploaded by the owner
// shows up for the other (who may read the record, not change it: no upload or remove for them),
// downloads byte-identical through the record, and is removed for both; an upload the server
// refuses (too large, over the quota) says why beside it and attaches nothing.
test('records: a record’s discussion and attachments, live for another member', async ({ server, newUserPage, shot }, testInfo) => {
  test.slow()
  const w = await server.world()
  const bob = await server.user('bob')
  await server.join(w.owner, w.org, bob)
  await server.call('POST', `/api/v1/orgs/${w.org}/record-types`, { token: w.owner.token, json: { slug: 'case', name: 'Support case', fields: [{ name: 'subject', type: 'text', required: true }], permissions: [{ role: 'member', action: 'read', scope: 'all' }, { role: 'member', action: 'write', scope: 'own' }] } }, 201)
  const rec = (await server.call('POST', `/api/v1/orgs/${w.org}/records/case`, { token: w.owner.token, json: { subject: 'Printer on fire' } }, 201)).json
  const url = `/o/${w.org}/records/case/${rec.id}`
  // bypassCSP: axe is injected as an inline script, which the server's CSP forbids.
  const a = (await newUserPage(w.owner, url, { bypassCSP: true })).page
  const b = (await newUserPage(bob, url, { bypassCSP: true })).page
  await expect(a.getByTestId('record-name')).toHaveText(rec.name)
  await expect(a.getByTestId('discussion')).toContainText('No comments yet.')
  await expect(b.getByTestId('discussion')).toContainText('No comments yet.')
  await expect(a.getByTestId('no-attachments')).toBeVisible()
  await expect(b.getByTestId('no-attachments')).toBeVisible()
  // Bob may read the record, not change it: no upload, and (below) no remove.
  await expect(b.getByRole('button', { name: /^Upload files/ })).toHaveCount(0)

  // A comment, live in the other browser; and a reply back.
  await a.getByLabel('Comment on this record').fill('The customer sent the **new** invoice')
  await a.getByLabel('Comment on this record').press('Enter')
  await expect(a.getByTestId('discussion')).toContainText('The customer sent the new invoice')
  await expect(b.getByTestId('discussion')).toContainText('The customer sent the new invoice')
  await expect(b.getByTestId('discussion').locator('strong', { hasText: 'new' })).toBeVisible()
  await b.getByLabel('Comment on this record').fill('Thanks, looking at it')
  await b.getByRole('button', { name: 'Send' }).click()
  await expect(a.getByTestId('discussion')).toContainText('Thanks, looking at it')
  await expect(b.getByLabel('Comment on this record')).toHaveValue('')
  const page = (await server.call('GET', `/api/v1/channels/${rec.id}/messages`, { token: w.owner.token })).json
  expect(page.items.map((m: any) => [m.author.id, m.text])).toEqual([[w.owner.id, 'The customer sent the **new** invoice'], [bob.id, 'Thanks, looking at it']])
  // A thread on a comment opens in place of the list, keyboard focus in its reply box, and gives
  // focus back to its comment when closed; the other person sees the reply count.
  const first = b.getByTestId('discussion').getByRole('article', { name: /^Owner Tester/ })
  await first.hover()
  await first.getByRole('button', { name: 'Reply in thread' }).click()
  await expect(b.getByLabel('Reply…')).toBeFocused()
  await b.getByLabel('Reply…').fill('Which invoice number?')
  await b.getByLabel('Reply…').press('Enter')
  await expect(b.getByRole('complementary', { name: 'Thread' })).toContainText('Which invoice number?')
  await shot(b, 'thread')
  await expect(a.getByTestId('discussion')).toContainText('1 reply')
  await b.getByRole('button', { name: 'Close thread' }).click()
  await expect(first).toBeFocused()
  await expect(b.getByTestId('discussion')).toContainText('1 reply')
  await shot(b, 'discussion')

  // The owner uploads a file; it is attached, listed for both with its size and uploader.
  const bytes = randomBytes(200 * 1024)
  await expect(a.getByText(/Uploads are stored in the files of Project/)).toBeVisible()
  await a.getByTestId('record-file-input').setInputFiles({ name: 'invoice.bin', mimeType: 'application/octet-stream', buffer: bytes })
  const mine = a.locator('[data-file="invoice.bin"]')
  await expect(mine).toContainText('200 KB')
  const theirs = b.locator('[data-file="invoice.bin"]')
  await expect(theirs).toContainText(`200 KB · added by ${w.owner.name}`)
  await expect(theirs.getByRole('button', { name: /^Remove/ })).toHaveCount(0)
  await shot(b, 'attachment-listed')
  const listed = (await server.call('GET', `/api/v1/records/${rec.id}/attachments`, { token: bob.token })).json.items
  expect(listed.map((f: any) => [f.name, f.size, f.attached_by])).toEqual([['invoice.bin', bytes.length, w.owner.id]])

  // Bob downloads it through the record: the same bytes.
  const [download] = await Promise.all([
    b.waitForEvent('download'),
    theirs.getByRole('link', { name: 'Download invoice.bin' }).click()
  ])
  const saved = testInfo.outputPath('invoice.bin')
  await download.saveAs(saved)
  expect(Buffer.compare(fs.readFileSync(saved), bytes)).toBe(0)
  // The record with its comments and files meets WCAG AA in the dark theme too (and, reloaded,
  // it keeps following the other person's changes).
  await b.evaluate(() => localStorage.setItem('atrium.theme', 'dark'))
  await b.reload()
  await expect(theirs).toBeVisible()
  await expect(b.getByTestId('discussion')).toContainText('Thanks, looking at it')
  await b.waitForLoadState('networkidle')
  expect(await violations(b), 'dark record with comments and files').toEqual([])

  // Refused uploads (the server's answers for a file over the size limit and over the org's
  // quota) say why beside the upload and attach nothing.
  const refuse = (status: number, code: string, message: string) => a.route('**/api/v1/projects/*/files', (route) =>
    route.fulfill({ status, contentType: 'application/json', body: JSON.stringify({ error: { code, message } }) }), { times: 1 })
  await refuse(413, 'payload_too_large', 'the request body is larger than this endpoint accepts')
  await a.getByTestId('record-file-input').setInputFiles({ name: 'huge.iso', mimeType: 'application/octet-stream', buffer: Buffer.alloc(64 * 1024, 1) })
  await expect(a.getByRole('alert').filter({ hasText: 'huge.iso' })).toHaveText('huge.iso (64 KB) is larger than this server accepts for one file.')
  await a.getByRole('button', { name: 'Dismiss the error about huge.iso' }).click()
  await refuse(409, 'quota_exceeded', "this upload would exceed your organisation's storage quota")
  await a.getByTestId('record-file-input').setInputFiles({ name: 'more.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 not really') })
  await expect(a.getByRole('alert').filter({ hasText: 'more.pdf' })).toContainText('more.pdf was not uploaded: it would take your organisation over its storage quota')
  await shot(a, 'upload-refused')
  expect(await violations(a), 'record with comments, files and refused uploads').toEqual([])
  expect((await server.call('GET', `/api/v1/records/${rec.id}/attachments`, { token: w.owner.token })).json.items).toHaveLength(1)

  // The owner removes it (confirmed): gone for both; the file stays in its project.
  await mine.getByRole('button', { name: 'Remove invoice.bin from the record' }).click()
  await a.getByRole('dialog').getByRole('button', { name: 'Remove' }).click()
  await expect(a.getByTestId('no-attachments')).toBeVisible()
  await expect(b.getByTestId('no-attachments')).toBeVisible()
  expect((await server.call('GET', `/api/v1/records/${rec.id}/attachments`, { token: w.owner.token })).json.items).toEqual([])
  const inProject = (await server.call('GET', `/api/v1/projects/${w.project}/files`, { token: w.owner.token })).json.items
  expect(inProject.map((f: any) => f.name)).toEqual(['invoice.bin'])
})
