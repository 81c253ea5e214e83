import fs from 'node:fs'
import { randomBytes } from 'node:crypto'
import { test, expect } from './fixtures'
import { slowLink } from './slow_link'

test('a file uploaded by one person appears for another and downloads identical', async ({ server, newUserPage, shot }, testInfo) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const url = `/o/${w.org}/p/${w.project}/files`
  const a = await newUserPage(w.owner, url)
  const b = await newUserPage(w.users.bob, url)
  await expect(b.page.getByText('No files yet')).toBeVisible()

  const bytes = randomBytes(300 * 1024)
  await a.page.getByTestId('file-input').setInputFiles({ name: 'report.bin', mimeType: 'application/octet-stream', buffer: bytes })
  await expect(a.page.getByTestId('file-list')).toContainText('report.bin')
  await shot(a.page, 'uploaded')

  // The other person's list picks it up without a reload.
  const row = b.page.locator('[data-file="report.bin"]')
  await expect(row).toBeVisible({ timeout: 15_000 })
  const [download] = await Promise.all([
    b.page.waitForEvent('download'),
    row.getByRole('link', { name: 'Download report.bin' }).click()
  ])
  const saved = testInfo.outputPath('report.bin')
  await download.saveAs(saved)
  expect(Buffer.compare(fs.readFileSync(saved), bytes)).toBe(0)
  await shot(b.page, 'listed')
})

test('an image upload shows a preview', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const a = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/files`)
  // A 2×2 red PNG.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64')
  await a.page.getByTestId('file-input').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: png })
  const row = a.page.locator('[data-file="dot.png"]')
  await expect(row.locator('img')).toBeVisible()
  await row.getByRole('button', { name: 'dot.png', exact: true }).click()
  await expect(a.page.getByRole('dialog').locator('img.preview-image')).toBeVisible()
  await shot(a.page, 'preview')
  await a.page.getByRole('dialog').getByRole('button', { name: 'Close' }).click()

  // A second version, then the trash and back.
  await row.getByRole('button', { name: 'Versions' }).click()
  const versions = a.page.getByRole('dialog', { name: 'Versions of dot.png' })
  const chooser = a.page.waitForEvent('filechooser')
  await versions.getByRole('button', { name: 'Upload a new version' }).click()
  await (await chooser).setFiles({ name: 'dot.png', mimeType: 'image/png', buffer: png })
  await expect(versions.locator('.list-row')).toHaveCount(2)
  await versions.getByRole('button', { name: 'Close' }).click()
  await row.getByRole('button', { name: 'Move dot.png to the trash' }).click()
  await expect(a.page.getByText('No files yet')).toBeVisible()
  await a.page.getByRole('button', { name: 'Trash' }).click()
  await a.page.locator('[data-file="dot.png"]').getByRole('button', { name: 'Restore' }).click()
  await a.page.getByRole('button', { name: 'Back to files' }).click()
  await expect(a.page.locator('[data-file="dot.png"]')).toBeVisible()
})

test('drag and drop to upload; a slow upload shows progress and can be cancelled', async ({ server, newUserPage }) => {
  const w = await server.world()
  // The browser reaches the server over a slow uplink, so the big upload is still in flight
  // (the server holds part of its body) when it is cancelled.
  const link = await slowLink(server.url, 256 * 1024)
  try {
    const a = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/files`, { baseURL: link.url })
    await expect(a.page.getByText('No files yet')).toBeVisible()
    const dt = await a.page.evaluateHandle(() => {
      const d = new DataTransfer()
      d.items.add(new File(['dropped content'], 'dropped.txt', { type: 'text/plain' }))
      return d
    })
    await a.page.dispatchEvent('.files-page', 'dragover', { dataTransfer: dt })
    await a.page.dispatchEvent('.files-page', 'drop', { dataTransfer: dt })
    await expect(a.page.locator('[data-file="dropped.txt"]')).toBeVisible()

    await a.page.getByTestId('file-input').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(8 * 1024 * 1024, 7) })
    const progress = a.page.getByRole('progressbar', { name: 'Uploading big.bin' })
    await expect(progress).toBeVisible()
    await expect.poll(async () => Number(await progress.getAttribute('value'))).toBeGreaterThan(0)
    await a.page.locator('.upload-row').getByRole('button', { name: 'Cancel' }).click()
    await expect(progress).toBeHidden()
    // Were the request still alive, an open link would now finish it before the next upload.
    link.setRate(Infinity)
    await a.page.getByTestId('file-input').setInputFiles({ name: 'after.txt', mimeType: 'text/plain', buffer: Buffer.from('after the cancel') })
    await expect(a.page.locator('[data-file="after.txt"]')).toBeVisible()
    await a.page.reload()
    await expect(a.page.locator('[data-file="dropped.txt"]')).toBeVisible()
    await expect(a.page.locator('[data-file="big.bin"]')).toHaveCount(0)
    const names = (await server.call('GET', `/api/v1/projects/${w.project}/files`, { token: w.owner.token })).json.items.map((f: any) => f.name)
    expect(names.sort()).toEqual(['after.txt', 'dropped.txt'])
  } finally {
    await link.close()
  }
})

test('a file uploaded again under its name becomes its new version, and a text file shows a preview', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const a = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/files`)
  await a.page.getByTestId('file-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('first line of the notes\n') })
  const row = a.page.locator('[data-file="notes.txt"]')
  await expect(row).toBeVisible()

  await a.page.getByTestId('file-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('second draft of the notes\n') })
  const ask = a.page.getByRole('dialog', { name: 'notes.txt is already here' })
  await expect(ask).toContainText('version 2')
  await shot(a.page, 'same-name')
  await ask.getByRole('button', { name: 'Upload a new version' }).click()
  await expect(a.page.locator('.toast', { hasText: 'Uploaded notes.txt as version 2' })).toBeVisible()
  await expect(a.page.locator('[data-file="notes.txt"]')).toHaveCount(1)
  const listed = (await server.call('GET', `/api/v1/projects/${w.project}/files`, { token: w.owner.token })).json.items
  expect(listed.filter((f: any) => f.name === 'notes.txt')).toHaveLength(1)

  // Keeping both is a choice too.
  await a.page.getByTestId('file-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('a separate copy\n') })
  await ask.getByRole('button', { name: 'Keep both' }).click()
  await expect(a.page.locator('[data-file="notes.txt"]')).toHaveCount(2)

  // The preview shows the text of the current version.
  const versioned = listed.find((f: any) => f.name === 'notes.txt')
  await a.page.goto(`/o/${w.org}/p/${w.project}/files?f=${versioned.id}`)
  await expect(a.page.getByTestId('text-preview')).toHaveText('second draft of the notes\n')
  await shot(a.page, 'text-preview')
})

/** A one-page PDF that says `text` (cross-reference offsets computed, so viewers accept it). */
function onePagePdf (text: string): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    (() => { const s = `BT /F1 18 Tf 24 72 Td (${text}) Tj ET`; return `<< /Length ${s.length} >>\nstream\n${s}\nendstream` })(),
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'
  ]
  let pdf = '%PDF-1.4\n'
  const offsets = objects.map((body, i) => { const at = pdf.length; pdf += `${i + 1} 0 obj\n${body}\nendobj\n`; return at })
  const xref = pdf.length
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(pdf, 'latin1')
}

test('a PDF shows in the preview (framed by the app, not blocked)', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const a = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/files`)
  await a.page.getByTestId('file-input').setInputFiles({ name: 'brief.pdf', mimeType: 'application/pdf', buffer: onePagePdf('Project brief') })
  const row = a.page.locator('[data-file="brief.pdf"]')
  await expect(row).toBeVisible()
  await row.getByRole('button', { name: 'brief.pdf', exact: true }).click()
  await expect(a.page.getByTestId('pdf-preview')).toBeVisible()
  // A frame the browser refused (X-Frame-Options, frame-ancestors, a sandboxed viewer) holds an
  // error page instead of the PDF.
  await expect.poll(async () => {
    const frame = a.page.frames().find((f) => f.url().includes('/api/v1/files/') && f.url().endsWith('/content'))
    return frame ? await frame.evaluate(() => document.contentType).catch(() => 'not loaded') : 'no frame'
  }).toBe('application/pdf')
  await shot(a.page, 'pdf-preview')
})
