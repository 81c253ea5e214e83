import type { Page } from '@playwright/test'
import { test, expect } from './fixtures'
import { openTogether } from './pair'
import { violations } from './axe'

async function themes (page: Page, what: string) {
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme)
    expect(await violations(page), `${theme} ${what}`).toEqual([])
  }
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'))
}

// Alice builds a document from the slash menu — a callout (its kind changed by its label), a
// heading 3 and a toggle opened and closed by mouse and keyboard — while Bob, in a second
// browser, sees the blocks arrive live (his toggle stays closed: open is each viewer's own).
// Escape closes the menu and leaves what was typed. The Markdown export holds the blocks; the
// menu and the blocks meet WCAG AA in both themes; the toolbar stays in view down a long
// document, at phone width too.
test('slash menu: callouts, heading 3 and toggles, live for a second person, exported, and a toolbar that stays in view', async ({ server, newUserPage, shot }) => {
  test.slow()
  const w = await server.world({ members: { bob: 'editor' }, title: 'Kitchen rules' })
  const { a, b, editorA, editorB } = await openTogether(newUserPage, w)
  const key = (k: string) => a.page.keyboard.press(k)
  const type = (t: string) => a.page.keyboard.type(t)
  await editorA.click()
  await type('Read before cooking.')
  await key('Enter')

  // "/call": the menu lists the callouts, the plain one first and highlighted.
  await type('/call')
  const menu = a.page.getByRole('listbox', { name: 'Blocks' })
  await expect(menu).toBeVisible()
  await expect(menu.getByRole('option')).toHaveCount(4)
  const first = menu.getByRole('option', { selected: true })
  await expect(first).toContainText('Callout')
  await expect(editorA).toHaveAttribute('aria-activedescendant', (await first.getAttribute('id'))!)
  await themes(a.page, 'slash menu open')
  await shot(a.page, 'doc-blocks-slash-menu')
  await key('Enter')
  await expect(menu).toHaveCount(0)
  const calloutA = editorA.locator('aside.callout')
  await expect(calloutA).toHaveClass(/callout-info/)
  await expect(calloutA).toHaveAttribute('role', 'note')
  await type('Mind the oven.')
  await expect(calloutA.locator('.callout-body')).toHaveText('Mind the oven.')
  // Its label changes the kind.
  await calloutA.getByRole('button', { name: /^Info callout/ }).click()
  await expect(calloutA).toHaveClass(/callout-warning/)
  await expect(calloutA.getByRole('button', { name: /^Warning callout/ })).toBeVisible()
  // Ctrl+Alt+C with the caret inside changes it too (and back round to warning).
  for (const kind of ['success', 'danger', 'info', 'warning']) {
    await key('Control+Alt+c')
    await expect(calloutA).toHaveClass(new RegExp(`callout-${kind}`))
  }
  // Enter on an empty last line leaves the callout.
  await editorA.press('End')
  await key('Enter')
  await key('Enter')
  // The Markdown shortcut makes a heading 3 as well; the menu's one follows.
  await type('### Shortcut heading')
  await expect(editorA.locator('h3')).toHaveText('Shortcut heading')
  await key('Enter')
  await type('/h3')
  await expect(menu.getByRole('option', { selected: true })).toContainText('Heading 3')
  await key('Enter')
  await type('Details')
  await expect(editorA.locator('h3').nth(1)).toHaveText('Details')
  await expect(calloutA.locator('.callout-body')).toHaveText('Mind the oven.')

  // Escape closes the menu and leaves the text; nothing matches "xyz".
  await key('Enter')
  await type('/xyz')
  await expect(menu).toContainText('No block matches')
  await key('Escape')
  await expect(menu).toHaveCount(0)
  await expect(editorA.locator('p', { hasText: '/xyz' })).toHaveText('/xyz')
  await expect(editorA).not.toHaveAttribute('aria-activedescendant')

  // A toggle, chosen by mouse: it opens for its maker, the caret in its summary.
  await key('Enter')
  await type('/tog')
  await menu.getByRole('option', { name: /Toggle/ }).click()
  const toggleA = editorA.locator('.toggle')
  const buttonA = toggleA.locator('.toggle-button')
  await expect(buttonA).toHaveAttribute('aria-expanded', 'true')
  await type('Why it matters')
  await key('Enter')
  await type('Burns hurt.')
  await expect(toggleA.locator('.toggle-summary')).toHaveText('Why it matters')
  await expect(toggleA.locator('.toggle-content')).toHaveText('Burns hurt.')
  await expect(editorA).not.toContainText('/tog')
  // Keyboard: Ctrl+Enter closes it (the caret goes to the summary) and opens it again.
  await key('Control+Enter')
  await expect(buttonA).toHaveAttribute('aria-expanded', 'false')
  await expect(toggleA.locator('.toggle-content')).toBeHidden()
  await key('Control+Enter')
  await expect(buttonA).toHaveAttribute('aria-expanded', 'true')
  await expect(toggleA.locator('.toggle-content')).toBeVisible()
  // Mouse: its button closes and opens it.
  await buttonA.click()
  await expect(buttonA).toHaveAttribute('aria-expanded', 'false')
  await expect(toggleA.locator('.toggle-content')).toBeHidden()
  await buttonA.click()
  await expect(toggleA.locator('.toggle-content')).toBeVisible()

  // Live for Bob; his toggle is closed until he opens it (whether it is open is not shared).
  // (Alice's caret, with her name, may sit in the text he sees: containing, not equal.)
  await expect(editorB.locator('aside.callout.callout-warning .callout-body')).toContainText('Mind the oven.')
  await expect(editorB.locator('h3').nth(1)).toContainText('Details')
  const toggleB = editorB.locator('.toggle')
  await expect(toggleB.locator('.toggle-summary')).toContainText('Why it matters')
  await expect(toggleB.locator('.toggle-button')).toHaveAttribute('aria-expanded', 'false')
  await expect(toggleB.locator('.toggle-content')).toBeHidden()
  await toggleB.locator('.toggle-button').click()
  await expect(toggleB.locator('.toggle-content')).toContainText('Burns hurt.')
  await expect(buttonA).toHaveAttribute('aria-expanded', 'true')
  await shot(b.page, 'doc-blocks-second-browser')

  // The Markdown export holds the blocks.
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect.poll(async () => (await server.call('GET', `/api/v1/docs/${w.doc}/export?format=markdown`, { token: w.owner.token })).text)
    .toContain('> [!WARNING]\n> Mind the oven.\n\n### Shortcut heading\n\n### Details\n\n/xyz\n\nWhy it matters\n\nBurns hurt.')

  // A version's preview shows the blocks as the editor does (read-only: the callout's label
  // is no button; the toggle still opens, for this reader only).
  await a.page.getByRole('button', { name: 'History' }).click()
  const dialog = a.page.getByRole('dialog', { name: 'Version history' })
  await dialog.getByLabel('Version name').fill('Blocks')
  await dialog.getByRole('button', { name: 'Save version' }).click()
  await dialog.getByRole('button', { name: 'Blocks' }).click()
  const preview = dialog.getByTestId('version-preview')
  await expect(preview.locator('aside.callout.callout-warning[role="note"]')).toContainText('Mind the oven.')
  await expect(preview.locator('aside.callout span.callout-label')).toHaveText('Warning')
  await expect(preview.locator('h3').nth(1)).toHaveText('Details')
  await expect(preview.locator('.toggle-summary')).toHaveText('Why it matters')
  await expect(preview.locator('.toggle-content')).toBeHidden()
  await preview.locator('.toggle-button').click()
  await expect(preview.locator('.toggle-content')).toHaveText('Burns hurt.')
  expect(await violations(a.page), 'version preview with blocks').toEqual([])
  await shot(a.page, 'doc-blocks-preview')
  await a.page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)

  // WCAG AA with the blocks in the document, both themes.
  await themes(a.page, 'document with a callout and a toggle')
  await shot(a.page, 'doc-blocks')

  // A long document: the toolbar stays at the top of the view, on a wide screen and a phone.
  await editorA.focus()
  await a.page.keyboard.press('Control+End')
  for (let i = 1; i <= 40; i++) {
    await key('Enter')
    await type(`Line ${i}`)
  }
  await expect(editorA).toContainText('Line 40')
  const toolbar = a.page.getByRole('toolbar', { name: 'Formatting' })
  for (const size of [{ width: 1280, height: 720 }, { width: 390, height: 740 }]) {
    await a.page.setViewportSize(size)
    await a.page.locator('.main').evaluate((el) => { el.scrollTop = el.scrollHeight })
    await expect.poll(() => a.page.locator('.main').evaluate((el) => el.scrollTop)).toBeGreaterThan(300)
    const box = (await toolbar.boundingBox())!
    expect(box.y).toBeGreaterThanOrEqual(0)
    expect(box.y + box.height).toBeLessThanOrEqual(size.height)
    await expect(toolbar.getByRole('button', { name: 'Heading 3' })).toBeInViewport()
    await shot(a.page, `doc-blocks-toolbar-${size.width}`)
  }
})
