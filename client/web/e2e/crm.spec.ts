import type { Locator, Page } from '@playwright/test'
import { test, expect } from './fixtures'
import { violations } from './axe'
import type { TestServer, TestUser } from './harness'

const column = (page: Page, stage: string) => page.locator(`[data-testid="stage-column"][data-stage="${stage}"]`)
const cell = (page: Page, stage: string) => page.locator(`[data-testid="stage-cell"][data-stage="${stage}"]`)
const card = (scope: Page | Locator, name: string) => scope.getByRole('button', { name: new RegExp(`^${name},`) })
const stageTotal = (page: Page, stage: string) => column(page, stage).getByTestId('stage-total')
const forecastTotal = (page: Page, currency: string) => page.locator(`[data-testid="forecast-currency"][data-currency="${currency}"] [data-testid="forecast-total"]`)
const monthExpected = (page: Page, currency: string, month: string) => page.locator(`[data-testid="forecast-currency"][data-currency="${currency}"] [data-testid="forecast-table"] tr[data-month="${month}"] [data-testid="month-expected"]`)

/** Waits until no card is sliding (boards/flip.ts): a box measured mid-slide is not where the card lands. */
async function settled (page: Page) {
  await page.waitForFunction(() => document.getAnimations().every(a => a.playState !== 'running' || !((a.effect as KeyframeEffect | null)?.target as Element | null)?.closest('[data-card]')))
}

/**
 * Drags `from` onto the stage `stage` with the mouse in small steps, as a person would, and lets
 * go once that column shows whether the step is allowed: on a busy machine the page may not have
 * caught up with the last pointer moves yet, and a drop then lands on a column passed on the way.
 */
async function drag (page: Page, from: Locator, stage: string) {
  await settled(page)
  const a = (await from.boundingBox())!
  const b = (await cell(page, stage).boundingBox())!
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2)
  await page.mouse.down()
  await page.mouse.move(a.x + a.width / 2 + 12, a.y + a.height / 2 + 4, { steps: 4 })
  await page.mouse.move(b.x + b.width / 2, b.y + b.height - 12, { steps: 12 })
  await expect(column(page, stage)).toHaveClass(/\bdrop-(ok|refused)\b/)
  await page.mouse.up()
}

/** The deal as the server has it. */
async function serverDeal (server: TestServer, user: TestUser, id: string) {
  return (await server.call('GET', `/api/v1/records/${id}`, { token: user.token })).json
}

/** The id of the deal named `name` (created in the browser). */
async function dealId (server: TestServer, user: TestUser, org: string, name: string): Promise<string> {
  const items = (await server.call('GET', `/api/v1/orgs/${org}/records/deal?name=${encodeURIComponent(name)}`, { token: user.token })).json.items
  expect(items).toHaveLength(1)
  return items[0].id
}

// A salesperson finds the (empty) clients from the navigation, adds a client, a contact (then
// edits it in place) and two deals on the client's page; the client's invoice and payment,
// recorded by an accountant meanwhile, appear there live. On the pipeline a card dragged from
// Lead to Qualified takes the step and moves the column totals and the forecast; another is
// carried to Proposal with the keyboard alone; a drop onto a stage no step leads to is refused
// and nothing changes. Back on the client page, the deals show their new stages.
test('crm: a client page with contacts, deals, invoices and payments; the pipeline by drag and keyboard; the forecast follows', async ({ server, newUserPage, shot }) => {
  test.slow()
  const w = await server.world()
  const sales = await server.user('sales')
  await server.join(w.owner, w.org, sales, 'sales')
  const acc = await server.user('accountant')
  await server.join(w.owner, w.org, acc, 'accountant')
  const { page } = await newUserPage(sales, `/o/${w.org}`)
  await page.setViewportSize({ width: 1600, height: 1000 })

  // The clients, from the navigation beside Invoices.
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Clients' }).click()
  await expect(page.getByRole('heading', { name: 'Clients' })).toBeVisible()
  await expect(page.getByText('No clients yet')).toBeVisible()
  await page.getByRole('button', { name: 'New client' }).click()
  const dialog = page.getByRole('dialog', { name: 'New client' })
  await dialog.getByLabel('Name *', { exact: true }).fill('Umbrella Corp')
  await dialog.getByLabel('E-mail for invoices').fill('ap@umbrella.example')
  await expect(dialog.getByLabel('Currency *')).toHaveValue('EUR')
  await dialog.getByRole('button', { name: 'Create Client' }).click()
  await expect(page).toHaveURL(new RegExp(`/o/${w.org}/clients/[0-9a-f-]{36}$`))
  const clientId = page.url().split('/').pop()!
  await expect(page.getByTestId('client-name')).toHaveText('Umbrella Corp')
  await expect(page.getByTestId('client-email')).toHaveText('ap@umbrella.example')
  await expect(page.getByTestId('client-payment_terms_days')).toHaveText('30')

  // A contact, added in place (its client already chosen), then edited in its row.
  const contacts = page.getByTestId('contacts')
  await expect(contacts).toContainText('No contacts yet.')
  await contacts.getByRole('button', { name: 'Add contact' }).click()
  const newContact = page.getByTestId('new-contact')
  await expect(newContact.getByTestId('link-value')).toHaveText('Umbrella Corp')
  await newContact.getByLabel('Name *', { exact: true }).fill('Alice Wong')
  await newContact.getByLabel('E-mail').fill('alice@umbrella.example')
  await newContact.getByLabel('Role').fill('CTO')
  await newContact.getByRole('button', { name: 'Create Contact' }).click()
  await expect(newContact).toHaveCount(0)
  const aliceRow = page.getByTestId('contacts-table').locator('tbody tr').filter({ hasText: 'Alice Wong' })
  await expect(aliceRow).toContainText('CTO')
  await expect(aliceRow).toContainText('alice@umbrella.example')
  await aliceRow.getByRole('button', { name: 'Edit Alice Wong' }).click()
  await page.getByTestId('contacts-table').getByLabel('Role').fill('Chief technology officer')
  await page.getByTestId('contacts-table').getByRole('button', { name: 'Save changes' }).click()
  await expect(page.getByTestId('contacts-table').locator('tbody tr').filter({ hasText: 'Alice Wong' })).toContainText('Chief technology officer')
  const contact = (await server.call('GET', `/api/v1/orgs/${w.org}/records/contact?client=${clientId}`, { token: sales.token })).json.items
  expect(contact.map((c: any) => [c.name, c.role, c.email])).toEqual([['Alice Wong', 'Chief technology officer', 'alice@umbrella.example']])

  // Two deals, in place: this client, its currency and the salesperson already filled in.
  const deals = page.getByTestId('deals')
  for (const [name, amount, close] of [['Website relaunch', '10,000', '2026-05-15'], ['Support contract', '2400', '2026-06-30']]) {
    await deals.getByRole('button', { name: 'New deal' }).click()
    const form = page.getByTestId('new-deal')
    await expect(form.getByLabel('Owner')).toHaveValue(sales.id)
    await form.getByLabel('Deal *', { exact: true }).fill(name)
    await form.getByLabel('Amount *').fill(amount)
    await form.getByLabel('Expected close').fill(close)
    await form.getByRole('button', { name: 'Create Deal' }).click()
    await expect(form).toHaveCount(0)
  }
  const relaunchRow = page.getByTestId('deals-table').locator('tbody tr').filter({ hasText: 'Website relaunch' })
  await expect(relaunchRow.locator('.stage')).toHaveText('Lead')
  await expect(relaunchRow).toContainText('EUR 10,000.00')
  await expect(relaunchRow).toContainText('10 %')
  await expect(relaunchRow).toContainText(sales.name)
  await expect(page.getByTestId('open-deals-total')).toContainText('EUR 12,400.00')
  const relaunch = await dealId(server, sales, w.org, 'Website relaunch')
  const support = await dealId(server, sales, w.org, 'Support contract')
  expect(await serverDeal(server, sales, relaunch)).toMatchObject({ client: clientId, amount: 1000000, currency: 'EUR', state: 'lead', assignee: sales.id, expected_close: '2026-05-15' })

  // The accountant bills the client and records a part payment: both appear here, live.
  const draft = (await server.call('POST', `/api/v1/orgs/${w.org}/records/invoice`, { token: acc.token, json: { client: clientId, lines: [{ description: 'Discovery workshop', quantity: '1', unit_price: 150000 }] } }, 201)).json
  const invoice = (await server.call('POST', `/api/v1/records/${draft.id}/send`, { token: acc.token, json: {} }, 202)).json.invoice
  await server.call('POST', `/api/v1/records/${invoice.id}/payments`, { token: acc.token, json: { amount: 50000, date: '2026-04-02', method: 'card', reference: 'TX-9' } }, 201)
  const invoiceRow = page.getByTestId('client-invoices-table').locator(`tr[data-invoice="${invoice.id}"]`)
  await expect(invoiceRow.locator('.status')).toHaveText('Partially paid')
  await expect(invoiceRow).toContainText(invoice.name)
  await expect(invoiceRow).toContainText('EUR 1,500.00')
  await expect(invoiceRow).toContainText('EUR 1,000.00')
  await expect(page.getByTestId('client-owed')).toContainText('EUR 1,000.00')
  const paymentRow = page.getByTestId('client-payments-table').locator('tbody tr')
  await expect(paymentRow).toHaveCount(1)
  await expect(paymentRow).toContainText('EUR 500.00')
  await expect(paymentRow).toContainText('Card')
  await expect(paymentRow).toContainText('TX-9')
  await expect(paymentRow.getByRole('link', { name: invoice.name })).toHaveAttribute('href', `/o/${w.org}/invoices/${invoice.id}`)
  await shot(page, 'client-page-new')

  // The pipeline: both deals are leads; the forecast is 10 % of each, by month.
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Pipeline' }).click()
  await expect(page.getByRole('heading', { name: 'Pipeline', level: 1 })).toBeVisible()
  await expect(page.getByTestId('stage-column').locator('h2')).toHaveText([/^Lead/, /^Qualified/, /^Proposal/, /^Negotiation/, /^Won/, /^Lost/])
  await expect(card(cell(page, 'lead'), 'Website relaunch')).toBeVisible()
  await expect(card(cell(page, 'lead'), 'Support contract')).toContainText('Umbrella Corp')
  await expect(column(page, 'lead').getByTestId('stage-count')).toHaveText('2')
  await expect(stageTotal(page, 'lead')).toHaveText('EUR 12,400.00')
  await expect(forecastTotal(page, 'EUR')).toHaveText('EUR 1,240.00')
  await expect(monthExpected(page, 'EUR', '2026-05')).toHaveText('EUR 1,000.00')
  await expect(monthExpected(page, 'EUR', '2026-06')).toHaveText('EUR 240.00')
  await expect(page.getByTestId('forecast-chart').getByTestId('bar-total')).toHaveText(['EUR 1,000', 'EUR 240'])

  // Dragged from Lead to Qualified: the step is taken, the totals and the forecast follow.
  await drag(page, card(page, 'Website relaunch'), 'qualified')
  await expect(card(cell(page, 'qualified'), 'Website relaunch')).toBeVisible()
  await expect(card(cell(page, 'lead'), 'Website relaunch')).toHaveCount(0)
  await expect(stageTotal(page, 'lead')).toHaveText('EUR 2,400.00')
  await expect(stageTotal(page, 'qualified')).toHaveText('EUR 10,000.00')
  await expect(forecastTotal(page, 'EUR')).toHaveText('EUR 2,740.00')
  await expect(monthExpected(page, 'EUR', '2026-05')).toHaveText('EUR 2,500.00')
  await expect(card(page, 'Website relaunch')).toContainText('25 %')
  expect(await serverDeal(server, sales, relaunch)).toMatchObject({ state: 'qualified', probability: '25' })

  // Carried to Proposal with the keyboard alone, and announced.
  await card(page, 'Support contract').focus()
  await page.keyboard.press('Space')
  await expect(page.getByTestId('pipeline-announcer')).toContainText('Picked up Support contract in Lead')
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('pipeline-announcer')).toContainText('Support contract: Proposal')
  await expect(card(cell(page, 'proposal'), 'Support contract')).toBeFocused()
  await page.keyboard.press('Space')
  await expect(page.getByTestId('pipeline-announcer')).toContainText('“Support contract” moved to Proposal')
  await expect(card(cell(page, 'proposal'), 'Support contract')).toBeFocused()
  await expect.poll(async () => (await serverDeal(server, sales, support)).state).toBe('proposal')
  await expect(forecastTotal(page, 'EUR')).toHaveText('EUR 3,700.00')
  await expect(monthExpected(page, 'EUR', '2026-06')).toHaveText('EUR 1,200.00')
  // Escape puts a picked-up card back, and nothing is sent.
  await page.keyboard.press('Space')
  await page.keyboard.press('ArrowLeft')
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('pipeline-announcer')).toContainText('Move cancelled: Support contract is back in Proposal')
  await expect(card(cell(page, 'proposal'), 'Support contract')).toBeVisible()

  // A drop onto a stage no step leads to is refused, visibly, and the deal stays. (The built-in
  // workflow leads from every stage to every other; here the server's list of the deal's steps
  // comes back without the one to Won, as a workflow without that step would answer.)
  await page.route(`**/api/v1/records/${relaunch}/transitions`, async (route) => {
    const res = await route.fetch()
    const body = await res.json()
    await route.fulfill({ response: res, json: { items: body.items.filter((s: any) => s.to !== 'won') } })
  })
  await drag(page, card(page, 'Website relaunch'), 'won')
  await expect(page.getByTestId('move-refused')).toContainText('No workflow step leads from Qualified to Won: “Website relaunch” stays in Qualified.')
  await expect(card(cell(page, 'qualified'), 'Website relaunch')).toBeVisible()
  await expect(card(cell(page, 'won'), 'Website relaunch')).toHaveCount(0)
  await expect(stageTotal(page, 'won')).toHaveText('—')
  expect((await serverDeal(server, sales, relaunch)).state).toBe('qualified')
  await shot(page, 'pipeline')
  await page.unroute(`**/api/v1/records/${relaunch}/transitions`)
  await page.getByRole('button', { name: 'Dismiss' }).click()

  // Back on the client's page, the deals are at their new stages.
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Clients' }).click()
  await page.getByLabel('Find clients by name').fill('umbrel')
  await page.getByTestId('clients-table').getByRole('link', { name: 'Umbrella Corp' }).click()
  await expect(page.getByTestId('client-name')).toHaveText('Umbrella Corp')
  await expect(page.getByTestId('deals-table').locator('tbody tr').filter({ hasText: 'Website relaunch' }).locator('.stage')).toHaveText('Qualified')
  await expect(page.getByTestId('deals-table').locator('tbody tr').filter({ hasText: 'Support contract' }).locator('.stage')).toHaveText('Proposal')
  await expect(page.getByTestId('contacts-table')).toContainText('Alice Wong')
  await expect(page.getByTestId('client-invoices-table')).toContainText(invoice.name)
  await shot(page, 'client-page')
})

// The owner watches the pipeline while the salesperson's deal moves (through the API): the card
// and the forecast follow live. The salesperson's screens — the clients list, a client's page
// with a form open, the pipeline in both themes — meet WCAG AA; a member who may only read
// deals cannot pick one up, and is told so.
test('crm: the pipeline is live for everyone, and the screens meet WCAG AA', async ({ server, newUserPage, shot }) => {
  test.slow()
  const w = await server.world()
  const sales = await server.user('sales')
  await server.join(w.owner, w.org, sales, 'sales')
  const reader = await server.user('reader')
  await server.join(w.owner, w.org, reader)
  const client = (await server.call('POST', `/api/v1/orgs/${w.org}/records/client`, { token: sales.token, json: { name: 'Initech', currency: 'USD', email: 'ap@initech.example' } }, 201)).json
  await server.call('POST', `/api/v1/orgs/${w.org}/records/contact`, { token: sales.token, json: { name: 'Peter Gibbons', client: client.id, role: 'Engineer' } }, 201)
  const deal = (await server.call('POST', `/api/v1/orgs/${w.org}/records/deal`, { token: sales.token, json: { name: 'TPS reports', client: client.id, amount: 123456, currency: 'USD', expected_close: '2026-09-01', assignee: sales.id } }, 201)).json
  await server.call('POST', `/api/v1/orgs/${w.org}/records/deal`, { token: sales.token, json: { name: 'Stapler', client: client.id, amount: 999, currency: 'USD' } }, 201)

  const owner = await newUserPage(w.owner, `/o/${w.org}/pipeline`, { bypassCSP: true })
  await expect(card(cell(owner.page, 'lead'), 'TPS reports')).toBeVisible()
  // 10 % of 1,234.56 is 123.46 (half up); of 9.99 (no expected close), 1.00.
  await expect(forecastTotal(owner.page, 'USD')).toHaveText('USD 124.46')
  await expect(monthExpected(owner.page, 'USD', '2026-09')).toHaveText('USD 123.46')
  await expect(monthExpected(owner.page, 'USD', '')).toHaveText('USD 1.00')
  await server.call('POST', `/api/v1/records/${deal.id}/transition`, { token: sales.token, json: { action: 'negotiate' } })
  await expect(card(cell(owner.page, 'negotiation'), 'TPS reports')).toBeVisible()
  await expect(card(cell(owner.page, 'lead'), 'TPS reports')).toHaveCount(0)
  await expect(stageTotal(owner.page, 'negotiation')).toHaveText('USD 1,234.56')
  // 75 % of 1,234.56 is 925.92; with the stapler's 1.00, 926.92.
  await expect(forecastTotal(owner.page, 'USD')).toHaveText('USD 926.92')
  await expect(monthExpected(owner.page, 'USD', '2026-09')).toHaveText('USD 925.92')
  await shot(owner.page, 'owner-live')

  // A reader sees the board but cannot move a deal.
  const r = await newUserPage(reader, `/o/${w.org}/pipeline`)
  await card(r.page, 'Stapler').focus()
  await r.page.keyboard.press('Space')
  await expect(r.page.getByTestId('pipeline-announcer')).toContainText('You may not move Stapler.')
  await expect(card(cell(r.page, 'lead'), 'Stapler')).not.toHaveAttribute('aria-pressed')
  await expect(r.page.getByRole('button', { name: 'New deal' })).toHaveCount(0)

  // The salesperson's screens, checked by axe.
  const { page } = await newUserPage(sales, `/o/${w.org}/clients`, { bypassCSP: true })
  await expect(page.getByTestId('clients-table')).toContainText('Initech')
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'clients list').toEqual([])
  await page.getByRole('link', { name: 'Initech' }).click()
  await expect(page.getByTestId('contacts-table')).toContainText('Peter Gibbons')
  await expect(page.getByTestId('deals-table').locator('tbody tr').filter({ hasText: 'TPS reports' }).locator('.stage')).toHaveText('Negotiation')
  await page.getByRole('button', { name: 'Edit Peter Gibbons' }).click()
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'client page, a contact being edited').toEqual([])
  await page.getByRole('button', { name: 'Cancel' }).click()
  await page.getByRole('button', { name: 'Edit details' }).click()
  await expect(page.getByTestId('client-fields').getByLabel('Name *', { exact: true })).toHaveValue('Initech')
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'client page, its details being edited').toEqual([])
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => localStorage.setItem('atrium.theme', t), theme)
    await page.goto(`/o/${w.org}/pipeline`)
    await expect(forecastTotal(page, 'USD')).toHaveText('USD 926.92')
    await page.waitForLoadState('networkidle')
    expect(await violations(page), `${theme} pipeline`).toEqual([])
    await shot(page, `pipeline-${theme}`)
  }
  await page.evaluate(() => localStorage.setItem('atrium.theme', 'light'))
})
