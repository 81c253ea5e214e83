import { test, expect } from './fixtures'

test('a chat mention raises the other person\'s badge and notification', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'general' } }, 201)).json
  const bob = await newUserPage(w.users.bob, `/o/${w.org}/p/${w.project}/docs`)
  const alice = await newUserPage(w.owner, `/o/${w.org}/chat/${channel.id}`)
  await expect(bob.page.locator(`[data-channel="${channel.id}"]`)).toBeVisible()

  const composer = alice.page.getByTestId('composer')
  await composer.click()
  await composer.pressSequentially(`Morning! @${w.users.bob.handle.slice(0, 3)}`)
  // Autocomplete offers Bob; Enter completes the handle.
  await expect(alice.page.getByRole('option', { name: new RegExp(w.users.bob.name) })).toBeVisible()
  await composer.press('Enter')
  await expect(composer).toHaveValue(`Morning! @${w.users.bob.handle} `)
  await composer.pressSequentially('the **draft** is ready')
  await composer.press('Enter')
  const sent = alice.page.locator('.msg', { hasText: 'the draft is ready' })
  await expect(sent).toBeVisible()
  await expect(sent.locator('strong', { hasText: 'draft' })).toBeVisible()
  await expect(sent.locator('.mention')).toHaveText(`@${w.users.bob.handle}`)

  // Bob, elsewhere in the app: a mention badge on the channel and on the bell.
  await expect(bob.page.locator(`[data-channel="${channel.id}"] .badge-mention`)).toHaveText('1')
  await expect(bob.page.getByTestId('notifications-bell').locator('.badge')).toHaveText('1')
  await shot(bob.page, 'badge')
  await bob.page.getByTestId('notifications-bell').click()
  const item = bob.page.getByTestId('notifications').locator('.notification', { hasText: 'is ready' })
  await expect(item).toContainText(w.owner.name)
  await shot(bob.page, 'notifications')
  await item.getByRole('button').click()
  await expect(bob.page).toHaveURL(new RegExp(`/chat/${channel.id}\\?m=`))
  await expect(bob.page.locator('.msg.focused')).toContainText('the draft is ready')
  await expect(bob.page.getByTestId('notifications-bell').locator('.badge')).toHaveCount(0)
  await expect(bob.page.locator(`[data-channel="${channel.id}"] .badge`)).toHaveCount(0)
  await shot(bob.page, 'permalink')
})

test('threads, reactions, edits and scrolling back through history', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'history' } }, 201)).json
  for (let i = 1; i <= 70; i++) {
    await server.call('POST', `/api/v1/channels/${channel.id}/messages`, { token: w.owner.token, json: { text: `message number ${i}` } }, 201)
  }
  const url = `/o/${w.org}/chat/${channel.id}`
  const alice = await newUserPage(w.owner, url)
  const bob = await newUserPage(w.users.bob, url)
  const list = alice.page.getByTestId('messages')
  await expect(list).toContainText('message number 70')
  await expect(list.locator('.msg-text').filter({ hasText: /^\s*message number 1\s*$/ })).toHaveCount(0)
  // Scroll to the top: older pages load until the beginning.
  await expect(async () => {
    await list.evaluate((el) => { el.scrollTop = 0 })
    await expect(list.locator('.msg-text').filter({ hasText: /^\s*message number 1\s*$/ })).toBeVisible({ timeout: 1000 })
  }).toPass({ timeout: 20_000 })
  await expect(list).toContainText('This is the beginning')

  // Bob reacts and replies in a thread; Alice sees both live.
  const last = bob.page.locator('.msg', { hasText: 'message number 70' })
  await last.hover()
  await last.getByRole('button', { name: 'Add reaction' }).click()
  await last.getByRole('menuitem', { name: 'React with 👍' }).click()
  await expect(alice.page.locator('.msg', { hasText: 'message number 70' }).locator('.reaction')).toContainText('1')
  await last.hover()
  await last.getByRole('button', { name: 'Reply in thread' }).click()
  const reply = bob.page.getByTestId('thread-composer')
  await reply.fill('a reply in the thread')
  await reply.press('Enter')
  await expect(bob.page.getByRole('complementary', { name: 'Thread' })).toContainText('a reply in the thread')
  const aliceRoot = alice.page.locator('.msg', { hasText: 'message number 70' })
  await expect(aliceRoot.getByRole('button', { name: /1 reply/ })).toBeVisible()
  await aliceRoot.getByRole('button', { name: /1 reply/ }).click()
  await expect(alice.page.getByRole('complementary', { name: 'Thread' })).toContainText('a reply in the thread')

  // Alice edits then deletes her message; Bob sees both.
  const mine = alice.page.locator('.chat-main .msg', { hasText: 'message number 69' })
  await mine.hover()
  await mine.getByRole('button', { name: 'Edit message' }).click()
  await alice.page.locator('.edit-form textarea').fill('message number 69, corrected')
  await alice.page.locator('.edit-form textarea').press('Enter')
  await expect(bob.page.locator('.chat-main .msg', { hasText: '69, corrected' })).toContainText('(edited)')
  const edited = alice.page.locator('.chat-main .msg', { hasText: '69, corrected' })
  await edited.hover()
  await edited.getByRole('button', { name: 'Delete message' }).click()
  await alice.page.getByRole('dialog', { name: 'Delete this message?' }).getByRole('button', { name: 'Delete' }).click()
  await expect(bob.page.locator('.chat-main')).toContainText('This message was deleted.')
  await shot(alice.page, 'alice')
  await shot(bob.page, 'bob')
})

test('direct messages, typing indicators and attachments with previews', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'design' } }, 201)).json
  const alice = await newUserPage(w.owner, `/o/${w.org}/chat/${channel.id}`)
  const bob = await newUserPage(w.users.bob, `/o/${w.org}/chat/${channel.id}`)
  await expect(alice.page.getByTestId('composer')).toBeVisible()

  // Typing shows up for the other person.
  await bob.page.getByTestId('composer').pressSequentially('thinking')
  await expect(alice.page.locator('.typing')).toContainText(`${w.users.bob.name} is typing`)

  // An image attachment is shown as a preview.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64')
  const chooser = alice.page.waitForEvent('filechooser')
  await alice.page.getByRole('button', { name: 'Attach files' }).click()
  await (await chooser).setFiles({ name: 'mock.png', mimeType: 'image/png', buffer: png })
  await expect(alice.page.locator('.pending-attachments')).toContainText('✓')
  await alice.page.getByTestId('composer').fill('the mock-up')
  await alice.page.getByTestId('composer').press('Enter')
  await expect(bob.page.locator('.msg', { hasText: 'the mock-up' }).locator('.attachment-image img')).toBeVisible()

  // A direct message from the sidebar.
  await alice.page.getByRole('button', { name: 'New direct message' }).click()
  const dialog = alice.page.getByRole('dialog', { name: 'New direct message' })
  await dialog.getByLabel('Find people').fill(w.users.bob.handle.slice(0, 3))
  await dialog.getByRole('checkbox').first().check()
  await dialog.getByRole('button', { name: 'Open conversation' }).click()
  await expect(alice.page.locator('.chat-title')).toHaveText(w.users.bob.name)
  await alice.page.getByTestId('composer').fill('psst, a private word')
  await alice.page.getByTestId('composer').press('Enter')
  const dm = bob.page.locator('.nav-channel', { hasText: w.owner.name })
  await expect(dm.locator('.badge')).toHaveText('1')
  await dm.click()
  await expect(bob.page.getByTestId('messages')).toContainText('psst, a private word')
  await expect(dm.locator('.badge')).toHaveCount(0)
  await shot(bob.page, 'dm')
})
