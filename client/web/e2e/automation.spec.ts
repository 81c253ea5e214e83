import { test, expect } from './fixtures'
import { violations } from './axe'

test('an admin automates in Settings → Automation: an e-mail template with its preview, a rule made in the editor (a bad cron refused at its field), its dry run, and its run log when a task is moved to Done', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { mo: 'editor', pat: 'manager' } })
  const token = w.owner.token
  const board = (await server.call('POST', `/api/v1/projects/${w.project}/boards`, { token, json: { name: 'Sprint', columns: [{ name: 'To do' }, { name: 'Done', category: 'done' }] } }, 201)).json
  const done = board.columns.find((c: any) => c.name === 'Done').id as string
  const task = (await server.call('POST', `/api/v1/boards/${board.id}/tasks`, { token, json: { title: 'Fix login' } }, 201)).json
  const general = (await server.call('POST', `/api/v1/projects/${w.project}/channels`, { token, json: { name: 'general' } }, 201)).json

  // axe is injected as an inline script, which the server's CSP (rightly) forbids.
  const { page } = await newUserPage(w.owner, `/o/${w.org}`, { bypassCSP: true })
  await page.getByRole('link', { name: 'Automation' }).click()
  await expect(page.getByRole('heading', { name: 'Automation', level: 1 })).toBeVisible()
  await expect(page.getByText('No rules yet')).toBeVisible()
  await expect(page.getByText('No e-mail templates yet')).toBeVisible()

  // An e-mail template: created, then previewed by the server over a sample value.
  await page.getByRole('button', { name: 'New template' }).click()
  let dialog = page.getByRole('dialog', { name: 'New e-mail template' })
  await dialog.getByLabel('Name').fill('task-done')
  await dialog.getByLabel('Subject').fill('Done: {{title}}')
  await dialog.getByLabel('Body').fill('The task {{title}} is finished.')
  await dialog.getByRole('button', { name: 'Create template' }).click()
  dialog = page.getByRole('dialog', { name: 'E-mail template task-done' })
  await dialog.getByLabel('title', { exact: true }).fill('Fix login')
  await expect(dialog.getByTestId('preview-subject')).toHaveText('Done: Fix login')
  await expect(dialog.getByTestId('preview-body')).toHaveText('The task Fix login is finished.')
  await dialog.getByRole('button', { name: 'Close', exact: true }).first().click()
  await expect(dialog).toHaveCount(0)
  await expect(page.getByTestId('template')).toContainText('task-done')
  const templates = (await server.call('GET', `/api/v1/orgs/${w.org}/email-templates`, { token })).json.items
  expect(templates.map((t: any) => [t.name, t.subject])).toEqual([['task-done', 'Done: {{title}}']])

  // The rule editor: a schedule is read in words; a bad one is the server's 422 at its field,
  // and nothing is made.
  await page.getByRole('button', { name: 'New rule' }).click()
  dialog = page.getByRole('dialog', { name: 'New rule' })
  await dialog.getByLabel('Name', { exact: true }).fill('Announce finished tasks')
  await dialog.getByLabel('On a schedule').check()
  const cron = dialog.getByLabel(/^Schedule/)
  await cron.fill('0 9 * * MON')
  await expect(dialog.locator('#f-trigger-schedule-hint')).toHaveText('Every Monday at 09:00')
  await cron.fill('every monday')
  await dialog.getByRole('button', { name: 'Create rule' }).click()
  await expect(dialog.locator('#f-trigger-schedule-err')).toBeVisible()
  await expect(cron).toBeFocused()
  await expect(cron).toHaveAttribute('aria-invalid', 'true')
  expect((await server.call('GET', `/api/v1/orgs/${w.org}/automations`, { token })).json.items).toEqual([])

  // When a task is updated, its status changed and its category is done (moved into a Done
  // column) → post to #general. (`category changed_to done` would say it in one condition, but
  // the server records a move as a change of `status` only, so it never holds.)
  await dialog.getByLabel('On an event').check()
  await dialog.getByLabel('When', { exact: true }).selectOption('task')
  await dialog.getByLabel('Happens').selectOption('updated')
  await expect(dialog.getByTestId('trigger-words')).toContainText('When a task is updated')
  await dialog.getByRole('button', { name: 'Add condition' }).click()
  const status = dialog.getByTestId('condition').nth(0)
  await status.getByLabel('Field', { exact: true }).fill('status')
  await status.getByLabel('Comparison').selectOption('changed')
  await expect(status.getByLabel('Value')).toHaveCount(0)
  await dialog.getByRole('button', { name: 'Add condition' }).click()
  const category = dialog.getByTestId('condition').nth(1)
  await category.getByLabel('Field', { exact: true }).fill('category')
  await category.getByLabel('Comparison').selectOption('eq')
  await category.getByLabel('Value').fill('done')
  const action = dialog.getByTestId('action')
  await expect(action.getByLabel('Action 1', { exact: true })).toHaveValue('post_message')
  await action.getByLabel('Channel').selectOption(general.id)
  await action.getByLabel('Message').fill('Done: {{title}}')
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'the rule editor').toEqual([])
  await shot(page, 'rule-editor')
  await dialog.getByRole('button', { name: 'Create rule' }).click()
  await expect(dialog).toHaveCount(0)
  const row = page.getByTestId('rule')
  await expect(row).toContainText('Announce finished tasks')
  await expect(row.getByTestId('rule-trigger')).toContainText('When a task is updated · 2 conditions · 1 action · whole organisation')
  await expect(row.getByRole('switch', { name: 'Announce finished tasks: Active' })).toBeChecked()
  const rules = (await server.call('GET', `/api/v1/orgs/${w.org}/automations`, { token })).json.items
  expect(rules.length).toBe(1)
  expect(rules[0]).toMatchObject({
    name: 'Announce finished tasks',
    trigger: { event: 'task.updated' },
    conditions: [{ field: 'status', op: 'changed', value: null }, { field: 'category', op: 'eq', value: 'done' }],
    actions: [{ type: 'post_message', channel: general.id, text: 'Done: {{title}}' }],
    active: true
  })

  // The dry run replays the latest events (the task's creation among them) and changes nothing.
  await row.getByRole('button', { name: 'Dry run' }).click()
  dialog = page.getByRole('dialog', { name: 'Dry run: Announce finished tasks' })
  await dialog.getByRole('button', { name: 'Run' }).click()
  const result = dialog.getByTestId('dry-run-result')
  await expect(result.getByRole('status')).toContainText('Nothing was changed')
  await expect(result.getByTestId('dry-run-event').filter({ hasText: 'task.created' }).first()).toContainText('No match')
  await shot(page, 'dry-run')
  await dialog.getByRole('button', { name: 'Close', exact: true }).last().click()
  await expect(dialog).toHaveCount(0)

  // The run log: empty, then the run of the task moved to Done shows by itself (the rule runs
  // from the change feed; the open log looks again), with what it did.
  await row.getByRole('button', { name: 'Runs' }).click()
  await expect(row.getByText('No runs yet')).toBeVisible()
  await server.call('POST', `/api/v1/tasks/${task.id}/move`, { token, json: { column: done } })
  const run = row.getByTestId('run')
  await expect(run).toHaveCount(1, { timeout: 20_000 })
  await expect(run).toContainText('task.updated')
  await expect(run.getByTestId('run-outcome')).toHaveText('Done', { timeout: 20_000 })
  await expect(run).toContainText('Done: Fix login')
  const posted = (await server.call('GET', `/api/v1/channels/${general.id}/messages`, { token })).json.items
  expect(posted.map((m: any) => m.text)).toContain('Done: Fix login')
  await page.waitForLoadState('networkidle')
  expect(await violations(page), 'the rules with a run log').toEqual([])
  await shot(page, 'run-log')

  // Paused from the list.
  await row.getByRole('switch', { name: 'Announce finished tasks: Active' }).uncheck()
  await expect.poll(async () => (await server.call('GET', `/api/v1/automations/${rules[0].id}`, { token })).json.active).toBe(false)

  // A weekly rule in Berlin time that notifies the admins, listed in words.
  await page.getByRole('button', { name: 'New rule' }).click()
  dialog = page.getByRole('dialog', { name: 'New rule' })
  await dialog.getByLabel('Name', { exact: true }).fill('Weekly reminder')
  await dialog.getByLabel('On a schedule').check()
  await dialog.getByLabel(/^Schedule/).fill('0 9 * * MON')
  await dialog.getByLabel('Time zone').selectOption('Europe/Berlin')
  const notify = dialog.getByTestId('action')
  await notify.getByLabel('Action 1', { exact: true }).selectOption('notify')
  await notify.getByRole('group', { name: 'Everyone with the role' }).getByLabel('admin', { exact: true }).check()
  await notify.getByLabel('Notification').fill('Plan the week')
  await dialog.getByRole('button', { name: 'Create rule' }).click()
  await expect(dialog).toHaveCount(0)
  await expect(page.getByTestId('rule').filter({ hasText: 'Weekly reminder' }).getByTestId('rule-trigger')).toContainText('Every Monday at 09:00 (Europe/Berlin) · 1 action')
  const weekly = (await server.call('GET', `/api/v1/orgs/${w.org}/automations`, { token })).json.items.find((r: any) => r.name === 'Weekly reminder')
  expect(weekly).toMatchObject({ trigger: { schedule: '0 9 * * MON', timezone: 'Europe/Berlin' }, actions: [{ type: 'notify', users: [], roles: ['admin'], text: 'Plan the week' }] })

  // A project editor is neither an org admin nor a project manager: no Automation link.
  const mo = await newUserPage(w.users.mo, `/o/${w.org}`)
  await expect(mo.page.getByRole('link', { name: 'Projects' })).toBeVisible()
  await expect(mo.page.getByRole('link', { name: 'Automation' })).toHaveCount(0)
  await mo.page.goto(`/o/${w.org}/settings/automation`)
  await expect(mo.page.getByText('Only the organisation’s owners and admins, and project managers, set up automation')).toBeVisible()
  await expect(mo.page.getByRole('button', { name: 'New rule' })).toHaveCount(0)

  // A project manager makes rules of their project only, and does not see the templates.
  const pat = await newUserPage(w.users.pat, `/o/${w.org}`)
  await pat.page.getByRole('link', { name: 'Automation' }).click()
  await expect(pat.page.getByText('No rules yet')).toBeVisible()
  await expect(pat.page.getByRole('heading', { name: 'E-mail templates' })).toHaveCount(0)
  await pat.page.getByRole('button', { name: 'New rule' }).click()
  const patDialog = pat.page.getByRole('dialog', { name: 'New rule' })
  await patDialog.getByLabel('Name', { exact: true }).fill('Greet new tasks')
  const scope = patDialog.getByLabel('Scope')
  await expect(scope.locator('option')).toHaveCount(1)
  await expect(scope).toHaveValue(w.project)
  await patDialog.getByLabel('Happens').selectOption('created')
  await patDialog.getByTestId('action').getByLabel('Message').fill('New: {{title}}')
  await patDialog.getByRole('button', { name: 'Create rule' }).click()
  await expect(patDialog).toHaveCount(0)
  await expect(pat.page.getByTestId('rule').getByTestId('rule-trigger')).toContainText('When a task is created · 1 action · project')
  const projectRules = (await server.call('GET', `/api/v1/orgs/${w.org}/automations?project=${w.project}`, { token: w.users.pat.token })).json.items
  expect(projectRules.map((r: any) => [r.name, r.project])).toEqual([['Greet new tasks', w.project]])

  // The template is deleted after confirming.
  await page.getByRole('button', { name: 'Delete template task-done' }).click()
  await page.getByRole('dialog', { name: 'Delete this e-mail template?' }).getByRole('button', { name: 'Delete template' }).click()
  await expect(page.getByText('No e-mail templates yet')).toBeVisible()
  expect((await server.call('GET', `/api/v1/orgs/${w.org}/email-templates`, { token })).json.items).toEqual([])
})
