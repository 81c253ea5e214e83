import { test, expect } from './fixtures'
import { rand } from './harness'

test('editing the profile: field errors, a taken handle, and a mention of the new handle', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'general' } }, 201)).json
  const bob = await newUserPage(w.users.bob, '/settings/profile')
  const form = bob.page.getByRole('form', { name: 'Profile' })
  const name = form.getByLabel('Display name')
  const handle = form.getByLabel('Handle')
  const save = form.getByRole('button', { name: 'Save profile' })
  await expect(name).toHaveValue(w.users.bob.name)
  await expect(handle).toHaveValue(w.users.bob.handle)

  // 422: the error sits beside the field it is about.
  await name.fill('   ')
  await save.click()
  await expect(bob.page.locator('#f-profile-name-err')).toContainText('must not be empty')
  await expect(name).toHaveAttribute('aria-invalid', 'true')
  await handle.fill('no spaces allowed')
  await name.fill(w.users.bob.name)
  await save.click()
  await expect(bob.page.locator('#f-profile-handle-err')).toBeVisible()
  await expect(bob.page.locator('#f-profile-name-err')).toHaveCount(0)

  // 409: someone else's handle, shown on the handle field.
  await handle.fill(`@${w.owner.handle}`)
  await save.click()
  await expect(bob.page.locator('#f-profile-handle-err')).toHaveText(`@${w.owner.handle} is taken; choose another handle`)
  await shot(bob.page, 'handle-taken')

  // Alice has the channel open before Bob saves: she learns the new name live (user.updated).
  const alice = await newUserPage(w.owner, `/o/${w.org}/chat/${channel.id}`)

  // Saved: the handle comes back lowercased without its @, and the top bar shows the new name.
  const newHandle = `renamed${rand(2)}`
  await name.fill('Robert Renamed')
  await handle.fill(`@${newHandle.toUpperCase()}`)
  await save.click()
  await expect(handle).toHaveValue(newHandle)
  await expect(bob.page.locator('#f-profile-handle-err')).toHaveCount(0)
  await expect(bob.page.getByTestId('profile-name')).toHaveText('Robert Renamed')
  await expect(bob.page.locator('.user-menu summary .avatar')).toHaveText('RR')
  await bob.page.locator('.user-menu summary').click()
  await expect(bob.page.locator('.menu-head')).toContainText('Robert Renamed')
  await expect(bob.page.locator('.menu-head')).toContainText(`@${newHandle}`)
  await shot(bob.page, 'saved')
  await bob.page.locator('.user-menu summary').click()
  const me = (await server.call('GET', '/api/v1/me', { token: w.users.bob.token })).json
  expect(me.user).toMatchObject({ name: 'Robert Renamed', handle: newHandle })

  // Alice (no reload) mentions the new handle; Bob (elsewhere, no reload) gets the badge and
  // the notification.
  await bob.page.goto(`/o/${w.org}/p/${w.project}/docs`)
  await expect(bob.page.locator(`[data-channel="${channel.id}"]`)).toBeVisible()
  const composer = alice.page.getByTestId('composer')
  await composer.click()
  await composer.pressSequentially(`@${newHandle.slice(0, 6)}`)
  await expect(alice.page.getByRole('option', { name: /Robert Renamed/ })).toBeVisible()
  await composer.press('Enter')
  await expect(composer).toHaveValue(`@${newHandle} `)
  await composer.pressSequentially('your new name suits you')
  await composer.press('Enter')
  const sent = alice.page.locator('.msg', { hasText: 'your new name suits you' })
  await expect(sent.locator('.mention')).toHaveText(`@${newHandle}`)
  await expect(bob.page.locator(`[data-channel="${channel.id}"] .badge-mention`)).toHaveText('1')
  await expect(bob.page.getByTestId('notifications-bell').locator('.badge')).toHaveText('1')
  await bob.page.getByTestId('notifications-bell').click()
  const item = bob.page.getByTestId('notifications').locator('.notification', { hasText: 'new name suits you' })
  await expect(item).toContainText('mentioned you')
  await item.getByRole('button').click()
  const focused = bob.page.locator('.msg.focused')
  await expect(focused).toContainText('your new name suits you')
  // Drawn as a mention of Bob himself.
  await expect(focused).toHaveClass(/mentions-me/)
  await expect(focused.locator('.mention-self')).toHaveText(`@${newHandle}`)
  await shot(bob.page, 'mention')
})

test('the e-mail digest setting persists across a reload', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'general' } }, 201)
  // Straight to settings (no org in the address): the channel levels still load.
  const bob = await newUserPage(w.users.bob, '/settings/notifications')
  const digest = bob.page.getByLabel('E-mail me a digest of what I miss while offline')
  const initial = (await server.call('GET', '/api/v1/me/notification-settings', { token: w.users.bob.token })).json.email_digest as boolean
  if (initial) await expect(digest).toBeChecked()
  else await expect(digest).not.toBeChecked()
  // The per-channel levels are on the same page.
  await expect(bob.page.getByLabel('#general')).toHaveValue('mentions')
  // Flip it, reload, flip it back, reload: each time the page shows what the server kept.
  for (const on of [!initial, initial]) {
    await digest.setChecked(on)
    await expect(bob.page.locator('.toast', { hasText: on ? 'You will get an e-mail digest' : 'E-mail digest turned off' })).toBeVisible()
    await expect(digest).toBeEnabled()
    await bob.page.reload()
    if (on) await expect(digest).toBeChecked()
    else await expect(digest).not.toBeChecked()
    expect((await server.call('GET', '/api/v1/me/notification-settings', { token: w.users.bob.token })).json).toEqual({ email_digest: on })
    await shot(bob.page, on ? 'digest-on' : 'digest-off')
  }
})

test('an admin limits @channel; a member sees the server\'s refusal; presence dots', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'general' } }, 201)).json
  const alice = await newUserPage(w.owner, `/o/${w.org}/settings`)
  const form = alice.page.getByTestId('chat-settings')
  const member = form.getByLabel('member', { exact: true })
  await expect(member).toBeChecked()
  await expect(form.getByLabel('owner', { exact: true })).toBeChecked()
  await member.uncheck()
  // 422 beside the threshold field.
  const warn = form.getByLabel('Warn when @channel would notify more than this many people')
  await warn.fill('0')
  await form.getByRole('button', { name: 'Save chat settings' }).click()
  await expect(alice.page.locator('#f-mention-warn-err')).toContainText('between 1 and 1000000')
  await warn.fill('25')
  await form.getByRole('button', { name: 'Save chat settings' }).click()
  await expect(alice.page.locator('.toast', { hasText: 'Chat settings saved' })).toBeVisible()
  await expect(alice.page.locator('#f-mention-warn-err')).toHaveCount(0)
  await shot(alice.page, 'admin')
  const saved = (await server.call('GET', `/api/v1/orgs/${w.org}/chat-settings`, { token: w.owner.token })).json
  expect(saved.mention_all_warn_above).toBe(25)
  expect(saved.mention_all_roles).not.toContain('member')
  expect(saved.mention_all_roles).toContain('owner')

  // Bob, a member, sees the settings read-only.
  const bob = await newUserPage(w.users.bob, `/o/${w.org}/settings`)
  const bobForm = bob.page.getByTestId('chat-settings')
  await expect(bobForm).toContainText('Only owners and admins can change these settings.')
  await expect(bobForm.getByLabel('member', { exact: true })).not.toBeChecked()
  await expect(bobForm.getByLabel('member', { exact: true })).toBeDisabled()
  await expect(bobForm.getByLabel('Warn when @channel would notify more than this many people')).toHaveValue('25')
  await expect(bobForm.getByLabel('Warn when @channel would notify more than this many people')).toBeDisabled()
  await expect(bobForm.getByRole('button', { name: 'Save chat settings' })).toHaveCount(0)

  // His @channel is refused by the server; the reason is shown and the draft kept.
  await bob.page.goto(`/o/${w.org}/chat/${channel.id}`)
  const composer = bob.page.getByTestId('composer')
  await composer.fill('@channel the build is green')
  await composer.press('Enter')
  await expect(bob.page.getByTestId('composer-error')).toHaveText('Not sent: Your role in this organisation may not mention @channel, @all or @here.')
  await expect(composer).toHaveValue('@channel the build is green')
  await expect(composer).toHaveAttribute('aria-invalid', 'true')
  await expect(bob.page.locator('.msg', { hasText: 'the build is green' })).toHaveCount(0)
  await shot(bob.page, 'refused')

  // The owner still may; typing again clears Bob's error.
  await alice.page.goto(`/o/${w.org}/chat/${channel.id}`)
  await alice.page.getByTestId('composer').fill('@channel standup in five')
  await alice.page.getByTestId('composer').press('Enter')
  await expect(bob.page.locator('.msg', { hasText: 'standup in five' })).toBeVisible()
  await composer.press('End')
  await composer.pressSequentially('!')
  await expect(bob.page.getByTestId('composer-error')).toHaveCount(0)

  // Presence: Alice is online in Bob's direct message with her, then offline when she leaves.
  const dm = (await server.call('POST', `/api/v1/orgs/${w.org}/dms`, { token: w.users.bob.token, json: { user_ids: [w.owner.id] } }, [200, 201])).json
  await bob.page.goto(`/o/${w.org}/chat/${dm.id}`)
  await expect(bob.page.locator(`[data-channel="${dm.id}"] .presence`)).toHaveAttribute('data-presence', 'online')
  await expect(bob.page.locator('.chat-head').getByRole('img', { name: `${w.owner.name} is online` })).toBeVisible()
  await shot(bob.page, 'presence')
  await alice.context.close()
  await expect(bob.page.locator(`[data-channel="${dm.id}"] .presence`)).toHaveAttribute('data-presence', 'offline', { timeout: 20_000 })
})
