import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import type { Page } from '@playwright/test'
import { test, expect, SCREENSHOTS } from './fixtures'
import { violations } from './axe'
import type { TestServer } from './harness'

/** The .eml in the server's outbox addressed to `to` that contains every one of `needles`; waits up to 30 s. */
async function mailTo (server: TestServer, to: string, needles: string[]): Promise<string> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const dir = server.outbox
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.eml')).sort() : []) {
      const raw = fs.readFileSync(path.join(dir, f), 'utf8').replace(/=\r?\n/g, '')
      if (raw.includes(to) && needles.every((n) => raw.includes(n))) return raw
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} with ${needles.join(', ')} in ${dir}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Fills line `n` (1-based) of the invoice editor. */
async function fillLine (page: Page, n: number, values: Partial<Record<'Description' | 'Quantity' | 'Unit price' | 'Discount %' | 'Tax %' | 'Tax code', string>>) {
  for (const [label, value] of Object.entries(values)) {
    await page.getByLabel(`${label}, line ${n}`, { exact: true }).fill(value)
  }
}

// An accountant drafts an invoice for a client in the editor: the totals follow every keystroke
// (by the server's rounding rule) and equal the server's once saved; the PDF previews in the page
// and downloads; sending issues it (numbered, read-only, e-mailed with the PDF); a payment over
// the amount due is refused beside the field; a partial payment and then the rest move the
// status chip to "Partially paid" and "Paid"; the list's aging follows.
test('invoices: live totals, the PDF, sending and payments, as an accountant', async ({ server, newUserPage, shot }) => {
  test.slow()
  const w = await server.world()
  const acc = await server.user('accountant')
  await server.join(w.owner, w.org, acc, 'accountant')
  // Clients are the sales side's; the owner creates this one (accountants read clients).
  const client = (await server.call('POST', `/api/v1/orgs/${w.org}/records/client`, {
    token: w.owner.token,
    json: { name: 'Initech GmbH', email: 'billing@initech.example', currency: 'EUR', payment_terms_days: 30, address: 'Hauptstraße 1\n10115 Berlin' }
  }, 201)).json

  const { page } = await newUserPage(acc, `/o/${w.org}/invoices`)
  await expect(page.getByRole('heading', { name: 'Invoices' })).toBeVisible()
  await expect(page.getByText('No invoices yet')).toBeVisible()
  await page.getByRole('link', { name: 'New invoice' }).click()
  await expect(page.getByRole('heading', { name: /New invoice/ })).toBeVisible()

  // The client, found by name with the keyboard; currency and due date follow from it.
  const picker = page.getByLabel('Client', { exact: true })
  await picker.fill('Init')
  await expect(page.getByRole('option', { name: /Initech GmbH/ })).toBeVisible()
  await picker.press('ArrowDown')
  await picker.press('Enter')
  await expect(page.getByTestId('client-chosen')).toHaveText('Initech GmbH')
  await expect(page.getByLabel('Currency')).toHaveValue('EUR')
  const issued = await page.getByLabel('Issue date').inputValue()
  const due = new Date(Date.parse(issued + 'T00:00:00Z') + 30 * 86_400_000).toISOString().slice(0, 10)
  await expect(page.getByLabel('Due date')).toHaveValue(due)

  // Line 1: 0.5 × EUR 10.05 = 5.025, rounded half up to 5.03, as it is typed.
  const total = page.getByTestId('total')
  await fillLine(page, 1, { Description: 'Consulting (half hour)', Quantity: '0.5', 'Unit price': '10.05' })
  await expect(page.getByTestId('line-amount-0')).toHaveText('EUR 5.03')
  await expect(total).toHaveText('EUR 5.03')
  await expect(page.getByTestId('totals')).toHaveAttribute('data-source', 'live')
  // 19 % of 5.03 is 0.9557 → 0.96.
  await fillLine(page, 1, { 'Tax %': '19' })
  await expect(total).toHaveText('EUR 5.99')
  // Line 2: 3 × 19.99 = 59.97, 10 % off (5.997 → 6.00), 19 % of 53.97 (10.2543 → 10.25).
  await page.getByRole('button', { name: 'Add a line' }).click()
  await expect(page.getByLabel('Description, line 2', { exact: true })).toBeFocused()
  await fillLine(page, 2, { Description: 'Licences', Quantity: '3', 'Unit price': '19.99' })
  await expect(total).toHaveText('EUR 65.96')
  await fillLine(page, 2, { 'Discount %': '10' })
  await expect(page.getByTestId('discount-total')).toHaveText('−EUR 6.00')
  await fillLine(page, 2, { 'Tax %': '19' })
  await expect(total).toHaveText('EUR 70.21')
  // A value the server would refuse is named beside its cell at once.
  await fillLine(page, 2, { Quantity: '3.0001' })
  await expect(page.locator('#inv-lines-1-quantity-err')).toHaveText('has more than 3 decimal places')
  await fillLine(page, 2, { Quantity: '3' })
  await expect(page.locator('#inv-lines-1-quantity-err')).toHaveCount(0)
  // Line 3: travel at 7 %; typed first, then moved above the licences with the keyboard.
  await page.getByRole('button', { name: 'Add a line' }).click()
  await fillLine(page, 3, { Description: 'Travel', Quantity: '1', 'Unit price': '120', 'Tax %': '7' })
  await page.getByRole('button', { name: 'Move line 3 up' }).click()
  await expect(page.getByLabel('Description, line 2', { exact: true })).toHaveValue('Travel')
  await expect(page.getByRole('button', { name: 'Move line 2 up' })).toBeFocused()
  // Subtotal 185.00 − discount 6.00 + tax 19.61 (0.96 + 8.40 + 10.25) = 198.61.
  await expect(page.getByTestId('subtotal')).toHaveText('EUR 185.00')
  await expect(page.getByTestId('tax-total')).toHaveText('EUR 19.61')
  await expect(total).toHaveText('EUR 198.61')
  await expect(page.getByTestId('tax-row')).toHaveText([/Tax 7%.*EUR 8\.40/, /Tax 19%.*EUR 11\.21/])
  await shot(page, 'editor-live-totals')
  const live = await page.getByTestId('totals').innerText()

  await page.getByRole('button', { name: 'Create draft' }).click()
  await expect(page).toHaveURL(new RegExp(`/o/${w.org}/invoices/[0-9a-f-]{36}$`))
  await expect(page.getByTestId('invoice-status')).toHaveText('Draft')
  await expect(page.getByTestId('invoice-name')).toHaveText(/^Draft-/)
  // After the save the page shows the server's figures: the same as computed while typing.
  await expect(page.getByTestId('totals')).toHaveAttribute('data-source', 'saved')
  await expect(total).toHaveText('EUR 198.61')
  expect(await page.getByTestId('totals').innerText()).toBe(live.replace('Computed as you type (the server computes the same when you save)', 'As saved'))
  await expect(page.getByTestId('figures-mismatch')).toHaveCount(0)
  const id = page.url().split('/').pop()!
  const saved = (await server.call('GET', `/api/v1/records/${id}`, { token: acc.token })).json
  expect(saved).toMatchObject({ client: client.id, currency: 'EUR', due_date: due, subtotal: 18500, discount_total: 600, tax_total: 1961, total: 19861, amount_due: 19861, state: 'draft' })
  expect(saved.lines.map((l: any) => [l.description, String(l.quantity), l.unit_price, l.amount])).toEqual([
    ['Consulting (half hour)', '0.5', 1005, 503], ['Travel', '1', 12000, 12000], ['Licences', '3', 1999, 5397]
  ])
  await shot(page, 'draft-saved')

  // The PDF: typeset by the server, previewed in the page, and downloadable.
  const [pdf] = await Promise.all([
    page.waitForResponse((r) => r.url().includes(`/api/v1/records/${id}/pdf`)),
    page.getByRole('button', { name: 'Preview PDF' }).click()
  ])
  expect(pdf.status()).toBe(200)
  expect(pdf.headers()['content-type']).toBe('application/pdf')
  await expect(page.getByTestId('pdf-preview')).toBeVisible()
  await expect.poll(async () => {
    const frame = page.frames().find((f) => f.url().includes(`/api/v1/records/${id}/pdf`))
    return frame ? await frame.evaluate(() => document.contentType).catch(() => 'not loaded') : 'no frame'
  }).toBe('application/pdf')
  await shot(page, 'pdf-preview')
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PDF' }).click()])
  expect(fs.readFileSync(await download.path()).subarray(0, 5).toString()).toBe('%PDF-')
  // The PDF's first page as a PNG beside the screenshots (poppler's pdftoppm), for a person to look at.
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  const artifact = path.join(SCREENSHOTS, `invoice-${test.info().project.name}`)
  fs.copyFileSync(await download.path(), `${artifact}.pdf`)
  execFileSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', `${artifact}.pdf`, `${artifact}-page1`])
  expect(fs.statSync(`${artifact}-page1.png`).size).toBeGreaterThan(5000)

  // Send: to the client's address, with a copy; a bad copy address is named beside the field.
  await page.getByRole('button', { name: 'Send…' }).click()
  const dialog = page.getByRole('dialog', { name: /^Send Draft-/ })
  await expect(dialog.getByLabel('To')).toHaveValue('billing@initech.example')
  const year = new Date().getUTCFullYear()
  await expect(dialog.getByTestId('send-number')).toContainText(`INV-${year}-00001`)
  await dialog.getByLabel('Cc').fill('not-an-address')
  await dialog.getByLabel('Message').fill('Thank you for the workshop.')
  await dialog.getByRole('button', { name: 'Send and issue' }).click()
  await expect(dialog.locator('#send-cc-err')).toContainText('not-an-address is not a valid e-mail address')
  await shot(page, 'send-dialog-error')
  expect((await server.call('GET', `/api/v1/records/${id}`, { token: acc.token })).json.state).toBe('draft')
  await dialog.getByLabel('Cc').fill('cfo@initech.example')
  await dialog.getByRole('button', { name: 'Send and issue' }).click()
  await expect(dialog).toHaveCount(0)
  const number = `INV-${year}-00001`
  await expect(page.getByTestId('invoice-name')).toHaveText(number)
  await expect(page.getByTestId('invoice-status')).toHaveText('Sent')
  // Sent means read-only, and the page says why.
  await expect(page.getByTestId('read-only-why')).toContainText('read-only')
  await expect(page.getByLabel('Quantity, line 1', { exact: true })).toBeDisabled()
  await expect(page.getByRole('button', { name: 'Save draft' })).toHaveCount(0)
  const mail = await mailTo(server, 'billing@initech.example', [number, 'cfo@initech.example', 'application/pdf', 'Thank you for the workshop.'])
  expect(mail).toContain(`${number}.pdf`)

  // A payment over the amount due is refused beside the amount; nothing is recorded.
  await page.getByRole('button', { name: 'Record payment…' }).click()
  const pay = page.getByRole('dialog', { name: `Record a payment for ${number}` })
  await expect(pay.getByLabel('Amount (EUR)')).toHaveValue('198.61')
  await pay.getByLabel('Amount (EUR)').fill('250')
  await pay.getByRole('button', { name: 'Record payment' }).click()
  await expect(pay.locator('#pay-amount-err')).toContainText('more than the amount due')
  await shot(page, 'payment-refused')
  // A partial payment by card.
  await pay.getByLabel('Amount (EUR)').fill('100')
  await pay.getByLabel('Method').selectOption('card')
  await pay.getByLabel('Reference').fill('TX-4711')
  await pay.getByRole('button', { name: 'Record payment' }).click()
  await expect(pay).toHaveCount(0)
  await expect(page.getByTestId('invoice-status')).toHaveText('Partially paid')
  await expect(page.getByTestId('amount-paid')).toHaveText('−EUR 100.00')
  await expect(page.getByTestId('amount-due')).toHaveText('EUR 98.61')
  await expect(page.getByTestId('payments')).toContainText('EUR 100.00')
  await expect(page.getByTestId('payments')).toContainText('Card · TX-4711')
  // Nothing paid can be voided any more.
  await expect(page.getByRole('button', { name: 'Void' })).toBeDisabled()

  // The list: the chip, the amount due, and the aging of what is still open.
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Invoices' }).click()
  const row = page.getByTestId('invoices-table').locator(`tr[data-invoice="${id}"]`)
  await expect(row).toContainText(number)
  await expect(row).toContainText('Initech GmbH')
  await expect(row.locator('.status')).toHaveText('Partially paid')
  await expect(row).toContainText('EUR 98.61')
  await expect(page.getByTestId('aging').locator('tr[data-currency="EUR"] td[data-bucket="0"]')).toContainText('EUR 98.61')
  await page.getByRole('button', { name: 'Draft', exact: true }).click()
  await expect(page.getByText('No invoices match these filters')).toBeVisible()
  await page.getByRole('button', { name: 'Partially paid', exact: true }).click()
  await expect(row).toBeVisible()
  await shot(page, 'list-partially-paid')

  // The rest: prefilled with what is due; the chip turns to "Paid".
  await row.getByRole('link', { name: number }).click()
  await page.getByRole('button', { name: 'Record payment…' }).click()
  await expect(pay.getByLabel('Amount (EUR)')).toHaveValue('98.61')
  await pay.getByRole('button', { name: 'Record payment' }).click()
  await expect(pay).toHaveCount(0)
  await expect(page.getByTestId('invoice-status')).toHaveText('Paid')
  await expect(page.getByTestId('amount-due')).toHaveText('EUR 0.00')
  await expect(page.getByRole('button', { name: 'Record payment…' })).toHaveCount(0)
  await shot(page, 'paid')
  expect((await server.call('GET', `/api/v1/records/${id}`, { token: acc.token })).json).toMatchObject({ state: 'paid', amount_paid: 19861, amount_due: 0 })
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Invoices' }).click()
  await page.getByRole('button', { name: 'All', exact: true }).click()
  await expect(page.getByTestId('invoices-table').locator(`tr[data-invoice="${id}"] .status`)).toHaveText('Paid')
  await expect(page.getByTestId('aging')).toContainText('Nothing is owed')
})

// A sent invoice nobody paid is voided (confirmed), and the void one amended into a new draft
// that can be edited again.
test('invoices: void an unpaid invoice and amend it', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const acc = await server.user('accountant')
  await server.join(w.owner, w.org, acc, 'accountant')
  const client = (await server.call('POST', `/api/v1/orgs/${w.org}/records/client`, { token: w.owner.token, json: { name: 'Hooli', email: 'ap@hooli.example', currency: 'KWD', payment_terms_days: 10 } }, 201)).json
  const draft = (await server.call('POST', `/api/v1/orgs/${w.org}/records/invoice`, { token: acc.token, json: { client: client.id, lines: [{ description: 'Audit', quantity: '1.5', unit_price: 1005 }] } }, 201)).json
  expect(draft).toMatchObject({ currency: 'KWD', total: 1508 })
  const sent = (await server.call('POST', `/api/v1/records/${draft.id}/send`, { token: acc.token, json: {} }, 202)).json.invoice
  const { page } = await newUserPage(acc, `/o/${w.org}/invoices/${sent.id}`)
  await expect(page.getByTestId('invoice-status')).toHaveText('Sent')
  await expect(page.getByTestId('total')).toHaveText('KWD 1.508')
  await expect(page.getByTestId('read-only-why')).toContainText('void it and amend')
  await page.getByRole('button', { name: 'Void' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Void' }).click()
  await expect(page.getByTestId('invoice-status')).toHaveText('Void')
  await expect(page.getByTestId('read-only-why')).toContainText('Amend it')
  await expect(page.getByRole('button', { name: 'Send again…' })).toHaveCount(0)
  await shot(page, 'void')
  await page.getByRole('button', { name: 'Amend' }).click()
  await expect(page.getByTestId('invoice-status')).toHaveText('Draft')
  await expect(page.getByTestId('invoice-name')).toHaveText(new RegExp(`^${sent.name}-\\d+$`))
  await expect(page.getByRole('link', { name: 'Amended from…' })).toBeVisible()
  await expect(page.getByLabel('Unit price, line 1', { exact: true })).toHaveValue('1.005')
  await fillLine(page, 1, { Quantity: '2' })
  await expect(page.getByTestId('total')).toHaveText('KWD 2.010')
  await page.getByRole('button', { name: 'Save draft' }).click()
  await expect(page.getByTestId('totals')).toHaveAttribute('data-source', 'saved')
  await expect(page.getByTestId('total')).toHaveText('KWD 2.010')
  const amended = (await server.call('GET', page.url().replace(/^.*\/invoices\//, '/api/v1/records/'), { token: acc.token })).json
  expect(amended).toMatchObject({ state: 'draft', total: 2010, amended_from: sent.id })
})

// The settings page: the seller block, a payment detail the server refuses beside its field,
// and a logo uploaded through the files API into a project and chosen; an owner picks the org's
// e-mail templates for invoice mail and reminders, previewed over a sample invoice. The list, the
// editor (with an error showing) and the settings meet WCAG AA.
test('invoices: settings with payment details, an uploaded logo and e-mail templates; the screens meet WCAG AA', async ({ server, newUserPage, shot }) => {
  test.slow()
  const w = await server.world()
  const acc = await server.user('accountant')
  await server.join(w.owner, w.org, acc, 'accountant')
  await server.call('POST', `/api/v1/projects/${w.project}/members`, { token: w.owner.token, json: { user_id: acc.id, role: 'editor' } }, [200, 201, 204])
  await server.call('POST', `/api/v1/orgs/${w.org}/records/client`, { token: w.owner.token, json: { name: 'Globex', email: 'ap@globex.example', currency: 'JPY', payment_terms_days: 14 } }, 201)
  // bypassCSP: axe is injected as an inline script, which the server's CSP forbids.
  const { page } = await newUserPage(acc, `/o/${w.org}/invoices`, { bypassCSP: true })
  await expect(page.getByText('No invoices yet')).toBeVisible()
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'invoice list').toEqual([])

  // The editor in yen: a price with decimals is refused beside its cell; totals in whole yen.
  await page.getByRole('link', { name: 'New invoice' }).click()
  await page.getByLabel('Client', { exact: true }).fill('Glo')
  await page.getByRole('option', { name: /Globex/ }).click()
  await expect(page.getByLabel('Currency')).toHaveValue('JPY')
  await fillLine(page, 1, { Description: 'Tea ceremony', Quantity: '3', 'Unit price': '333.5', 'Tax %': '10' })
  await expect(page.locator('#inv-lines-0-unit_price-err')).toHaveText('must be a whole amount in this currency')
  await fillLine(page, 1, { 'Unit price': '333' })
  await expect(page.getByTestId('total')).toHaveText('JPY 1,099')
  await fillLine(page, 1, { Quantity: 'lots' })
  await expect(page.locator('#inv-lines-0-quantity-err')).toBeVisible()
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'invoice editor with an error').toEqual([])
  await page.evaluate(() => localStorage.setItem('atrium.theme', 'dark'))
  await page.reload()
  await expect(page.getByRole('heading', { name: /New invoice/ })).toBeVisible()
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'dark invoice editor').toEqual([])
  await page.evaluate(() => localStorage.setItem('atrium.theme', 'light'))

  await page.goto(`/o/${w.org}/invoices`)
  await page.getByRole('link', { name: 'Invoice settings' }).click()
  await expect(page.getByRole('heading', { name: 'Invoice settings' })).toBeVisible()
  await page.getByLabel('Legal name').fill('Acme Consulting GmbH')
  await page.getByLabel('Address').fill('Torstraße 5\n10119 Berlin')
  await page.getByLabel('Tax id', { exact: true }).fill('DE123456789')
  await page.getByRole('button', { name: 'Add a payment detail' }).click()
  await page.getByLabel('Label, row 1').fill('IBAN')
  await page.getByLabel('Value, row 1').fill('  ')
  await page.getByLabel('Remind on these days after the due date').fill('5, 10')
  await page.getByRole('button', { name: 'Save settings' }).click()
  await expect(page.locator('#is-pd-0-value-err')).toHaveText('must be 1 to 200 characters')
  await expect(page.getByLabel('Value, row 1')).toBeFocused()
  await page.getByLabel('Value, row 1').fill('DE89 3704 0044 0532 0130 00')
  // A one-pixel PNG, uploaded into the project and chosen as the logo.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')
  await page.getByTestId('logo-file-input').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png })
  await expect(page.getByTestId('logo-current')).toContainText('logo.png')
  await expect(page.getByLabel('logo.png')).toBeChecked()
  await page.getByRole('button', { name: 'Save settings' }).click()
  await expect(page.getByText('Invoice settings saved')).toBeVisible()
  await shot(page, 'settings')
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'invoice settings').toEqual([])
  const s = (await server.call('GET', `/api/v1/orgs/${w.org}/invoice-settings`, { token: acc.token })).json
  expect(s).toMatchObject({ legal_name: 'Acme Consulting GmbH', tax_id: 'DE123456789', payment_details: [{ label: 'IBAN', value: 'DE89 3704 0044 0532 0130 00' }], reminder_days: [5, 10] })
  const files = (await server.call('GET', `/api/v1/projects/${w.project}/files`, { token: acc.token })).json.items
  expect(s.logo_file).toBe(files.find((f: any) => f.name === 'logo.png').id)
  // The accountant cannot list the org's e-mail templates: the selects offer the built-in wording.
  await expect(page.getByTestId('mail-templates')).toContainText('Owners and admins keep the templates')
  await expect(page.getByLabel('Invoice e-mail')).toHaveValue('')

  // The owner picks the org's e-mail templates for invoice mail and reminders; each is previewed
  // over a sample invoice with the org's own seller and payment details, then saved.
  const template = async (name: string, subject: string, body: string) =>
    (await server.call('POST', `/api/v1/orgs/${w.org}/email-templates`, { token: w.owner.token, json: { name, subject, body } }, 201)).json
  const invoiceMail = await template('Invoice mail', 'Invoice {{number}} — {{seller}}', 'Dear {{client}},\n\nplease pay {{amount_due}} by {{due_date}}.\n{{payment_details}}')
  const reminderMail = await template('Reminder mail', 'Overdue: {{number}}', '{{amount_due}} is {{days_overdue}} days late.')
  const { page: admin } = await newUserPage(w.owner, `/o/${w.org}/invoices/settings`, { bypassCSP: true })
  await expect(admin.getByRole('heading', { name: 'Invoice settings' })).toBeVisible()
  await expect(admin.getByRole('link', { name: 'Settings → Automation' })).toHaveAttribute('href', `/o/${w.org}/settings/automation`)
  await expect(admin.locator('#is-invoice_template-hint')).toContainText('{{amount_due}}')
  await expect(admin.locator('#is-reminder_template-hint')).toContainText('{{days_overdue}}')
  await admin.getByLabel('Invoice e-mail').selectOption({ label: 'Invoice mail' })
  const preview = admin.getByTestId('invoice-mail-preview')
  await expect(preview).toContainText('Invoice INV-2026-00042 — Acme Consulting GmbH')
  await expect(preview).toContainText('IBAN: DE89 3704 0044 0532 0130 00')
  await admin.getByLabel('Reminder e-mail').selectOption({ label: 'Reminder mail' })
  await expect(admin.getByTestId('reminder-mail-preview')).toContainText('days late')
  await admin.getByTestId('mail-templates').scrollIntoViewIfNeeded()
  await shot(admin, 'settings-email-templates')
  await admin.getByRole('button', { name: 'Save settings' }).click()
  await expect(admin.getByText('Invoice settings saved')).toBeVisible()
  await admin.waitForLoadState('networkidle')
  expect(await violations(admin), 'invoice settings with e-mail templates').toEqual([])
  const saved = (await server.call('GET', `/api/v1/orgs/${w.org}/invoice-settings`, { token: acc.token })).json
  expect(saved).toMatchObject({ invoice_template: invoiceMail.id, reminder_template: reminderMail.id, legal_name: 'Acme Consulting GmbH' })
  // A template the settings use is not deleted.
  await server.call('DELETE', `/api/v1/email-templates/${reminderMail.id}`, { token: w.owner.token }, 409)
  // The accountant, who cannot see the templates, still sees that one is chosen.
  await page.reload()
  await expect(page.getByLabel('Invoice e-mail')).toHaveValue(invoiceMail.id)
  await expect(page.getByLabel('Invoice e-mail').locator('option:checked')).toHaveText('An e-mail template')
})
