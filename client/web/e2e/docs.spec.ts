import type { Page } from '@playwright/test'
import { test, expect } from './fixtures'

/** WCAG contrast between two CSS colours as the browser computed them (`rgb(…)`/`rgba(…)`); 0 when either is not opaque. */
function contrast (a: string, b: string): number {
  const parse = (c: string) => {
    const n = (c.match(/[\d.]+/g) ?? []).map(Number)
    if (n.length < 3 || (n.length > 3 && n[3] < 1)) return null
    const lin = (v: number) => { const x = v / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4 }
    return 0.2126 * lin(n[0]) + 0.7152 * lin(n[1]) + 0.0722 * lin(n[2])
  }
  const [la, lb] = [parse(a), parse(b)]
  if (la === null || lb === null) return 0
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05)
}

/** The colours of the caret labelled `name` in `page`: its label's text and background, its line, and the page behind it. */
async function caretColours (page: Page, name: string) {
  const label = page.locator('.collaboration-carets__label', { hasText: name })
  await expect(label).toBeVisible({ timeout: 2000 })
  return label.evaluate((el) => {
    const caret = el.parentElement!
    return {
      text: getComputedStyle(el).color,
      background: getComputedStyle(el).backgroundColor,
      line: getComputedStyle(caret).borderLeftColor,
      page: getComputedStyle(document.body).backgroundColor
    }
  })
}


/** Whether leaving the page now would ask "Leave site?": a cancelable `beforeunload` the page
 * prevents. (Playwright's navigations never show that prompt, so a navigation cannot tell.) */
async function asksBeforeLeaving (page: Page): Promise<boolean> {
  return await page.evaluate(() => {
    const e = new Event('beforeunload', { cancelable: true })
    window.dispatchEvent(e)
    return e.defaultPrevented
  })
}

test('two people edit one document and see each other\'s text and cursor', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const url = `/o/${w.org}/p/${w.project}/docs/${w.doc}`
  const a = await newUserPage(w.owner, url)
  const b = await newUserPage(w.users.bob, url)
  for (const p of [a.page, b.page]) {
    await expect(p.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  }
  const editorA = a.page.locator('.ProseMirror')
  const editorB = b.page.locator('.ProseMirror')

  await editorA.click()
  await a.page.keyboard.type('Hello from Alice')
  await expect(editorB).toContainText('Hello from Alice', { timeout: 1000 })
  await expect(b.page.locator('.collaboration-carets__label', { hasText: w.owner.name })).toBeVisible({ timeout: 1000 })

  await editorB.click()
  await expect(editorB).toBeFocused()
  await b.page.keyboard.press('End')
  // Under load the caret can still be where the click's first selection put it when the next
  // key arrives; Enter must come only once it sits after Alice's words, as a person sees it.
  await b.page.waitForFunction(() => {
    const s = window.getSelection()
    const node = s?.anchorNode
    if (!s || !node || !(node.textContent ?? '').endsWith('Hello from Alice')) return false
    return s.anchorOffset === (node.nodeType === Node.TEXT_NODE ? node.textContent?.length : node.childNodes.length)
  })
  await b.page.keyboard.press('Enter')
  await b.page.keyboard.type('Bob was here')
  await expect(editorA).toContainText('Bob was here', { timeout: 1000 })
  await expect(a.page.locator('.collaboration-carets__label', { hasText: w.users.bob.name })).toBeVisible({ timeout: 1000 })

  // Both see who is here, and the edits are durable on the server.
  await expect(a.page.getByTestId('peer')).toHaveCount(2)
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect(b.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect.poll(async () => (await server.call('GET', `/api/v1/docs/${w.doc}/content?format=text`, { token: w.owner.token })).text)
    .toMatch(/Hello from Alice[\s\S]*Bob was here/)
  await shot(a.page, 'alice')
  await shot(b.page, 'bob')
})

test('a viewer cannot type into a document', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { vic: 'viewer' } })
  const url = `/o/${w.org}/p/${w.project}/docs/${w.doc}`
  const owner = await newUserPage(w.owner, url)
  await owner.page.locator('.ProseMirror').click()
  await owner.page.keyboard.type('Only editors write here')
  await expect(owner.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')

  const v = await newUserPage(w.users.vic, url)
  const editor = v.page.locator('.ProseMirror')
  await expect(editor).toContainText('Only editors write here')
  await expect(v.page.getByTestId('readonly-banner')).toBeVisible()
  await expect(editor).toHaveAttribute('contenteditable', 'false')
  await editor.click()
  await v.page.keyboard.type('viewer scribble')
  await expect(v.page.getByRole('button', { name: 'Bold' })).toBeDisabled()
  // Give a stray write every chance to arrive, then check nobody got it.
  await owner.page.waitForTimeout(500)
  await expect(editor).not.toContainText('viewer scribble')
  await expect(owner.page.locator('.ProseMirror')).not.toContainText('viewer scribble')
  const text = (await server.call('GET', `/api/v1/docs/${w.doc}/content?format=text`, { token: w.owner.token })).text
  expect(text).not.toContain('viewer scribble')
  await shot(v.page, 'viewer')
})

test('an edit made offline reaches the other person after reconnecting', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const url = `/o/${w.org}/p/${w.project}/docs/${w.doc}`
  const a = await newUserPage(w.owner, url)
  const b = await newUserPage(w.users.bob, url)
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect(b.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')

  await a.context.setOffline(true)
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'offline')
  await expect(a.page.getByText('You are offline')).toBeVisible()
  await a.page.locator('.ProseMirror').click()
  await a.page.keyboard.type('Written on the train')
  await shot(a.page, 'offline')
  await b.page.waitForTimeout(300)
  await expect(b.page.locator('.ProseMirror')).not.toContainText('Written on the train')

  await a.context.setOffline(false)
  await expect(a.page.getByText('You are offline')).toBeHidden()
  await expect(b.page.locator('.ProseMirror')).toContainText('Written on the train', { timeout: 15_000 })
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await shot(b.page, 'merged')
})

test('version history: name a version, preview it and restore it', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const a = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/docs/${w.doc}`)
  const editor = a.page.getByTestId('editor').locator('.ProseMirror')
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await editor.click()
  await a.page.keyboard.type('First draft')
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await a.page.getByRole('button', { name: 'History' }).click()
  const dialog = a.page.getByRole('dialog', { name: 'Version history' })
  await dialog.getByLabel('Version name').fill('Draft one')
  await dialog.getByRole('button', { name: 'Save version' }).click()
  await expect(dialog.getByRole('button', { name: 'Draft one' })).toBeVisible()
  await dialog.getByRole('button', { name: 'Close' }).click()

  await editor.click()
  await a.page.keyboard.press('End')
  await a.page.keyboard.type(' with later changes')
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await a.page.getByRole('button', { name: 'History' }).click()
  await dialog.getByRole('button', { name: 'Draft one' }).click()
  await expect(dialog.locator('.preview')).toContainText('First draft')
  await expect(dialog.locator('.preview')).not.toContainText('later changes')
  await shot(a.page, 'history')
  await dialog.getByRole('button', { name: 'Restore' }).click()
  await a.page.getByRole('dialog', { name: 'Restore “Draft one”?' }).getByRole('button', { name: 'Restore version' }).click()
  await expect(editor).not.toContainText('later changes')
  await expect(editor).toContainText('First draft')

  // A new tab has no token of its own: the sockets authenticate with the session cookie.
  const tab = await a.context.newPage()
  await tab.goto(`/o/${w.org}/p/${w.project}/docs/${w.doc}`)
  await expect(tab.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect(tab.locator('.ProseMirror')).toContainText('First draft')
  await tab.locator('.ProseMirror').click()
  await tab.keyboard.press('End')
  await tab.keyboard.type(' (second tab)')
  await expect(editor).toContainText('(second tab)')
})

test('rich text: headings, lists, checklists, code, tables, @mentions and images', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const a = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/docs/${w.doc}`)
  const editor = a.page.locator('.ProseMirror')
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await editor.click()
  const k = a.page.keyboard
  await k.type('## Plan\n- first\nsecond\n\n[ ] todo item\n')
  await k.press('Enter')
  await k.type('```\nlet x = 1\n')
  await k.press('Enter'); await k.press('Enter'); await k.press('Enter')
  await k.type(`ask @${w.users.bob.handle.slice(0, 3)}`)
  await expect(a.page.getByRole('listbox', { name: 'People' })).toContainText(w.users.bob.name)
  await k.press('Enter')
  await expect(editor.locator('.mention')).toHaveText(`@${w.users.bob.handle}`)
  await k.press('Enter')
  await a.page.getByRole('button', { name: 'Insert table' }).click()
  await expect(editor.locator('table tr')).toHaveCount(3)
  await k.type('cell')
  await editor.locator('p').last().click()
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64')
  const chooser = a.page.waitForEvent('filechooser')
  await a.page.getByRole('button', { name: 'Insert image' }).click()
  await (await chooser).setFiles({ name: 'dot.png', mimeType: 'image/png', buffer: png })
  await expect(editor.locator('img')).toHaveAttribute('src', /\/api\/v1\/files\/.+\/content/)

  await expect(editor.locator('h2')).toHaveText('Plan')
  await expect(editor.locator('ul:not([data-type]) li')).toHaveCount(2)
  await expect(editor.locator('ul[data-type="taskList"] li')).toContainText('todo item')
  await expect(editor.locator('pre code')).toContainText('let x = 1')
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await shot(a.page, 'rich')
  const md = (await server.call('GET', `/api/v1/docs/${w.doc}/content?format=markdown`, { token: w.owner.token })).text
  expect(md).toContain('## Plan')
  expect(md).toContain('let x = 1')
})

test('offline edits are kept on the device when the tab is closed, and sent from the next one', async ({ server, newUserPage }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const url = `/o/${w.org}/p/${w.project}/docs/${w.doc}`
  const a = await newUserPage(w.owner, url)
  const b = await newUserPage(w.users.bob, url)
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await a.context.setOffline(true)
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'offline')
  await a.page.locator('.ProseMirror').click()
  await a.page.keyboard.type('Kept in IndexedDB')
  await a.page.waitForTimeout(300)
  await a.page.close()
  await a.context.setOffline(false)
  await expect(b.page.locator('.ProseMirror')).not.toContainText('Kept in IndexedDB')

  const again = await a.context.newPage()
  await again.goto(url)
  await expect(again.locator('.ProseMirror')).toContainText('Kept in IndexedDB')
  await expect(again.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect(b.page.locator('.ProseMirror')).toContainText('Kept in IndexedDB')
})

test('other people\'s carets are coloured and named, readable in the light and the dark theme', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const url = `/o/${w.org}/p/${w.project}/docs/${w.doc}`
  const a = await newUserPage(w.owner, url)
  // Bob works in the dark theme.
  const b = await newUserPage(w.users.bob, url)
  await b.page.evaluate(() => localStorage.setItem('atrium.theme', 'dark'))
  await b.page.reload()
  const warnings: string[] = []
  for (const p of [a.page, b.page]) p.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()) })
  for (const p of [a.page, b.page]) await expect(p.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')

  await a.page.locator('.ProseMirror').click()
  await a.page.keyboard.type('Alice writes a line')
  await expect(b.page.locator('.ProseMirror')).toContainText('Alice writes a line')
  await b.page.locator('.ProseMirror').click()
  await b.page.keyboard.press('End')
  await b.page.keyboard.press('Enter')
  await b.page.keyboard.type('Bob answers')
  await expect(a.page.locator('.ProseMirror')).toContainText('Bob answers')

  const seenByBob = await caretColours(b.page, w.owner.name)
  const seenByAlice = await caretColours(a.page, w.users.bob.name)
  for (const [who, c] of [['Alice\'s caret, dark theme', seenByBob], ['Bob\'s caret, light theme', seenByAlice]] as const) {
    expect(contrast(c.text, c.background), `${who}: name label text ${c.text} on ${c.background}`).toBeGreaterThanOrEqual(4.5)
    expect(contrast(c.line, c.page), `${who}: caret line ${c.line} on ${c.page}`).toBeGreaterThanOrEqual(3)
  }
  // Two people, two colours.
  const avatars = await a.page.getByTestId('peer').locator('.avatar').evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor))
  expect(new Set(avatars).size).toBe(2)
  expect(warnings.filter((t) => /color/i.test(t)), 'colour warnings').toEqual([])
  await shot(a.page, 'light')
  await shot(b.page, 'dark')
})

test('"Saved" comes back after a reconnect that lost the server\'s acknowledgement, and nothing asks to leave', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const url = `/o/${w.org}/p/${w.project}/docs/${w.doc}`
  const a = await newUserPage(w.owner, url)
  const b = await newUserPage(w.users.bob, url)
  // Alice's document socket passes through here: the server's frames to her can be held back,
  // and the connection cut, as a flaky network does.
  let holdBack = false
  let cut: (() => void) | null = null
  await a.page.routeWebSocket(/\/collab\//, (ws) => {
    const upstream = ws.connectToServer()
    ws.onMessage((m) => upstream.send(m))
    upstream.onMessage((m) => { if (!holdBack) ws.send(m) })
    cut = () => { void ws.close({ code: 4000, reason: 'network' }); upstream.close().catch(() => {}) }
  })
  await a.page.reload()
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')

  // The edit reaches the server and Bob, but its acknowledgement is lost with the connection.
  holdBack = true
  await a.page.locator('.ProseMirror').click()
  await a.page.keyboard.type('Sent, echo lost')
  await expect(b.page.locator('.ProseMirror')).toContainText('Sent, echo lost')
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saving')
  expect(await asksBeforeLeaving(a.page), 'an unconfirmed edit asks before leaving').toBe(true)
  cut!()
  holdBack = false
  // The reconnect shows the server holds it: saved, truthfully.
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 })
  await shot(a.page, 'saved-after-reconnect')
  // Offline and back, once more, with an edit made offline.
  await a.context.setOffline(true)
  await a.page.keyboard.type(' and offline')
  await a.context.setOffline(false)
  await expect(b.page.locator('.ProseMirror')).toContainText('and offline', { timeout: 15_000 })
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  expect(await asksBeforeLeaving(a.page), 'leave-page prompt').toBe(false)
})

test('a document trashed while open says so, turns read-only, offers the restore and goes live again', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor', vic: 'viewer' } })
  const url = `/o/${w.org}/p/${w.project}/docs/${w.doc}`
  const a = await newUserPage(w.owner, url)
  const b = await newUserPage(w.users.bob, url)
  const v = await newUserPage(w.users.vic, url)
  for (const p of [a.page, b.page, v.page]) await expect(p.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await b.page.locator('.ProseMirror').click()
  await b.page.keyboard.type('Before the trash')
  await expect(a.page.locator('.ProseMirror')).toContainText('Before the trash')

  await server.call('DELETE', `/api/v1/docs/${w.doc}`, { token: w.owner.token })
  for (const p of [a.page, b.page, v.page]) {
    await expect(p.getByTestId('trash-banner')).toContainText('moved to the trash')
    await expect(p.getByTestId('save-state')).toHaveAttribute('data-state', 'trashed')
    await expect(p.getByTestId('save-state')).not.toHaveText('No access')
    await expect(p.locator('.ProseMirror')).toHaveAttribute('contenteditable', 'false')
  }
  // Editors may restore it; the viewer is told whom to ask.
  await expect(b.page.getByTestId('trash-banner').getByRole('button', { name: 'Restore' })).toBeVisible()
  await expect(v.page.getByTestId('trash-banner').getByRole('button', { name: 'Restore' })).toHaveCount(0)
  await expect(v.page.getByTestId('trash-banner')).toContainText('Ask an editor')
  await b.page.keyboard.type('into the void')
  await expect(b.page.locator('.ProseMirror')).not.toContainText('into the void')
  await shot(b.page, 'trashed')

  // Alice restores it from her banner: everyone is live again without a reload.
  await a.page.getByTestId('trash-banner').getByRole('button', { name: 'Restore' }).click()
  for (const p of [a.page, b.page, v.page]) {
    await expect(p.getByTestId('trash-banner')).toBeHidden({ timeout: 10_000 })
    await expect(p.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  }
  await expect(b.page.locator('.ProseMirror')).toHaveAttribute('contenteditable', 'true')
  await b.page.locator('.ProseMirror').click()
  await b.page.keyboard.press('End')
  await b.page.keyboard.type(', and after it')
  await expect(a.page.locator('.ProseMirror')).toContainText('Before the trash, and after it')
  await expect(v.page.locator('.ProseMirror')).toContainText('Before the trash, and after it')
  await expect(b.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await shot(b.page, 'restored')
  expect(await asksBeforeLeaving(b.page), 'leave-page prompt').toBe(false)
})

test('a version\'s preview shows it as the editor does: tables, @mentions, checklists', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const a = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/docs/${w.doc}`)
  const editor = a.page.getByTestId('editor').locator('.ProseMirror')
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await editor.click()
  const k = a.page.keyboard
  await k.type('## Plan\n[ ] todo item\n')
  await k.press('Enter')
  await k.type(`ask @${w.users.bob.handle.slice(0, 3)}`)
  await expect(a.page.getByRole('listbox', { name: 'People' })).toContainText(w.users.bob.name)
  await k.press('Enter')
  await k.press('Enter')
  await a.page.getByRole('button', { name: 'Insert table' }).click()
  await k.type('cell')
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await a.page.getByRole('button', { name: 'History' }).click()
  const dialog = a.page.getByRole('dialog', { name: 'Version history' })
  await dialog.getByLabel('Version name').fill('Rich')
  await dialog.getByRole('button', { name: 'Save version' }).click()
  await dialog.getByRole('button', { name: 'Rich' }).click()

  const preview = dialog.getByTestId('version-preview')
  await expect(preview.locator('h2')).toHaveText('Plan')
  await expect(preview.locator('table tr')).toHaveCount(3)
  await expect(preview.locator('table td, table th').first()).toBeVisible()
  await expect(preview.locator('table')).toContainText('cell')
  await expect(preview.locator('.mention')).toHaveText(`@${w.users.bob.handle}`)
  const item = preview.locator('ul[data-type="taskList"] li')
  await expect(item).toContainText('todo item')
  await expect(item.locator('input[type="checkbox"]')).toHaveCount(1)
  // A checklist shows its boxes, not bullets as well.
  expect(await preview.locator('ul[data-type="taskList"]').evaluate((el) => getComputedStyle(el).listStyleType)).toBe('none')
  // Read-only: typing changes nothing.
  await expect(preview.locator('.ProseMirror')).toHaveAttribute('contenteditable', 'false')
  await shot(a.page, 'preview')
})

test('tables: rows and columns are added and removed, and deleting a table asks first', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const a = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/docs/${w.doc}`)
  const editor = a.page.getByTestId('editor').locator('.ProseMirror')
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await editor.click()
  await a.page.getByRole('button', { name: 'Insert table' }).click()
  await expect(editor.locator('table tr')).toHaveCount(3)
  // Inside the table the insert button is not a delete button.
  await expect(a.page.getByRole('button', { name: 'Insert table' })).toHaveCount(0)
  await a.page.getByRole('button', { name: 'Add row' }).click()
  await expect(editor.locator('table tr')).toHaveCount(4)
  await a.page.getByRole('button', { name: 'Add column' }).click()
  await expect(editor.locator('table tr').first().locator('th, td')).toHaveCount(4)
  await a.page.getByRole('button', { name: 'Delete column' }).click()
  await expect(editor.locator('table tr').first().locator('th, td')).toHaveCount(3)
  await a.page.getByRole('button', { name: 'Delete row' }).click()
  await expect(editor.locator('table tr')).toHaveCount(3)
  await shot(a.page, 'table-tools')

  await a.page.getByRole('button', { name: 'Delete table' }).click()
  const ask = a.page.getByRole('dialog', { name: 'Delete this table?' })
  await expect(ask).toBeVisible()
  await ask.getByRole('button', { name: 'Cancel' }).click()
  await expect(editor.locator('table')).toHaveCount(1)
  await editor.locator('table td, table th').first().click()
  await a.page.getByRole('button', { name: 'Delete table' }).click()
  await ask.getByRole('button', { name: 'Delete table' }).click()
  await expect(editor.locator('table')).toHaveCount(0)
})

test('the @mention list stays beside the caret: above it near the bottom, and following a scroll', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const a = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/docs/${w.doc}`)
  await a.page.setViewportSize({ width: 1000, height: 600 })
  const editor = a.page.getByTestId('editor').locator('.ProseMirror')
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await editor.click()
  for (let i = 0; i < 30; i++) await a.page.keyboard.press('Enter')
  await a.page.keyboard.type(`ask @${w.users.bob.handle.slice(0, 3)}`)
  const list = a.page.getByRole('listbox', { name: 'People' })
  await expect(list).toContainText(w.users.bob.name)
  const line = editor.locator('p', { hasText: 'ask @' })
  const inView = async () => {
    const l = (await list.boundingBox())!
    const p = (await line.boundingBox())!
    expect(l.y, 'list top').toBeGreaterThanOrEqual(0)
    expect(l.y + l.height, 'list bottom').toBeLessThanOrEqual(600)
    // Right under or right over its line.
    const distance = Math.min(Math.abs(l.y - (p.y + p.height)), Math.abs(l.y + l.height - p.y))
    expect(distance, 'distance from the caret line').toBeLessThanOrEqual(12)
  }
  // Its line at the bottom of the window: the list opens above it, whole.
  await line.evaluate((el) => el.scrollIntoView({ block: 'end' }))
  await expect.poll(async () => (await line.boundingBox())!.y).toBeGreaterThan(450)
  await inView()
  await shot(a.page, 'mention-bottom')
  // Scrolled: the list goes with its line.
  const before = (await line.boundingBox())!.y
  await a.page.mouse.move(600, 300)
  await a.page.mouse.wheel(0, 200)
  await expect.poll(async () => (await line.boundingBox())!.y).toBeLessThan(before - 30)
  await inView()
  await a.page.keyboard.press('Enter')
  await expect(editor.locator('.mention')).toHaveText(`@${w.users.bob.handle}`)
})
