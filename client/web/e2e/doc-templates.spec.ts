import { test, expect } from './fixtures'
import { violations } from './axe'

test('an admin makes a document template, a member starts documents from it and from a built-in, an admin saves a document as one', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ title: 'Kick-off', members: { member: 'editor' } })
  const member = w.users.member
  // axe is injected as an inline script, which the server's CSP (rightly) forbids.
  const { page: admin } = await newUserPage(w.owner, `/o/${w.org}/settings`, { bypassCSP: true })

  // Organisation settings → Document templates: the built-ins are there; a new one is made.
  const section = admin.getByTestId('doc-templates')
  await expect(section.getByText('Meeting notes')).toBeVisible()
  await section.getByRole('button', { name: 'New template' }).click()
  let dialog = admin.getByRole('dialog')
  await dialog.getByLabel('Name').fill('Incident review')
  await dialog.getByLabel('Description').fill('What happened, why, and what we change')
  await dialog.getByLabel('Content (Markdown)').fill('# Incident review\n\n## Timeline\n\n- Detected\n- Resolved\n\n## Follow-ups\n\n- [ ] Add an alert\n\n| Owner | Due |\n| --- | --- |\n| Ops | Friday |\n')
  for (const theme of ['light', 'dark']) {
    await admin.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme)
    expect(await violations(admin), `${theme} template form`).toEqual([])
  }
  await admin.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'))
  await dialog.getByRole('button', { name: 'Create template' }).click()
  await expect(admin.getByText('Template “Incident review” created')).toBeVisible()
  await expect(section.getByText('What happened, why, and what we change')).toBeVisible()

  // Edit it, and delete a throwaway one through the app's confirmation.
  await section.getByRole('button', { name: 'Edit template Incident review' }).click()
  dialog = admin.getByRole('dialog')
  await expect(dialog.getByLabel('Content (Markdown)')).toHaveValue(/## Timeline/)
  await dialog.getByLabel('Description').fill('What happened, why, and what we change next')
  await dialog.getByRole('button', { name: 'Save' }).click()
  await expect(section.getByText('What happened, why, and what we change next')).toBeVisible()
  await section.getByRole('button', { name: 'New template' }).click()
  await admin.getByRole('dialog').getByLabel('Name').fill('Scratch')
  await admin.getByRole('dialog').getByRole('button', { name: 'Create template' }).click()
  await section.getByRole('button', { name: 'Delete template Scratch' }).click()
  await admin.getByRole('dialog').getByRole('button', { name: 'Delete' }).click()
  await expect(section.getByText('Scratch')).toHaveCount(0)
  for (const theme of ['light', 'dark']) {
    await admin.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme)
    expect(await violations(admin), `${theme} templates section`).toEqual([])
  }
  await admin.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'))

  // A member starts a document from it: the picker lists Blank and the templates; arrow keys
  // choose; the title defaults to the template's name; the editor holds its content.
  const { page } = await newUserPage(member, `/o/${w.org}/p/${w.project}/docs`, { bypassCSP: true })
  await page.getByRole('button', { name: 'New document' }).click()
  dialog = page.getByRole('dialog')
  const picker = dialog.getByTestId('template-picker')
  await expect(picker.getByRole('radio', { name: /Blank/ })).toBeChecked()
  await expect(picker.getByText('What happened, why, and what we change next')).toBeVisible()
  await picker.getByRole('radio', { name: /Blank/ }).focus()
  await page.keyboard.press('ArrowDown')
  await expect(picker.getByRole('radio', { name: /Meeting notes/ })).toBeChecked()
  await picker.getByRole('radio', { name: /Incident review/ }).check()
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme)
    expect(await violations(page), `${theme} template picker`).toEqual([])
  }
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'))
  await shot(page, 'doc-template-picker')
  await dialog.getByRole('button', { name: 'Create' }).click()
  await expect(page.locator('h1.doc-title')).toContainText('Incident review')
  const editor = page.locator('.ProseMirror')
  await expect(editor.getByRole('heading', { name: 'Timeline' })).toBeVisible()
  await expect(editor.getByText('Add an alert').first()).toBeVisible()
  await expect(editor.locator('table')).toContainText('Friday')
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await expect(page.getByRole('button', { name: 'Save as template' })).toHaveCount(0)

  // The built-in "Meeting notes", with a title of the member's own.
  await page.goto(`/o/${w.org}/p/${w.project}/docs`)
  await page.getByRole('button', { name: 'New document' }).click()
  dialog = page.getByRole('dialog')
  await dialog.getByLabel('Title').fill('Weekly sync')
  await dialog.getByTestId('template-picker').getByRole('radio', { name: /Meeting notes/ }).check()
  await dialog.getByRole('button', { name: 'Create' }).click()
  await expect(page.locator('h1.doc-title')).toContainText('Weekly sync')
  await expect(page.locator('.ProseMirror').getByRole('heading', { name: 'Action items' })).toBeVisible()
  await expect(page.locator('.ProseMirror').getByText('Share these notes with everyone invited').first()).toBeVisible()

  // The admin saves a document as a template: it is offered from then on.
  await admin.goto(`/o/${w.org}/p/${w.project}/docs/${w.doc}`)
  await expect(admin.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await admin.locator('.ProseMirror').click()
  await admin.keyboard.type('## Goals')
  await admin.keyboard.press('Enter')
  await admin.keyboard.type('- Ship it')
  await expect(admin.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
  await admin.getByRole('button', { name: 'Save as template' }).click()
  dialog = admin.getByRole('dialog')
  await expect(dialog.getByLabel('Template name')).toHaveValue('Kick-off')
  await dialog.getByRole('button', { name: 'Save template' }).click()
  await expect(admin.getByText('Saved as the template “Kick-off”')).toBeVisible()
  const list = await server.call('GET', `/api/v1/orgs/${w.org}/doc-templates`, { token: member.token })
  const saved = (list.json.items as Array<{ id: string, name: string }>).find((t) => t.name === 'Kick-off')
  expect(saved).toBeTruthy()
  const full = await server.call('GET', `/api/v1/doc-templates/${encodeURIComponent(saved!.id)}`, { token: member.token })
  expect(full.json.markdown).toContain('## Goals\n\n- Ship it')
})
