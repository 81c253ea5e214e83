import { createHmac } from 'node:crypto'
import fs from 'node:fs'
import { test, expect } from './fixtures'
import { violations } from './axe'

test('changing the password in Settings → Security: a wrong current password and a mismatch are shown at their fields, and success signs out the other sessions only', async ({ server, newUserPage, shot }) => {
  const ann = await server.user('ann')
  // Another browser of Ann's, signed in before the change.
  const elsewhere = (await server.call('POST', '/api/v1/auth/login', { json: { email: ann.email, password: ann.password } })).json.token as string

  // axe is injected as an inline script, which the server's CSP (rightly) forbids.
  const { page } = await newUserPage(ann, '/settings/security', { bypassCSP: true })
  const form = page.getByRole('form', { name: 'Change password' })
  const current = form.getByLabel('Current password')
  const next = form.getByLabel('New password', { exact: true })
  const repeat = form.getByLabel('Repeat the new password')
  const save = form.getByRole('button', { name: 'Change password' })
  const newPassword = 'Lighthouse-keeper-on-a-quiet-night'

  // The repetition is checked in the browser, the current password by the server.
  await current.fill('not the password at all')
  await next.fill(newPassword)
  await repeat.fill(newPassword + 'x')
  await save.click()
  await expect(page.locator('#f-repeat-password-err')).toHaveText('does not match the new password')
  await repeat.fill(newPassword)
  await save.click()
  await expect(page.locator('#f-current-password-err')).toHaveText('the password is wrong')
  await expect(current).toHaveAttribute('aria-invalid', 'true')
  expect(await violations(page)).toEqual([])
  await shot(page, 'wrong-current')

  // The sign-up rules apply to the new one.
  await current.fill(ann.password)
  await next.fill('short')
  await repeat.fill('short')
  await save.click()
  await expect(page.locator('#f-new-password-err')).toContainText('at least 10 characters')

  await next.fill(newPassword)
  await repeat.fill(newPassword)
  await save.click()
  await expect(form.getByRole('status')).toContainText('Your password is changed')
  await expect(current).toHaveValue('')
  expect(await violations(page)).toEqual([])
  await shot(page, 'changed')

  // This session stays; the other one is signed out; only the new password logs in.
  await page.reload()
  await expect(page.getByRole('form', { name: 'Change password' })).toBeVisible()
  expect((await server.request('GET', '/api/v1/me', { token: elsewhere })).status).toBe(401)
  expect((await server.request('POST', '/api/v1/auth/login', { json: { email: ann.email, password: ann.password } })).status).toBe(401)
  expect((await server.request('POST', '/api/v1/auth/login', { json: { email: ann.email, password: newPassword } })).status).toBe(200)
})

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 `secret` now: what an authenticator app shows. */
function totpNow (secret: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000)))
  const mac = createHmac('sha1', key).update(counter).digest()
  const at = mac[mac.length - 1] & 0xf
  return ((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0')
}

test('setting up two-factor authentication: a QR code and the key to type, then recovery codes to download', async ({ server, newUserPage, shot }) => {
  const ann = await server.user('ann')
  const { page } = await newUserPage(ann, '/settings/security', { bypassCSP: true })
  await page.getByRole('button', { name: 'Set up' }).click()
  const form = page.getByRole('form', { name: 'Set up two-factor authentication' })

  // The QR code is drawn in the page, as an image with a name.
  const qr = form.getByRole('img', { name: 'QR code for your authenticator app' })
  await expect(qr).toBeVisible()
  expect(await qr.getAttribute('src')).toMatch(/^data:image\//)
  expect(await qr.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(50)
  // The key is shown in groups of four for typing; the app takes it without the spaces.
  const typed = (await form.getByTestId('totp-secret').textContent())!
  expect(typed).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/)
  expect(await violations(page)).toEqual([])
  await shot(page, 'qr')

  // A wrong code is refused at its field; the app's current code turns it on.
  await form.getByLabel('Code').fill('000000')
  await form.getByRole('button', { name: 'Turn on' }).click()
  await expect(page.getByRole('alert')).toContainText('wrong or has expired')
  await form.getByLabel('Code').fill(totpNow(typed))
  await form.getByRole('button', { name: 'Turn on' }).click()
  const codes = page.getByRole('region', { name: 'Recovery codes' })
  await expect(codes).toBeVisible()
  await expect(page.getByText('Two-factor authentication is on.', { exact: false }).first()).toBeVisible()
  const shown = (await codes.getByTestId('recovery-codes').textContent())!.split('\n').filter(Boolean)
  expect(shown).toHaveLength(10)
  expect(await violations(page)).toEqual([])
  await shot(page, 'recovery-codes')

  // Download: a text file holding every code.
  const [download] = await Promise.all([page.waitForEvent('download'), codes.getByRole('button', { name: 'Download' }).click()])
  expect(download.suggestedFilename()).toBe('atrium-recovery-codes.txt')
  const file = fs.readFileSync((await download.path())!, 'utf8')
  for (const code of shown) expect(file).toContain(code)
  expect(file).toContain(ann.email)

  // Log-in now takes a second factor; a recovery code from the file is one.
  const without = await server.request('POST', '/api/v1/auth/login', { json: { email: ann.email, password: ann.password } })
  expect(without.json.error.code).toBe('totp_required')
  const withCode = await server.request('POST', '/api/v1/auth/login', { json: { email: ann.email, password: ann.password, totp: shown[0] } })
  expect(withCode.status).toBe(200)
})

test('the audit log: an admin filters by actor and action, pages back, and downloads the filtered CSV; a member is told who reads it', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  // A few more entries by the owner: projects made and renamed.
  for (let i = 0; i < 3; i++) await server.call('POST', `/api/v1/orgs/${w.org}/projects`, { token: w.owner.token, json: { name: `Extra ${i}` } }, 201)
  const all = (await server.call('GET', `/api/v1/orgs/${w.org}/audit?limit=200`, { token: w.owner.token })).json.items as Array<{ action: string, actor_id?: string }>
  const created = all.filter((e) => e.action === 'project.created').length
  expect(created).toBeGreaterThanOrEqual(4)

  const { page } = await newUserPage(w.owner, `/o/${w.org}`, { bypassCSP: true })
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Audit log' }).click()
  await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible()
  const rows = page.getByTestId('audit-row')
  await expect(rows).toHaveCount(Math.min(all.length, 50))
  await expect(rows.first()).toContainText(w.owner.name)

  // Filters become query parameters: only the owner's project.created entries.
  const filters = page.getByRole('form', { name: 'Filter the audit log' })
  await filters.getByLabel('Actor', { exact: true }).selectOption({ label: w.owner.name })
  await filters.getByLabel('Action', { exact: true }).fill('project.created')
  const today = new Date()
  const day = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`
  await filters.getByLabel('From', { exact: true }).fill(day)
  await filters.getByLabel('To', { exact: true }).fill(day)
  const [listing] = await Promise.all([
    page.waitForRequest((r) => r.url().includes('/audit?') && r.url().includes('action=project.created')),
    filters.getByRole('button', { name: 'Apply filters' }).click()
  ])
  const asked = new URL(listing.url()).searchParams
  expect(asked.get('actor')).toBe(w.owner.id)
  expect(Number(asked.get('since'))).toBeLessThan(Date.now())
  expect(Number(asked.get('until'))).toBeGreaterThan(Date.now())
  await expect(rows).toHaveCount(created)
  for (const text of await rows.allTextContents()) expect(text).toContain('project.created')
  expect(await violations(page)).toEqual([])
  await shot(page, 'filtered')

  // The download holds the same entries, as CSV.
  const [download] = await Promise.all([page.waitForEvent('download'), filters.getByRole('link', { name: 'Download CSV' }).click()])
  expect(download.suggestedFilename()).toBe('audit-log.csv')
  const csv = fs.readFileSync((await download.path())!, 'utf8').trim().split('\n')
  expect(csv[0]).toBe('time,actor,actor_id,action,target_type,target_id,ip,before,after')
  expect(csv).toHaveLength(created + 1)
  for (const line of csv.slice(1)) expect(line).toContain(`,${w.owner.id},project.created,`)

  // A member is told who reads the log instead.
  const bob = await newUserPage(w.users.bob, `/o/${w.org}/audit`)
  await expect(bob.page.getByText('Only the organisation’s owners and admins read the audit log')).toBeVisible()
  await expect(bob.page.getByText(`Ask ${w.owner.name}.`)).toBeVisible()
  await expect(bob.page.getByTestId('audit-row')).toHaveCount(0)
})

test('the audit log pages back with "Load older"', async ({ server, newUserPage }) => {
  const w = await server.world()
  for (let i = 0; i < 55; i++) await server.call('POST', `/api/v1/orgs/${w.org}/projects`, { token: w.owner.token, json: { name: `Bulk ${i}` } }, 201)
  const total = (await server.call('GET', `/api/v1/orgs/${w.org}/audit?limit=200`, { token: w.owner.token })).json.items.length as number
  expect(total).toBeGreaterThan(50)
  const { page } = await newUserPage(w.owner, `/o/${w.org}/audit`)
  const rows = page.getByTestId('audit-row')
  await expect(rows).toHaveCount(50)
  await page.getByRole('button', { name: 'Load older' }).click()
  await expect(rows).toHaveCount(total)
  await expect(page.getByRole('button', { name: 'Load older' })).toHaveCount(0)
})

test('an owner renames the organisation in Organisation settings; the new name shows at once and in the audit log', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const { page } = await newUserPage(w.owner, `/o/${w.org}/settings`, { bypassCSP: true })
  const form = page.getByRole('form', { name: 'Organisation name' })
  const name = form.getByLabel('Organisation name')
  await name.fill('   ')
  await form.getByRole('button', { name: 'Rename' }).click()
  await expect(page.locator('#f-org-name-err')).toContainText('printable characters')
  await name.fill('Harbour Works')
  await form.getByRole('button', { name: 'Rename' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Organisation renamed' })).toBeVisible()
  await expect(page.locator('header option', { hasText: 'Harbour Works' })).toHaveCount(1)
  expect(await violations(page)).toEqual([])
  await shot(page, 'renamed')
  const log = (await server.call('GET', `/api/v1/orgs/${w.org}/audit?action=org.renamed`, { token: w.owner.token })).json.items
  expect(log).toHaveLength(1)
  expect(log[0].after).toEqual({ name: 'Harbour Works' })

  // A member sees the settings without the form.
  const bob = await newUserPage(w.users.bob, `/o/${w.org}/settings`)
  await expect(bob.page.getByRole('heading', { name: 'Organisation settings' })).toBeVisible()
  await expect(bob.page.getByRole('form', { name: 'Organisation name' })).toHaveCount(0)
})

test('a profile picture: uploaded in Settings → Profile with a preview, shown to a colleague in the member list, and removed back to initials', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const { page } = await newUserPage(w.users.bob, '/settings/profile', { bypassCSP: true })
  const preview = page.getByTestId('picture-preview')
  await expect(preview.locator('span.avatar')).toHaveText(/^[A-Z]{1,2}$/)

  // A PNG drawn in the page (any PNG, JPEG or WebP will do).
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas')
    c.width = 320; c.height = 200
    const g = c.getContext('2d')!
    g.fillStyle = '#1e6fd9'; g.fillRect(0, 0, 320, 200)
    g.fillStyle = '#ffd23f'; g.fillRect(100, 40, 120, 120)
    return c.toDataURL('image/png')
  })
  await page.getByLabel('Upload a picture').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: Buffer.from(dataUrl.split(',')[1], 'base64') })
  const img = preview.getByRole('img', { name: `${w.users.bob.name} (preview)` })
  await expect(img).toBeVisible()
  expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(256)
  await expect(page.locator('.user-menu summary img.avatar')).toBeVisible()
  expect(await violations(page)).toEqual([])
  await shot(page, 'uploaded')

  // A file that is not an image is refused; the picture stays.
  await page.getByLabel('Choose another picture').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') })
  await expect(page.getByRole('alert')).toContainText('PNG, JPEG or WebP')
  await expect(img).toBeVisible()

  // The owner sees it beside Bob in the member list.
  const owner = await newUserPage(w.owner, `/o/${w.org}/members`)
  const row = owner.page.locator('li, tr').filter({ hasText: w.users.bob.name }).first()
  await expect(row.getByRole('img', { name: w.users.bob.name, exact: true })).toBeVisible()

  await page.getByRole('button', { name: 'Remove picture' }).click()
  await expect(preview.locator('span.avatar')).toBeVisible()
  await expect(preview.locator('img')).toHaveCount(0)
  expect((await server.request('GET', `/api/v1/users/${w.users.bob.id}/avatar`, { token: w.owner.token })).status).toBe(404)
})

test('someone who joins after the page loaded shows their picture as soon as they appear, not initials until a reload', async ({ server, newUserPage }) => {
  const w = await server.world()
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'general' } }, 201)).json
  const { page } = await newUserPage(w.owner, `/o/${w.org}/chat/${channel.id}`)
  await expect(page.getByTestId('messages')).toBeVisible()
  // Carol signs up, sets a picture and joins while the owner's page is open.
  const carol = await server.user('carol')
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64')
  await server.call('PUT', '/api/v1/me/avatar', { token: carol.token, body: png, headers: { 'content-type': 'image/png' } })
  await server.join(w.owner, w.org, carol)
  await server.call('POST', `/api/v1/projects/${w.project}/members`, { token: w.owner.token, json: { user_id: carol.id, role: 'editor' } }, [200, 201, 204])
  await server.call('POST', `/api/v1/channels/${channel.id}/messages`, { token: carol.token, json: { text: 'Hello, I am new here' } }, 201)
  const message = page.locator('article.msg').filter({ hasText: 'Hello, I am new here' })
  await expect(message).toBeVisible()
  await expect(message.getByRole('img', { name: carol.name, exact: true })).toBeVisible()
})
