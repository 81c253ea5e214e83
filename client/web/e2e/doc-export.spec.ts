import fs from 'node:fs'
import { test, expect } from './fixtures'
import { violations } from './axe'

test('a document is exported, imported and shared at a public link that a logged-out reader opens until it is revoked', async ({ server, newUserPage, shot, browser }) => {
  const w = await server.world({ title: 'Launch plan' })
  const docUrl = `/o/${w.org}/p/${w.project}/docs/${w.doc}`
  // axe is injected as an inline script, which the server's CSP (rightly) forbids.
  const { page } = await newUserPage(w.owner, docUrl, { bypassCSP: true })
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  const editor = page.locator('.ProseMirror')
  await editor.click()
  await page.keyboard.type('## Owners')
  await page.keyboard.press('Enter')
  await page.keyboard.type('- Alpha item')
  await page.keyboard.press('Enter')
  await page.keyboard.type('Beta item')
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect.poll(async () => (await server.call('GET', `/api/v1/docs/${w.doc}/content?format=markdown`, { token: w.owner.token })).text)
    .toContain('- Beta item')

  // Export: each format downloads, named after the title, with the content.
  const exportAs = async (label: string) => {
    await page.getByText('Export', { exact: true }).click()
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: label }).click()])
    return { name: download.suggestedFilename(), bytes: fs.readFileSync((await download.path())!) }
  }
  const md = await exportAs('Markdown (.md)')
  expect(md.name).toBe('Launch plan.md')
  expect(md.bytes.toString('utf8')).toContain('## Owners\n\n- Alpha item\n- Beta item')
  const html = await exportAs('Web page (.html)')
  expect(html.name).toBe('Launch plan.html')
  expect(html.bytes.toString('utf8')).toMatch(/<h3>Owners<\/h3>[\s\S]*<li><p>Alpha item<\/p><\/li>/)
  const pdf = await exportAs('PDF (.pdf)')
  expect(pdf.name).toBe('Launch plan.pdf')
  expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')

  // Share publicly: off until the organisation opts in; the dialog says why, in both themes.
  await page.getByRole('button', { name: 'Share publicly' }).click()
  const dialog = page.getByRole('dialog')
  await expect(dialog.getByTestId('share-disabled')).toBeVisible()
  await expect(dialog.getByRole('button', { name: 'Create link' })).toBeDisabled()
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme)
    expect(await violations(page), `${theme} share dialog (disabled)`).toEqual([])
  }
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'))
  await dialog.getByRole('button', { name: 'Done' }).click()

  await page.goto(`/o/${w.org}/settings`)
  const sharing = page.getByTestId('doc-sharing')
  await sharing.getByLabel('Allow public read-only links to documents').check()
  await expect(page.getByText('Public document links turned on')).toBeVisible()

  await page.goto(docUrl)
  await page.getByRole('button', { name: 'Share publicly' }).click()
  await dialog.getByLabel('Link expires').selectOption('7')
  await dialog.getByRole('button', { name: 'Create link' }).click()
  const url = await dialog.getByTestId('public-url').inputValue()
  expect(url).toMatch(/\/api\/v1\/public\/docs\/[A-Za-z0-9_-]{43}$/)
  await expect(dialog.getByRole('button', { name: 'Revoke link' })).toBeVisible()
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme)
    expect(await violations(page), `${theme} share dialog (link)`).toEqual([])
  }
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'))
  await shot(page, 'doc-share-dialog')

  // A fresh, logged-out browser reads the document at the link.
  const anonymous = await browser.newContext()
  const reader = await anonymous.newPage()
  const opened = await reader.goto(url)
  expect(opened?.status()).toBe(200)
  await expect(reader.getByRole('heading', { name: 'Launch plan', level: 1 })).toBeVisible()
  await expect(reader.getByRole('heading', { name: 'Owners' })).toBeVisible()
  await expect(reader.getByText('Beta item')).toBeVisible()
  await shot(reader, 'doc-public-page')

  // Revoked (through the app's own confirmation): the link finds nothing.
  await dialog.getByRole('button', { name: 'Revoke link' }).click()
  await page.getByRole('dialog', { name: 'Revoke the public link?' }).getByRole('button', { name: 'Revoke' }).click()
  await expect(page.getByText('Public link revoked')).toBeVisible()
  expect((await reader.goto(url))?.status()).toBe(404)
  await anonymous.close()

  // Import: a Markdown file becomes a document that opens; a file of another kind says why.
  await page.goto(`/o/${w.org}/p/${w.project}/docs`)
  const input = page.getByTestId('import-input')
  await input.setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') })
  await expect(page.getByRole('alert')).toContainText('notes.png: import takes a Markdown (.md) or Word (.docx) file')
  await input.setInputFiles({ name: 'trip.md', mimeType: 'text/markdown', buffer: Buffer.from('# Trip notes\n\n- [x] Tent\n- [ ] Stove\n\n| Day | Km |\n|---|---|\n| Mon | 12 |\n') })
  await expect(page).toHaveURL(/\/docs\/[^/]+$/)
  await expect(page.locator('.doc-title')).toContainText('Trip notes')
  await expect(page.locator('.ProseMirror')).toContainText('Stove')
  await expect(page.locator('.ProseMirror table')).toContainText('Mon')
})
