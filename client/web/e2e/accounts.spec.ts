import fs from 'node:fs'
import path from 'node:path'
import { createHmac } from 'node:crypto'
import { test, expect } from './fixtures'

function base32 (s: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of s.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  const bytes = []
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2))
  return Buffer.from(bytes)
}

/** RFC 6238 code (SHA-1, 30 s, 6 digits). */
function totp (secret: string, at = Date.now()): string {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)))
  const h = createHmac('sha1', base32(secret)).update(counter).digest()
  const o = h[h.length - 1] & 0xf
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

test('log in with a TOTP code when two-factor authentication is on', async ({ server, page, shot }) => {
  const w = await server.world()
  const enrol = (await server.call('POST', '/api/v1/me/totp', { token: w.owner.token })).json
  const enrolmentCode = totp(enrol.secret)
  await server.call('POST', '/api/v1/me/totp/confirm', { token: w.owner.token, json: { code: enrolmentCode } })
  await page.goto('/login')
  await page.getByLabel('E-mail').fill(w.owner.email)
  await page.getByLabel('Password').fill(w.owner.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  const code = page.getByLabel('Authentication code')
  await expect(code).toBeVisible()
  await shot(page, 'totp')
  // The code that confirmed enrolment is spent (a code logs in once): it is refused, and the
  // next time step's code (within the accepted clock skew) works.
  await code.fill(enrolmentCode)
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('alert')).toContainText('the code is wrong or has expired')
  await code.fill(totp(enrol.secret, Date.now() + 30_000))
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('heading', { name: 'Projects' })).toBeVisible()
})

test('reset a forgotten password from the e-mail link', async ({ server, page }) => {
  const w = await server.world()
  await page.goto('/forgot-password')
  await page.getByLabel('E-mail').fill(w.owner.email)
  await page.getByRole('button', { name: 'Send reset link' }).click()
  await expect(page.getByRole('status')).toContainText('we have sent it a link')
  const outbox = path.join(server.dir, 'data', 'outbox')
  const findToken = () => {
    for (const f of fs.existsSync(outbox) ? fs.readdirSync(outbox) : []) {
      if (!f.endsWith('.eml')) continue
      // Undo quoted-printable soft breaks and '=' escapes.
      const raw = fs.readFileSync(path.join(outbox, f), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=')
      const m = /\/reset-password\?token=([^\s"<>]+)/.exec(raw)
      if (m) return m[1]
    }
    return ''
  }
  await expect.poll(findToken, { timeout: 15_000 }).not.toBe('')
  const token = findToken()
  const fresh = 'A-brand-new-passphrase-42'
  await page.goto(`/reset-password?token=${token}`)
  await page.getByLabel('New password').fill(fresh)
  await page.getByRole('button', { name: 'Set password' }).click()
  await expect(page.getByRole('status')).toContainText('Your password has been changed')
  await page.getByRole('link', { name: 'Log in' }).click()
  await page.getByLabel('E-mail').fill(w.owner.email)
  await page.getByLabel('Password').fill(fresh)
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('heading', { name: 'Projects' })).toBeVisible()
})

test('create and revoke an API token; invite a member and set a project role', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const bob = await server.user('bob')
  const a = await newUserPage(w.owner, '/settings/tokens')
  await a.page.getByLabel('Token name').fill('ci')
  await a.page.getByRole('button', { name: 'Create token' }).click()
  const secret = await a.page.getByTestId('new-token').textContent()
  expect((await server.request('GET', '/api/v1/me', { token: secret! })).status).toBe(200)
  await a.page.getByRole('button', { name: 'Revoke' }).click()
  await a.page.getByRole('dialog', { name: 'Revoke the token “ci”?' }).getByRole('button', { name: 'Revoke' }).click()
  await expect(a.page.getByText('No API tokens')).toBeVisible()
  expect((await server.request('GET', '/api/v1/me', { token: secret! })).status).toBe(401)

  await a.page.goto(`/o/${w.org}/members`)
  await a.page.getByLabel('E-mail').fill(bob.email)
  await a.page.getByRole('button', { name: 'Invite' }).click()
  // Bob joins by accepting the e-mailed invitation (onboarding.spec.ts does it in the browser).
  await expect(a.page.getByTestId('pending-invitations')).toContainText(bob.email)
  const token = await server.mailedToken(bob.email, '/invitations')
  await server.call('POST', '/api/v1/invitations/accept', { token: bob.token, json: { token } })
  await a.page.reload()
  await expect(a.page.getByTestId('members')).toContainText(bob.name)
  await a.page.goto(`/o/${w.org}/p/${w.project}/settings`)
  await a.page.getByLabel('Person').selectOption(bob.id)
  await a.page.getByLabel('Role', { exact: true }).selectOption('viewer')
  await a.page.getByRole('button', { name: 'Add' }).click()
  await expect(a.page.getByLabel(`Role of ${bob.name}`)).toHaveValue('viewer')
  await shot(a.page, 'project-members')
  const members = (await server.call('GET', `/api/v1/projects/${w.project}/members`, { token: w.owner.token })).json.items
  expect(members.find((m: any) => m.user.id === bob.id)?.role).toBe('viewer')
})
