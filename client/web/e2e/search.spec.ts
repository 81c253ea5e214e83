import { test, expect } from './fixtures'
import { rand } from './harness'

test('search finds a word typed a moment before and opens the document', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ title: 'Field notes' })
  const url = `/o/${w.org}/p/${w.project}/docs/${w.doc}`
  const a = await newUserPage(w.owner, url)
  const word = `quokka${rand(3)}`
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await a.page.locator('.ProseMirror').click()
  await a.page.keyboard.type(`Spotted a ${word} near the river`)
  await expect(a.page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')

  await a.page.goto(`/o/${w.org}`)
  await expect(a.page.getByRole('heading', { name: 'Projects' })).toBeVisible()
  await a.page.keyboard.press('Control+K')
  const box = a.page.getByRole('dialog', { name: 'Search' }).getByLabel('Search')
  await expect(box).toBeFocused()
  // The index catches up within moments; type the word again until it is found.
  const hit = a.page.locator('.search-hit[data-kind="doc"]', { hasText: word })
  await expect(async () => {
    await box.fill('')
    await box.fill(word)
    await expect(hit).toBeVisible({ timeout: 1500 })
  }).toPass({ timeout: 30_000 })
  await expect(hit.locator('mark')).toHaveText(word)
  await shot(a.page, 'results')
  await box.press('Enter')
  await expect(a.page).toHaveURL(new RegExp(`/docs/${w.doc}$`))
  await expect(a.page.locator('.ProseMirror')).toContainText(word)

  // A chat message is found too, and opens at that message.
  const channel = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token: w.owner.token, json: { name: 'sightings' } }, 201)).json
  const other = `wombat${rand(3)}`
  await server.call('POST', `/api/v1/channels/${channel.id}/messages`, { token: w.owner.token, json: { text: `a ${other} at dusk` } }, 201)
  await a.page.keyboard.press('Escape')
  await a.page.locator('.search-button').click()
  const msgHit = a.page.locator('.search-hit[data-kind="message"]', { hasText: other })
  await expect(async () => {
    await box.fill('')
    await box.fill(other)
    await expect(msgHit).toBeVisible({ timeout: 1500 })
  }).toPass({ timeout: 30_000 })
  await msgHit.click()
  await expect(a.page).toHaveURL(new RegExp(`/chat/${channel.id}\\?m=`))
  await expect(a.page.locator('.msg.focused')).toContainText(`a ${other} at dusk`)
})
