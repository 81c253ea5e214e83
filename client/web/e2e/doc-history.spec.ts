import type { Locator, Page } from '@playwright/test'
import { test, expect } from './fixtures'
import { openTogether } from './pair'
import { violations } from './axe'

// Sessions end one second after the last edit once nobody has the document open, so the
// automatic snapshot comes at once instead of after the production minute.
test.use({ serverEnv: { ATRIUM_DOC_HISTORY_QUIET_SECS: '1' } })

/** Opens the History dialog, again until it lists an automatic snapshot (taken in the background). */
/** Whether the caret is collapsed at the very end of `editor`'s text. */
function caretAtEnd (editor: Element): boolean {
  const selection = getSelection()
  if (!selection || !selection.isCollapsed || !selection.focusNode || !editor.contains(selection.focusNode)) return false
  const rest = document.createRange()
  rest.setStart(selection.focusNode, selection.focusOffset)
  rest.setEnd(editor, editor.childNodes.length)
  return rest.toString() === ''
}

async function historyWithSnapshot (page: Page): Promise<Locator> {
  const dialog = page.getByRole('dialog', { name: 'Version history' })
  await expect(async () => {
    if (await dialog.count()) await dialog.getByRole('button', { name: 'Close' }).click()
    await page.getByRole('button', { name: 'History' }).click()
    await expect(dialog.locator('[data-testid="version-row"][data-kind="auto"]')).toHaveCount(1, { timeout: 1000 })
  }).toPass({ timeout: 15000 })
  return dialog
}

// Alice writes and names a version; Bob adds a paragraph while Alice changes a word. Once both
// have left, the automatic snapshot of their session appears in History naming both; comparing
// the named version with it shows the added paragraph and the changed word, marked by more than
// colour. The dialog meets WCAG AA in both themes.
test('two people edit: the automatic snapshot names both, and the diff shows what changed', async ({ server, newUserPage, shot }) => {
  test.slow()
  const w = await server.world({ members: { bob: 'editor' }, title: 'Launch plan' })
  const bob = w.users.bob
  const { url, a, b, editorA, editorB } = await openTogether(newUserPage, w)
  await editorA.click()
  await a.page.keyboard.type('Intro line.')
  await a.page.keyboard.press('Enter')
  await a.page.keyboard.type('The quick fox jumps.')
  await expect(editorB).toContainText('The quick fox jumps.')
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await a.page.getByRole('button', { name: 'History' }).click()
  const dialog = a.page.getByRole('dialog', { name: 'Version history' })
  await dialog.getByLabel('Version name').fill('First draft')
  await dialog.getByRole('button', { name: 'Save version' }).click()
  await expect(dialog.getByRole('button', { name: 'First draft' })).toBeVisible()
  await dialog.getByRole('button', { name: 'Close' }).click()

  // Bob adds a paragraph at the end; Alice turns the fox into a cat.
  // (To the document's end by the keyboard: where a click lands is not certain while the
  // editor is still taking in Alice's text.)
  await editorB.click()
  await expect(editorB).toBeFocused()
  // Until the caret is there: a key pressed while the editor still settles can be lost.
  await expect(async () => {
    await b.page.keyboard.press('Control+End')
    expect(await editorB.evaluate(caretAtEnd)).toBe(true)
  }).toPass()
  await b.page.keyboard.press('Enter')
  await b.page.keyboard.type('A new paragraph.')
  await expect(editorA).toContainText('A new paragraph.')
  await editorA.locator('p', { hasText: 'The quick fox' }).click()
  await a.page.keyboard.press('End')
  for (let i = 0; i < ' jumps.'.length; i++) await a.page.keyboard.press('ArrowLeft')
  for (let i = 0; i < 'fox'.length; i++) await a.page.keyboard.press('Shift+ArrowLeft')
  await a.page.keyboard.type('cat')
  await expect(editorB).toContainText('The quick cat')
  for (const p of [a.page, b.page]) await expect(p.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')

  // Both leave: the session ends, and its snapshot appears.
  await b.page.goto(`/o/${w.org}`)
  await a.page.goto(`/o/${w.org}`)
  // Back only once it is taken: with the document open again the session would go on.
  await expect.poll(async () => {
    const listed = await server.call('GET', `/api/v1/docs/${w.doc}/versions`, { token: w.owner.token }, 200)
    return (listed.json.items as Array<{ kind: string }>).filter((v) => v.kind === 'auto').length
  }, { timeout: 15000 }).toBe(1)
  await a.page.goto(url)
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  const history = await historyWithSnapshot(a.page)
  const snapshot = history.locator('[data-testid="version-row"][data-kind="auto"]')
  await expect(snapshot).toContainText(w.owner.name)
  await expect(snapshot).toContainText(bob.name)
  await expect(history.locator('[data-testid="version-row"][data-kind="named"]')).toContainText('First draft')

  // Compare the named version with the snapshot.
  await history.locator('[data-testid="version-row"][data-kind="named"]').getByRole('checkbox').check()
  await snapshot.getByRole('checkbox').check()
  const diff = history.getByTestId('version-diff')
  await expect(diff.locator('ins', { hasText: 'cat' })).toBeVisible()
  await expect(diff.locator('del', { hasText: 'fox' })).toBeVisible()
  await expect(diff.locator('[data-op="insert"]')).toContainText('A new paragraph.')
  // Not by colour alone: struck through, underlined, and said in words.
  expect(await diff.locator('del').first().evaluate((el) => getComputedStyle(el).textDecorationLine)).toContain('line-through')
  expect(await diff.locator('ins').first().evaluate((el) => getComputedStyle(el).textDecorationLine)).toContain('underline')
  await expect(diff.locator('del').first()).toContainText('[deleted:')
  await shot(a.page, 'doc-history-diff')

  // One version against the current document: nothing changed since the snapshot.
  await history.locator('[data-testid="version-row"][data-kind="named"]').getByRole('checkbox').uncheck()
  await expect(diff).toContainText('No differences.')

  // WCAG AA with the diff open, in both themes.
  for (const theme of ['light', 'dark']) {
    await a.page.evaluate((t) => localStorage.setItem('atrium.theme', t), theme)
    await a.page.reload()
    await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
    const again = await historyWithSnapshot(a.page)
    await again.locator('[data-testid="version-row"][data-kind="named"]').getByRole('checkbox').check()
    await expect(again.getByTestId('version-diff')).toContainText('A new paragraph.')
    expect(await violations(a.page), `${theme} history with a diff`).toEqual([])
    await shot(a.page, `doc-history-${theme}`)
  }
  await a.page.evaluate(() => localStorage.setItem('atrium.theme', 'light'))
})
