// Joining and getting back in: verifying an address from the e-mailed link, inviting by
// e-mail and accepting after signing up and verifying, revoking an invitation, and the unlock
// link after failed log-ins held an account back. Links are read from the server's outbox.
import { test, expect } from './fixtures'
import { rand } from './harness'

test('sign up, see the unverified banner, and verify from the e-mailed link on another device', async ({ server, page, browser, baseURL, shot }) => {
  const email = `vera-${rand()}@example.com`
  const password = `Long-enough-${rand(4)}-secret`
  await page.goto('/signup')
  await page.getByLabel('Name').fill('Vera Fied')
  await page.getByLabel('E-mail').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Create account' }).click()
  const banner = page.getByTestId('verify-banner')
  await expect(banner).toContainText(`we sent a link to ${email}`)
  await expect(page.locator('.toast', { hasText: 'open it to verify your address' })).toBeVisible()
  await shot(page, 'unverified-banner')
  // A new link is refused within a minute of the last one, with the reason.
  await banner.getByRole('button', { name: 'Resend the link' }).click()
  await expect(page.locator('.toast', { hasText: 'less than a minute ago' })).toBeVisible()

  // The link opened elsewhere asks to log in to the account first, then verifies it.
  const token = await server.mailedToken(email, '/verify-email')
  const phone = await browser.newContext({ baseURL })
  const other = await phone.newPage()
  await other.goto(`/verify-email?token=${token}`)
  await other.getByRole('link', { name: 'Log in to verify' }).click()
  await other.getByLabel('E-mail').fill(email)
  await other.getByLabel('Password').fill(password)
  await other.getByRole('button', { name: 'Log in' }).click()
  await expect(other.getByRole('status')).toContainText(`${email} is verified`)
  await shot(other, 'verified')
  await other.getByRole('link', { name: 'Continue to Atrium' }).click()
  await expect(other.getByLabel('Organisation name')).toBeVisible()
  await expect(other.getByTestId('verify-banner')).toHaveCount(0)
  await phone.close()

  // The first tab, once reloaded, has no banner either; the used link is refused.
  await page.reload()
  await expect(page.getByLabel('Organisation name')).toBeVisible()
  await expect(page.getByTestId('verify-banner')).toHaveCount(0)
  await page.goto(`/verify-email?token=${token}`)
  await expect(page.getByRole('alert')).toContainText('invalid, used or expired')
})

test('invite by e-mail; the invitee signs up, verifies and accepts; another invitation is revoked', async ({ server, browser, baseURL, newUserPage, shot }) => {
  const w = await server.world()
  const owner = await newUserPage(w.owner, `/o/${w.org}/members`)
  const invitee = `newbie-${rand()}@example.com`
  const invite = async (email: string) => {
    await owner.page.getByLabel('E-mail').fill(email)
    await owner.page.getByRole('button', { name: 'Invite' }).click()
    await expect(owner.page.locator('.toast', { hasText: `Invitation sent to ${email}` })).toBeVisible()
  }
  await invite(invitee)
  const withdrawn = `mistake-${rand()}@example.com`
  await invite(withdrawn)
  const pending = owner.page.getByTestId('pending-invitations')
  await expect(pending).toContainText(invitee)
  await expect(pending).toContainText(withdrawn)
  await expect(owner.page.getByTestId('members')).not.toContainText(invitee)
  await shot(owner.page, 'pending-invitations')
  await owner.page.getByRole('button', { name: `Revoke the invitation of ${withdrawn}` }).click()
  await owner.page.getByRole('dialog', { name: 'Revoke this invitation?' }).getByRole('button', { name: 'Revoke invitation' }).click()
  await expect(pending).not.toContainText(withdrawn)
  await expect(pending).toContainText(invitee)
  // Sent again: a new link, and the first one stops working.
  const first = await server.mailedToken(invitee, '/invitations')
  await owner.page.getByRole('button', { name: `Send the invitation of ${invitee} again` }).click()
  await expect(owner.page.locator('.toast', { hasText: `The invitation was sent again to ${invitee}` })).toBeVisible()
  await server.mailedToken(invitee, '/invitations', [first])
  expect((await server.request('POST', '/api/v1/invitations/preview', { json: { token: first } })).status).toBe(410)
  await expect(pending.locator('li', { hasText: invitee })).toHaveCount(1)

  // The invitee opens the link without an account: sign up, verify (in another tab), accept.
  const token = await server.mailedToken(invitee, '/invitations')
  const context = await browser.newContext({ baseURL })
  const page = await context.newPage()
  await page.goto(`/invitations?token=${token}`)
  // The page says who invited whom to what before anyone logs in.
  await expect(page.getByRole('heading', { name: /^Join Org .+ on Atrium$/ })).toBeVisible()
  await expect(page.getByTestId('invitation-about')).toContainText(`${w.owner.name} invited ${invitee} to join Org`)
  await expect(page.getByTestId('invitation-about')).toContainText('as a member')
  await shot(page, 'invitation-logged-out')
  await page.getByRole('link', { name: 'Create an account' }).click()
  await page.getByLabel('Name').fill('New Bie')
  await page.getByLabel('E-mail').fill(invitee)
  await page.getByLabel('Password').fill(`Long-enough-${rand(4)}-secret`)
  await page.getByRole('button', { name: 'Create account' }).click()
  await expect(page.getByRole('heading', { name: 'Verify your e-mail address first' })).toBeVisible()
  await shot(page, 'invitation-verify-first')
  const verification = await server.mailedToken(invitee, '/verify-email')
  const tab = await context.newPage()
  await tab.goto(`/verify-email?token=${verification}`)
  await expect(tab.getByRole('status')).toContainText('is verified')
  await tab.getByRole('link', { name: 'Continue to your invitation' }).click()
  await tab.getByRole('button', { name: 'Accept the invitation' }).click()
  await expect(tab.getByRole('heading', { name: 'Projects' })).toBeVisible()
  await expect(tab).toHaveURL(new RegExp(`/o/${w.org}$`))
  // The first tab, now verified, accepts no more: the invitation is spent.
  await page.getByRole('button', { name: 'I have verified it' }).click()
  await page.getByRole('button', { name: 'Accept the invitation' }).click()
  await expect(page.getByRole('alert')).toContainText('used, revoked or has expired')
  await context.close()

  await owner.page.reload()
  await expect(owner.page.getByTestId('members')).toContainText('New Bie')
  await expect(owner.page.getByText('No pending invitations')).toBeVisible()
  // Revoked: its link answers that it is spent.
  const revokedToken = await server.mailedToken(withdrawn, '/invitations')
  const other = await server.user('late')
  const late = await newUserPage(other, `/invitations?token=${revokedToken}`)
  await expect(late.page.getByRole('heading', { name: 'This invitation cannot be used' })).toBeVisible()
  await expect(late.page.getByRole('alert')).toContainText('used, revoked or has expired')
  await expect(late.page.getByRole('button', { name: 'Accept the invitation' })).toHaveCount(0)
})

test('after failed log-ins the form shows the back-off, and the e-mailed unlock link lets the owner in', async ({ server, page, shot }) => {
  const w = await server.world()
  // Someone at the same address guesses the owner's password.
  for (let i = 0; i < 6; i++) {
    const res = await server.request('POST', '/api/v1/auth/login', { json: { email: w.owner.email, password: 'a wrong guess' } })
    expect([401, 429]).toContain(res.status)
  }
  await page.goto('/login')
  await page.getByLabel('E-mail').fill(w.owner.email)
  await page.getByLabel('Password').fill(w.owner.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('alert')).toContainText('Too many failed log-ins: try again in')
  await shot(page, 'login-throttled')

  const token = await server.mailedToken(w.owner.email, '/unlock')
  await page.goto(`/unlock?token=${token}`)
  await expect(page.getByRole('status')).toContainText(`Log-ins to ${w.owner.email} are no longer held back`)
  await expect(page.getByLabel('E-mail')).toHaveValue(w.owner.email)
  await page.getByLabel('Password').fill(w.owner.password)
  await shot(page, 'unlock')
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('heading', { name: 'Projects' })).toBeVisible()

  // A spent or made-up link says so.
  await page.goto('/unlock?token=atr_u_made_up')
  await expect(page.getByRole('alert')).toContainText('invalid, used or expired')
})
