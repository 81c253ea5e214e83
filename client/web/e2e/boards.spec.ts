import type { Locator, Page } from '@playwright/test'
import { test, expect } from './fixtures'
import type { TestServer, TestUser } from './harness'

/** A board with columns (WIP limits as given) and tasks created through the API, by title per column name. */
async function boardWith (server: TestServer, owner: TestUser, project: string, columns: { name: string, wip_limit?: number, category?: string }[], tasks: Record<string, string[]>) {
  const board = (await server.call('POST', `/api/v1/projects/${project}/boards`, { token: owner.token, json: { name: 'Sprint board', columns } }, 201)).json
  const ids: Record<string, string> = {}
  for (const [columnName, titles] of Object.entries(tasks)) {
    const column = board.columns.find((c: any) => c.name === columnName).id
    for (const title of titles) {
      ids[title] = (await server.call('POST', `/api/v1/boards/${board.id}/tasks`, { token: owner.token, json: { title, column } }, 201)).json.id
    }
  }
  const columnIds: Record<string, string> = {}
  for (const c of board.columns) columnIds[c.name] = c.id
  return { board: board.id as string, ids, columns: columnIds }
}

const cell = (page: Page, column: string) => page.locator(`[data-testid="board-cell"][data-column="${column}"]`)
const card = (scope: Page | Locator, title: string) => scope.getByRole('button', { name: new RegExp(title) })

/** Waits until no card is sliding (flip.ts): a box measured mid-slide is not where the card lands. */
async function settled (page: Page) {
  await page.waitForFunction(() => document.getAnimations().every(a => a.playState !== 'running' || !((a.effect as KeyframeEffect | null)?.target as Element | null)?.closest('[data-card]')))
}

/** Drags `from` onto `to` with the mouse in small steps, as a person would. */
async function drag (page: Page, from: Locator, to: Locator) {
  await settled(page)
  const a = (await from.boundingBox())!
  const b = (await to.boundingBox())!
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2)
  await page.mouse.down()
  await page.mouse.move(a.x + a.width / 2 + 12, a.y + a.height / 2 + 4, { steps: 4 })
  await page.mouse.move(b.x + b.width / 2, b.y + b.height - 12, { steps: 12 })
  await page.mouse.up()
}

/** The titles of a column's cards as the server has them, in order. */
async function serverColumn (server: TestServer, token: string, board: string, column: string): Promise<string[]> {
  const b = (await server.call('GET', `/api/v1/boards/${board}`, { token })).json
  return b.columns.find((c: any) => c.id === column).tasks.map((t: any) => t.title)
}

test('two people on one board: a card dragged by one moves for the other within a second', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const { board, columns } = await boardWith(server, w.owner, w.project, [{ name: 'To do' }, { name: 'In progress', wip_limit: 3 }, { name: 'Done' }], { 'To do': ['Write the brief', 'Draw the wireframes'], 'In progress': ['Set up the repo'] })
  const url = `/o/${w.org}/p/${w.project}/boards/${board}`
  const alice = await newUserPage(w.owner, url)
  const bob = await newUserPage(w.users.bob, url)
  await expect(card(cell(bob.page, columns['To do']), 'Draw the wireframes')).toBeVisible()
  await expect(alice.page.getByTestId('column-head').filter({ hasText: 'In progress' })).toContainText('1 / 3')

  await drag(alice.page, card(alice.page, 'Draw the wireframes'), cell(alice.page, columns['In progress']))
  const dropped = Date.now()
  await expect(card(cell(alice.page, columns['In progress']), 'Draw the wireframes')).toBeVisible()
  await expect(card(cell(bob.page, columns['In progress']), 'Draw the wireframes')).toBeVisible({ timeout: 1000 })
  expect(Date.now() - dropped).toBeLessThan(1000)
  await expect(card(cell(bob.page, columns['To do']), 'Draw the wireframes')).toHaveCount(0)
  await expect(bob.page.getByTestId('column-head').filter({ hasText: 'In progress' })).toContainText('2 / 3')
  expect(await serverColumn(server, w.owner.token, board, columns['In progress'])).toEqual(['Set up the repo', 'Draw the wireframes'])

  // A task Alice adds at the foot of a column appears for Bob.
  await alice.page.getByRole('button', { name: 'Add a task to Done' }).click()
  await alice.page.getByLabel('New task in Done').fill('Celebrate')
  await alice.page.getByLabel('New task in Done').press('Enter')
  await expect(card(cell(bob.page, columns.Done), 'Celebrate')).toBeVisible({ timeout: 1000 })

  // And back the other way, by Bob, into "To do".
  await drag(bob.page, card(bob.page, 'Set up the repo'), card(cell(bob.page, columns['To do']), 'Write the brief'))
  await expect(card(cell(alice.page, columns['To do']), 'Set up the repo')).toBeVisible({ timeout: 1000 })
  await expect.poll(() => serverColumn(server, w.owner.token, board, columns['To do'])).toEqual(['Write the brief', 'Set up the repo'])

  // Within a column: Alice drags the first card onto the upper half of the second one… which
  // is where it is; onto its lower half puts it last.
  const second = card(cell(alice.page, columns['To do']), 'Set up the repo')
  await expect(second).toBeVisible()
  await settled(alice.page)
  const box = (await second.boundingBox())!
  const first = (await card(alice.page, 'Write the brief').boundingBox())!
  await alice.page.mouse.move(first.x + first.width / 2, first.y + first.height / 2)
  await alice.page.mouse.down()
  await alice.page.mouse.move(first.x + first.width / 2 + 10, first.y + first.height / 2 + 10, { steps: 4 })
  await alice.page.mouse.move(box.x + box.width / 2, box.y + box.height - 6, { steps: 12 })
  await alice.page.mouse.up()
  await expect.poll(() => serverColumn(server, w.owner.token, board, columns['To do'])).toEqual(['Set up the repo', 'Write the brief'])
  await expect(cell(bob.page, columns['To do']).getByTestId('task-card').first()).toContainText('Set up the repo', { timeout: 1000 })
  await shot(alice.page, 'alice')
  await shot(bob.page, 'bob')
})

test('a card moves with the keyboard alone, and the move is announced', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const { board, columns } = await boardWith(server, w.owner, w.project, [{ name: 'To do' }, { name: 'Doing' }, { name: 'Done' }], { 'To do': ['First', 'Second', 'Third'], Doing: ['Busy'] })
  const { page } = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/boards/${board}`)
  const third = card(page, 'Third')
  await third.focus()
  await page.keyboard.press('Space')
  await expect(page.getByTestId('board-announcer')).toContainText('Picked up')
  await page.keyboard.press('ArrowUp')
  await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('board-announcer')).toContainText('Doing, position 2 of 2')
  await expect(card(page, 'Third')).toBeFocused()
  await page.keyboard.press('Space')
  await expect(page.getByTestId('board-announcer')).toContainText('dropped in Doing')
  await expect(card(cell(page, columns.Doing), 'Third')).toBeVisible()
  await expect.poll(() => serverColumn(server, w.owner.token, board, columns.Doing)).toEqual(['Busy', 'Third'])
  // Escape puts a picked-up card back where it was, and nothing is sent.
  await card(page, 'First').focus()
  await page.keyboard.press('Space')
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('board-announcer')).toContainText('Move cancelled')
  await expect(card(cell(page, columns['To do']), 'First')).toBeVisible()
  expect(await serverColumn(server, w.owner.token, board, columns['To do'])).toEqual(['First', 'Second'])
  // Enter opens the task.
  await card(page, 'Second').focus()
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('task-panel')).toContainText('Second')
  await shot(page, 'keyboard')
})

test('a move refused at the WIP limit rolls back with a message', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const { board, columns } = await boardWith(server, w.owner, w.project, [{ name: 'To do' }, { name: 'In progress', wip_limit: 1 }], { 'To do': ['Waiting task'], 'In progress': ['Busy task'] })
  const { page } = await newUserPage(w.users.bob, `/o/${w.org}/p/${w.project}/boards/${board}`)
  await expect(page.getByTestId('column-head').filter({ hasText: 'In progress' })).toContainText('1 / 1')
  await drag(page, card(page, 'Waiting task'), cell(page, columns['In progress']))
  await expect(page.getByTestId('move-error')).toContainText('WIP limit')
  await expect(page.getByTestId('move-error')).toContainText('In progress')
  await expect(card(cell(page, columns['To do']), 'Waiting task')).toBeVisible()
  await expect(card(cell(page, columns['In progress']), 'Waiting task')).toHaveCount(0)
  await expect(page.getByTestId('column-head').filter({ hasText: 'In progress' })).toContainText('1 / 1')
  expect(await serverColumn(server, w.owner.token, board, columns['To do'])).toEqual(['Waiting task'])
  // An editor is not offered to force it.
  await expect(page.getByRole('button', { name: 'Move anyway' })).toHaveCount(0)
  await shot(page, 'wip-refused')

  // A manager is, and forcing it goes through (the column then shows itself over its limit).
  const manager = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/boards/${board}`)
  await drag(manager.page, card(manager.page, 'Waiting task'), cell(manager.page, columns['In progress']))
  await manager.page.getByRole('button', { name: 'Move anyway' }).click()
  await expect(card(cell(manager.page, columns['In progress']), 'Waiting task')).toBeVisible()
  await expect(manager.page.getByTestId('column-head').filter({ hasText: 'In progress' })).toContainText('over the limit')
  await expect(card(cell(page, columns['In progress']), 'Waiting task')).toBeVisible()
  expect(await serverColumn(server, w.owner.token, board, columns['In progress'])).toEqual(['Busy task', 'Waiting task'])
  await shot(manager.page, 'wip-forced')
})

test('the task panel edits fields and logs time', async ({ server, newUserPage, shot }) => {
  const w = await server.world({ members: { bob: 'editor' } })
  const { board, ids } = await boardWith(server, w.owner, w.project, [{ name: 'To do' }, { name: 'Done' }], { 'To do': ['Polish the landing page'] })
  const { page } = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/boards/${board}`)
  await card(page, 'Polish the landing page').click()
  const panel = page.getByTestId('task-panel')
  await expect(panel).toContainText('Polish the landing page')
  await panel.getByLabel('Priority').selectOption('high')
  await expect(card(page, 'Polish the landing page')).toContainText('High')
  await panel.getByLabel('Labels').fill('web, design')
  await panel.getByLabel('Labels').press('Enter')
  await expect(card(page, 'Polish the landing page')).toContainText('design')
  await panel.getByLabel('Due').fill('2031-05-20')
  await panel.locator('summary', { hasText: 'Change' }).click()
  await panel.getByRole('checkbox', { name: w.users.bob.name }).click()
  await expect(panel.locator('.assignee')).toContainText(w.users.bob.name)
  // A bad estimate is refused beside the field.
  await panel.getByLabel('Estimate').fill('-5')
  await panel.getByLabel('Estimate').press('Enter')
  await expect(panel.locator('#tf-estimate-err')).toBeVisible()
  await panel.getByLabel('Estimate').fill('2h')
  await panel.getByLabel('Estimate').press('Enter')
  await expect(panel.locator('#tf-estimate-err')).toHaveCount(0)
  // A checklist item.
  await panel.getByLabel('New checklist item').fill('Check on a phone')
  await panel.getByLabel('New checklist item').press('Enter')
  await expect(panel.getByTestId('checklist')).toContainText('Check on a phone')
  // Time: an entry of an hour and a half.
  await panel.getByLabel('Time spent').fill('1:30')
  await panel.getByRole('button', { name: 'Log time' }).click()
  await expect(panel.getByTestId('time-entries')).toContainText('1:30')
  await expect(panel.getByTestId('time-spent')).toContainText('1:30 logged of 2:00 estimated')

  const task = (await server.call('GET', `/api/v1/tasks/${ids['Polish the landing page']}`, { token: w.owner.token })).json
  expect(task.priority).toBe('high')
  expect([...task.labels].sort()).toEqual(['design', 'web'])
  expect(task.due).toBe('2031-05-20')
  expect(task.assignees).toEqual([w.users.bob.id])
  expect(task.estimate).toBe(120)
  expect(task.checklist.map((c: any) => c.text)).toEqual(['Check on a phone'])
  expect(task.time_spent).toBe(90)
  const entries = (await server.call('GET', `/api/v1/tasks/${task.id}/time`, { token: w.owner.token })).json.items
  expect(entries.map((e: any) => e.minutes)).toEqual([90])
  await shot(page, 'task-panel')

  // The description is the task's live document; the discussion is a chat thread of its own.
  await panel.getByTestId('editor').locator('.ProseMirror').click()
  await page.keyboard.type('Hero copy first, then the footer.')
  await expect.poll(async () => (await server.request('GET', `/api/v1/docs/${task.description_doc}/content?format=text`, { token: w.owner.token })).text).toContain('Hero copy first')
  await panel.getByLabel('Comment on the task').fill(`@${w.users.bob.handle} can you review?`)
  await panel.getByLabel('Comment on the task').press('Enter')
  await expect(panel.getByTestId('discussion')).toContainText('can you review?')
  const talk = (await server.call('GET', `/api/v1/channels/${task.discussion_channel}/messages`, { token: w.users.bob.token })).json.items
  expect(talk.map((m: any) => m.mentions)).toEqual([[w.users.bob.id]])

  // The timer: started, then stopped into an entry.
  await panel.getByRole('button', { name: 'Start timer' }).click()
  await expect(panel.getByRole('timer')).toBeVisible()
  await panel.getByRole('button', { name: 'Stop timer' }).click()
  await expect(panel.getByRole('button', { name: 'Start timer' })).toBeVisible()
  expect((await server.call('GET', '/api/v1/me/timer', { token: w.owner.token })).json).toBeNull()

  // The week's timesheet has all of it (the entry and what the timer recorded), in the
  // task's row (key and title) under its project, and today's column.
  const spent = (await server.call('GET', `/api/v1/tasks/${task.id}`, { token: w.owner.token })).json.time_spent as number
  expect(spent).toBeGreaterThanOrEqual(90)
  const hm = `${Math.floor(spent / 60)}:${String(spent % 60).padStart(2, '0')}`
  await page.goto(`/o/${w.org}/timesheet`)
  const projectRow = page.getByTestId('timesheet').locator('tbody tr.timesheet-project')
  await expect(projectRow).toHaveCount(1)
  await expect(projectRow.locator('td').last()).toHaveText(hm)
  const row = page.getByTestId('timesheet').locator(`tbody tr.timesheet-task[data-task="${task.id}"]`)
  await expect(row.locator('th')).toHaveText(`${task.key} Polish the landing page`)
  await expect(row.locator('td').last()).toHaveText(hm)
  await expect(page.getByTestId('week-total')).toHaveText(hm)
  await page.getByRole('button', { name: 'Previous week' }).click()
  await expect(page.getByTestId('week-total')).toHaveText('0:00')
  await page.getByRole('button', { name: 'This week' }).click()
  await expect(page.getByTestId('week-total')).toHaveText(hm)
  await shot(page, 'timesheet')
})

test('the list view: filters saved as a view, bulk actions all or nothing with reasons per task', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const { board, ids } = await boardWith(server, w.owner, w.project, [{ name: 'To do' }, { name: 'Done', category: 'done' }], { 'To do': ['Parent task', 'Loose end'] })
  const child = (await server.call('POST', `/api/v1/boards/${board}/tasks`, { token: w.owner.token, json: { title: 'Child task', parent: ids['Parent task'] } }, 201)).json
  const { page } = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/tasks`)
  const table = page.getByTestId('task-table')
  await expect(table.locator('tbody tr')).toHaveCount(3)
  const row = (title: string) => table.locator('tbody tr', { hasText: title })

  // Closing a parent with an open subtask is refused for it, and the other task is left open too.
  await page.getByRole('checkbox', { name: /Select .*/ }).first().waitFor()
  await row('Parent task').getByRole('checkbox').check()
  await row('Loose end').getByRole('checkbox').check()
  await expect(page.getByTestId('bulk-bar')).toContainText('2 selected')
  await page.getByTestId('bulk-bar').getByRole('button', { name: 'Close' }).click()
  await expect(page.getByTestId('bulk-errors')).toContainText('Nothing was changed')
  await expect(page.getByTestId('bulk-errors')).toContainText('open_subtasks')
  await expect(row('Parent task')).toHaveClass(/row-error/)
  expect((await server.call('GET', `/api/v1/tasks/${ids['Loose end']}`, { token: w.owner.token })).json.closed_at).toBeNull()
  await shot(page, 'bulk-refused')
  await page.getByRole('button', { name: 'Close them anyway' }).click()
  await expect(page.getByTestId('bulk-errors')).toHaveCount(0)
  await expect.poll(async () => (await server.call('GET', `/api/v1/tasks/${ids['Loose end']}`, { token: w.owner.token })).json.closed_at).not.toBeNull()
  expect((await server.call('GET', `/api/v1/tasks/${ids['Parent task']}`, { token: w.owner.token })).json.closed_at).not.toBeNull()

  // Priority for one task, then a view of the high-priority ones, saved and applied again later.
  await row('Child task').getByRole('checkbox').check()
  await page.getByLabel('Set priority').selectOption('high')
  await expect(row('Child task')).toContainText('High')
  await page.getByLabel('Priority', { exact: true }).selectOption('high')
  await expect(table.locator('tbody tr')).toHaveCount(1)
  await page.getByRole('button', { name: 'Save view' }).click()
  const naming = page.getByRole('dialog', { name: 'Save this view' })
  await naming.getByLabel('Name of the view').fill('Urgent work')
  await naming.getByRole('button', { name: 'Save view' }).click()
  await expect(page.getByLabel('View', { exact: true })).toHaveValue(/.+/)
  await page.reload()
  await expect(table.locator('tbody tr')).toHaveCount(3)
  await page.getByLabel('View', { exact: true }).selectOption({ label: 'Urgent work' })
  await expect(table.locator('tbody tr')).toHaveCount(1)
  await expect(row('Child task')).toBeVisible()
  const views = (await server.call('GET', `/api/v1/projects/${w.project}/views`, { token: w.owner.token })).json.items
  expect(views.map((v: any) => [v.name, v.filters.priorities])).toEqual([['Urgent work', ['high']]])
  expect(child.key).toMatch(/-3$/)
  await shot(page, 'list')
})

test('swimlanes: a card dragged into another lane takes its priority; a task is added at a column\'s foot', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const b = (await server.call('POST', `/api/v1/projects/${w.project}/boards`, { token: w.owner.token, json: { name: 'Lanes', columns: [{ name: 'To do' }, { name: 'Doing' }], swimlanes: 'priority' } }, 201)).json
  const [todo, doing] = b.columns.map((c: any) => c.id)
  const hot = (await server.call('POST', `/api/v1/boards/${b.id}/tasks`, { token: w.owner.token, json: { title: 'Hot fix', priority: 'high' } }, 201)).json
  await server.call('POST', `/api/v1/boards/${b.id}/tasks`, { token: w.owner.token, json: { title: 'Someday', priority: 'low' } }, 201)
  const { page } = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/boards/${b.id}`)
  const laneCell = (column: string, lane: string) => page.locator(`[data-testid="board-cell"][data-column="${column}"][data-lane="${lane}"]`)
  await expect(page.getByRole('heading', { name: 'High' })).toBeVisible()
  await expect(card(laneCell(todo, 'high'), 'Hot fix')).toBeVisible()

  await drag(page, card(page, 'Hot fix'), laneCell(doing, 'low'))
  await expect(card(laneCell(doing, 'low'), 'Hot fix')).toBeVisible()
  await expect.poll(async () => (await server.call('GET', `/api/v1/tasks/${hot.id}`, { token: w.owner.token })).json.priority).toBe('low')
  const moved = (await server.call('GET', `/api/v1/tasks/${hot.id}`, { token: w.owner.token })).json
  expect(moved.status).toBe('Doing')

  await page.getByRole('button', { name: 'Add a task to To do' }).click()
  await page.getByLabel('New task in To do').fill('Fresh idea')
  await page.getByLabel('New task in To do').press('Enter')
  await expect(card(laneCell(todo, 'none'), 'Fresh idea')).toBeVisible()
  await expect(page.getByLabel('New task in To do')).toHaveValue('')
  expect(await serverColumn(server, w.owner.token, b.id, todo)).toEqual(['Someday', 'Fresh idea'])
  await shot(page, 'swimlanes')
})

test('dependencies: a blocker marks the card blocked, a cycle is refused with its reason; files attach', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const { board, ids } = await boardWith(server, w.owner, w.project, [{ name: 'To do' }, { name: 'Done', category: 'done' }], { 'To do': ['Ship the release', 'Fix the build'] })
  const { page } = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/boards/${board}?task=${ids['Ship the release']}`)
  const panel = page.getByTestId('task-panel')
  await panel.getByRole('button', { name: 'Add a blocker' }).click()
  await panel.getByLabel('Add a blocker').fill('build')
  await panel.getByRole('button', { name: /Fix the build/ }).click()
  await expect(panel.getByTestId('blocked-by')).toContainText('Fix the build')
  await expect(card(page, 'Ship the release').getByTestId('blocked')).toBeVisible()

  // The other way round would be a cycle: refused, and nothing changes.
  await page.goto(`/o/${w.org}/p/${w.project}/boards/${board}?task=${ids['Fix the build']}`)
  await expect(panel.getByTestId('blocks')).toContainText('Ship the release')
  await panel.getByRole('button', { name: 'Add a blocker' }).click()
  await panel.getByLabel('Add a blocker').fill('release')
  await panel.getByRole('button', { name: /Ship the release/ }).click()
  await expect(panel.getByTestId('blocked-by-error')).toBeVisible()
  expect((await server.call('GET', `/api/v1/tasks/${ids['Fix the build']}`, { token: w.owner.token })).json.blocked_by).toEqual([])

  // A file attached to the task, and downloadable from it.
  const chooser = page.waitForEvent('filechooser')
  await panel.getByRole('button', { name: 'Attach files to the task' }).click()
  await (await chooser).setFiles({ name: 'build-log.txt', mimeType: 'text/plain', buffer: Buffer.from('all green\n') })
  await expect(panel.getByTestId('attachments')).toContainText('build-log.txt')
  const attached = (await server.call('GET', `/api/v1/tasks/${ids['Fix the build']}`, { token: w.owner.token })).json.attachments
  expect(attached.map((a: any) => a.name)).toEqual(['build-log.txt'])
  const body = await server.call('GET', `/api/v1/files/${attached[0].id}/content`, { token: w.owner.token })
  expect(body.text).toBe('all green\n')

  // Closing the blocker clears the marker on the blocked card.
  await panel.getByLabel('Status').selectOption({ label: 'Done' })
  await expect(card(page, 'Ship the release').getByTestId('blocked')).toHaveCount(0)
  await shot(page, 'dependencies')
})

test('board settings: a WIP limit, swimlanes and a new column; boards are listed and created from the project', async ({ server, newUserPage, shot }) => {
  const w = await server.world()
  const { page } = await newUserPage(w.owner, `/o/${w.org}/p/${w.project}/boards`)
  await page.getByRole('button', { name: 'New board' }).click()
  const dialog = page.getByRole('dialog', { name: 'New board' })
  await dialog.getByLabel('Name').fill('Team board')
  await dialog.getByLabel('Columns').fill('To do, Doing:2, Done')
  await dialog.getByRole('button', { name: 'Create' }).click()
  await expect(page.getByRole('heading', { name: /Team board/ })).toBeVisible()
  await expect(page.getByTestId('column-head')).toHaveCount(3)
  await expect(page.getByTestId('column-head').filter({ hasText: 'Doing' })).toContainText('0 / 2')

  await page.getByRole('button', { name: 'Board settings' }).click()
  const settings = page.getByRole('dialog', { name: 'Board settings' })
  await settings.getByLabel('WIP limit of Doing').fill('1')
  await settings.getByLabel('Swimlanes').selectOption('priority')
  await settings.getByLabel('Add a column').fill('Review')
  await settings.getByRole('button', { name: 'Save' }).click()
  await expect(settings).toHaveCount(0)
  await expect(page.getByTestId('column-head').filter({ hasText: 'Doing' })).toContainText('0 / 1')
  await expect(page.getByTestId('column-head')).toHaveCount(4)
  await expect(page.getByRole('heading', { name: 'Urgent' })).toBeVisible()
  const boards = (await server.call('GET', `/api/v1/projects/${w.project}/boards`, { token: w.owner.token })).json.items
  expect(boards.map((b: any) => [b.name, b.swimlanes])).toEqual([['Team board', 'priority']])
  await page.getByRole('link', { name: 'All boards' }).click()
  await expect(page.getByTestId('board-list')).toContainText('Team board')
  await shot(page, 'boards-list')
})

test('on a touch screen a card is dragged after a short press', async ({ server, browser, login, baseURL, shot }) => {
  const w = await server.world()
  const { board, columns } = await boardWith(server, w.owner, w.project, [{ name: 'To do' }, { name: 'Doing' }], { 'To do': ['Tap and hold me'] })
  const context = await browser.newContext({ baseURL, hasTouch: true, isMobile: true, viewport: { width: 800, height: 700 } })
  const page = await context.newPage()
  await login(page, w.owner, `/o/${w.org}/p/${w.project}/boards/${board}`)
  const from = (await card(page, 'Tap and hold me').boundingBox())!
  const to = (await cell(page, columns.Doing).boundingBox())!
  const cdp = await context.newCDPSession(page)
  const at = (x: number, y: number) => [{ x: Math.round(x), y: Math.round(y), id: 1 }]
  const x0 = from.x + from.width / 2
  const y0 = from.y + from.height / 2
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(x0, y0) })
  // The press: a drag starts only after it, so that a swipe still scrolls the board.
  await page.waitForTimeout(400)
  const x1 = to.x + to.width / 2
  const y1 = to.y + to.height / 2
  for (let i = 1; i <= 10; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(x0 + (x1 - x0) * i / 10, y0 + (y1 - y0) * i / 10) })
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] })
  await expect(card(cell(page, columns.Doing), 'Tap and hold me')).toBeVisible()
  await expect.poll(() => serverColumn(server, w.owner.token, board, columns.Doing)).toEqual(['Tap and hold me'])
  await shot(page, 'touch')
  await context.close()
})
