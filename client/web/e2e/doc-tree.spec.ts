import type { Page } from '@playwright/test'
import { test, expect } from './fixtures'
import { violations } from './axe'

/** The tree as shown: each visible page's title, indented two spaces per level. */
async function outline (page: Page): Promise<string[]> {
  return await page.locator('[data-testid="doc-tree-item"]').evaluateAll((items) => items.map((li) => {
    let depth = 0
    for (let el = li.parentElement; el; el = el.parentElement) if (el.classList.contains('doc-tree-group')) depth++
    const link = li.querySelector(':scope > [data-testid="doc-row"] a')
    return '  '.repeat(depth) + (link?.textContent ?? '').trim()
  }))
}

const row = (page: Page, title: string) => page.locator('[data-testid="doc-row"]').filter({ has: page.getByRole('link', { name: title, exact: true }) })

/** Drags the row of `from` onto the row of `to`: into its middle (nest), or its upper or lower edge (reorder). */
async function drag (page: Page, from: string, to: string, where: 'before' | 'inside' | 'after') {
  const a = (await row(page, from).boundingBox())!
  const b = (await row(page, to).boundingBox())!
  const y = where === 'before' ? b.y + 4 : where === 'after' ? b.y + b.height - 4 : b.y + b.height / 2
  // Pick the row up by its left edge (not its link), and move as a person would.
  await page.mouse.move(a.x + 6, a.y + a.height / 2)
  await page.mouse.down()
  await page.mouse.move(a.x + 18, a.y + a.height / 2 + 4, { steps: 4 })
  await page.mouse.move(b.x + b.width / 2, y, { steps: 12 })
  await page.mouse.up()
}

// Alice and Bob, each in a browser of their own, look at the project's documents. Alice nests
// a page by dragging it onto another, reorders by dragging onto a row's edge, then moves pages
// with Alt+arrow keys alone (each move announced); Bob's tree follows every move without a
// reload. Alice collapses and expands a branch and adds a sub-page, which Bob sees too, as he
// sees pages added and renamed elsewhere. The screen meets WCAG AA in both themes.
test('doc tree: nest and reorder by drag and keyboard; another member\'s tree follows live', async ({ server, newUserPage, shot }) => {
  test.slow()
  const w = await server.world({ members: { bob: 'editor' }, title: 'Notes' })
  for (const title of ['Guide', 'Intro', 'Setup']) {
    await server.call('POST', `/api/v1/projects/${w.project}/docs`, { token: w.owner.token, json: { title } }, 201)
  }
  const url = `/o/${w.org}/p/${w.project}/docs`
  const alice = (await newUserPage(w.owner, url, { bypassCSP: true })).page
  const bob = (await newUserPage(w.users.bob, url)).page
  const both = async (expected: string[]) => {
    for (const p of [alice, bob]) await expect.poll(() => outline(p)).toEqual(expected)
  }
  await both(['Notes', 'Guide', 'Intro', 'Setup'])

  // Drag: onto a row's middle nests the page, onto its upper edge puts it before.
  await drag(alice, 'Intro', 'Guide', 'inside')
  await both(['Notes', 'Guide', '  Intro', 'Setup'])
  await drag(alice, 'Setup', 'Guide', 'before')
  await both(['Notes', 'Setup', 'Guide', '  Intro'])

  // Keyboard: Alt+Left takes Intro out of Guide, Alt+Up moves it above Guide, Alt+Right nests
  // it under the page above (Setup); each move is spoken.
  const intro = alice.getByRole('link', { name: 'Intro', exact: true })
  await intro.focus()
  await alice.keyboard.press('Alt+ArrowLeft')
  await expect(alice.getByTestId('doc-tree-announcer')).toHaveText('Moved Intro: Top level, position 4 of 4.')
  await both(['Notes', 'Setup', 'Guide', 'Intro'])
  await expect(intro).toBeFocused()
  await alice.keyboard.press('Alt+ArrowUp')
  await expect(alice.getByTestId('doc-tree-announcer')).toHaveText('Moved Intro: Top level, position 3 of 4.')
  await both(['Notes', 'Setup', 'Intro', 'Guide'])
  await alice.keyboard.press('Alt+ArrowRight')
  await expect(alice.getByTestId('doc-tree-announcer')).toHaveText('Moved Intro: Inside Setup, position 1 of 1.')
  await both(['Notes', 'Setup', '  Intro', 'Guide'])
  await expect(intro).toBeFocused()
  await alice.keyboard.press('Alt+ArrowRight')
  await expect(alice.getByTestId('doc-tree-announcer')).toHaveText('Intro cannot go further that way.')

  // The server has the same tree.
  const items = (await server.call('GET', `/api/v1/projects/${w.project}/docs`, { token: w.owner.token })).json.items as Array<{ id: string, title: string, parent: string | null }>
  const id = (title: string) => items.find((d) => d.title === title)!.id
  expect(items.find((d) => d.title === 'Intro')!.parent).toBe(id('Setup'))

  // Collapse and expand a branch.
  await alice.getByRole('button', { name: 'Collapse Setup' }).click()
  await expect.poll(() => outline(alice)).toEqual(['Notes', 'Setup', 'Guide'])
  await alice.getByRole('button', { name: 'Expand Setup' }).click()
  await expect.poll(() => outline(alice)).toEqual(['Notes', 'Setup', '  Intro', 'Guide'])

  // Screens in both themes meet WCAG AA.
  for (const theme of ['light', 'dark']) {
    await alice.evaluate((t) => localStorage.setItem('atrium.theme', t), theme)
    await alice.goto(url)
    await expect.poll(() => outline(alice)).toEqual(['Notes', 'Setup', '  Intro', 'Guide'])
    await alice.waitForLoadState('networkidle')
    expect(await violations(alice), `${theme} page tree`).toEqual([])
    await shot(alice, `doc-tree-${theme}`)
  }
  await alice.evaluate(() => localStorage.setItem('atrium.theme', 'light'))

  // A sub-page: created under Guide, opened at once; Bob's tree shows it.
  await alice.getByRole('button', { name: 'New sub-page of Guide' }).click()
  await alice.getByLabel('Title').fill('Appendix')
  await alice.getByRole('button', { name: 'Create' }).click()
  await expect(alice).toHaveURL(/\/docs\/[^/]+$/)
  await expect.poll(() => outline(bob)).toEqual(['Notes', 'Setup', '  Intro', 'Guide', '  Appendix'])
  await shot(bob, 'doc-tree-live')

  // A page added or renamed elsewhere shows in Bob's tree at once too.
  const added = (await server.call('POST', `/api/v1/projects/${w.project}/docs`, { token: w.owner.token, json: { title: 'Changelog' } }, 201)).json.id as string
  await expect.poll(() => outline(bob)).toEqual(['Notes', 'Setup', '  Intro', 'Guide', '  Appendix', 'Changelog'])
  await server.call('PATCH', `/api/v1/docs/${added}`, { token: w.owner.token, json: { title: 'Release notes' } })
  await expect.poll(() => outline(bob)).toEqual(['Notes', 'Setup', '  Intro', 'Guide', '  Appendix', 'Release notes'])
})
