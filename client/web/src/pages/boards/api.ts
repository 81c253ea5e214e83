// The boards and tasks routes the screens call (API.md, "Boards and tasks"), typed by the
// server's OpenAPI document.
import { api, qs } from '../../lib/api'
import type { Board, BoardSummary, BulkOp, BulkTaskResult, ChecklistItem, Milestone, Priority, SavedView, Task, TaskCard, TaskStatus, TaskChange, TaskFilter, TimeEntry, Timer, TimerStarted, TimeReport, Timesheet, ViewLayout } from '../../lib/types'

export interface TaskPatch {
  title?: string
  status?: string
  assignees?: string[]
  labels?: string[]
  priority?: Priority
  due?: string | null
  estimate?: number | null
  milestone?: string | null
  parent?: string | null
  blocked_by?: string[]
  checklist?: ChecklistItem[]
  watchers?: string[]
  attachments?: string[]
  confirm?: boolean
}

export const boardsApi = {
  list: (project: string, signal?: AbortSignal) => api.get<{ items: BoardSummary[] }>(`/api/v1/projects/${project}/boards`, { signal }),
  create: (project: string, body: { name: string, columns?: { name: string, wip_limit?: number }[], swimlanes?: string }) => api.post<Board>(`/api/v1/projects/${project}/boards`, body),
  get: (board: string, signal?: AbortSignal) => api.get<Board>(`/api/v1/boards/${board}`, { signal }),
  update: (board: string, body: Record<string, unknown>) => api.patch<Board>(`/api/v1/boards/${board}`, body),
  addColumn: (board: string, body: { name: string, wip_limit?: number }) => api.post<Board>(`/api/v1/boards/${board}/columns`, body),
  createTask: (board: string, body: { title: string, column?: string, parent?: string }) => api.post<Task>(`/api/v1/boards/${board}/tasks`, body),
  move: (task: string, body: { column: string, after?: string, before?: string, force?: boolean, confirm?: boolean }) => api.post<TaskCard>(`/api/v1/tasks/${task}/move`, body)
}

export const tasksApi = {
  get: (task: string, signal?: AbortSignal) => api.get<Task>(`/api/v1/tasks/${task}`, { signal }),
  update: (task: string, patch: TaskPatch) => api.patch<Task>(`/api/v1/tasks/${task}`, patch),
  remove: (task: string) => api.del(`/api/v1/tasks/${task}`),
  history: (task: string, signal?: AbortSignal) => api.get<{ items: TaskChange[] }>(`/api/v1/tasks/${task}/history`, { signal }),
  list: (project: string, filter: TaskFilter, sort: string, signal?: AbortSignal, cursor?: string) => api.get<{ items: TaskCard[], next?: string | null }>(`/api/v1/projects/${project}/tasks${qs({ ...filterQuery(filter, sort), cursor })}`, { signal }),
  bulk: (project: string, body: { tasks: string[], op: BulkOp, status?: string, assignees?: string[], labels?: string[], priority?: Priority, confirm?: boolean }) => api.post<BulkTaskResult>(`/api/v1/projects/${project}/tasks/bulk`, body),
  statuses: (project: string, signal?: AbortSignal) => api.get<{ items: TaskStatus[] }>(`/api/v1/projects/${project}/statuses`, { signal }),
  milestones: (project: string, signal?: AbortSignal) => api.get<{ items: Milestone[] }>(`/api/v1/projects/${project}/milestones`, { signal })
}

export const timeApi = {
  entries: (task: string, signal?: AbortSignal) => api.get<{ items: TimeEntry[] }>(`/api/v1/tasks/${task}/time`, { signal }),
  log: (task: string, body: { minutes: number, date: string, note?: string, billable?: boolean }) => api.post<TimeEntry>(`/api/v1/tasks/${task}/time`, body),
  timer: (signal?: AbortSignal) => api.get<Timer | null>('/api/v1/me/timer', { signal }),
  start: (task: string) => api.post<TimerStarted>('/api/v1/me/timer', { task }),
  stop: () => api.del<TimeEntry>('/api/v1/me/timer'),
  report: (org: string, params: { user?: string, project?: string, from?: string, to?: string, group?: string }, signal?: AbortSignal) => api.get<TimeReport>(`/api/v1/orgs/${org}/time${qs(params)}`, { signal }),
  /** One person's entries across tasks (default: the caller's), by date. */
  timesheet: (org: string, params: { user?: string, from?: string, to?: string }, signal?: AbortSignal) => api.get<Timesheet>(`/api/v1/orgs/${org}/time/entries${qs(params)}`, { signal })
}

export const viewsApi = {
  list: (project: string, signal?: AbortSignal) => api.get<{ items: SavedView[] }>(`/api/v1/projects/${project}/views`, { signal }),
  save: (project: string, body: { name: string, layout: ViewLayout, filters: TaskFilter, sort: string }) => api.post<SavedView>(`/api/v1/projects/${project}/views`, body),
  update: (view: string, body: { name: string, layout: ViewLayout, filters: TaskFilter, sort: string }) => api.patch<SavedView>(`/api/v1/views/${view}`, body),
  remove: (view: string) => api.del(`/api/v1/views/${view}`)
}

/** A filter and sort as query parameters (lists joined by commas). */
export function filterQuery (f: TaskFilter, sort: string): Record<string, string | undefined> {
  return {
    assignees: f.assignees?.join(',') || undefined,
    labels: f.labels?.join(',') || undefined,
    priorities: f.priorities?.join(',') || undefined,
    statuses: f.statuses?.join(',') || undefined,
    milestone: f.milestone || undefined,
    due_before: f.due_before || undefined,
    text: f.text || undefined,
    sort: sort || undefined,
    limit: '200'
  }
}
