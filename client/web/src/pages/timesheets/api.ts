// The routes the timesheet screens call: timesheets are records of the built-in type
// `timesheet` (the generic records routes: list, create for a week, PATCH with the version,
// transition, the steps the caller may take, history), plus the org's timesheet settings, and
// the tasks of a project for a new row.
import { api, qs } from '../../lib/api'
import type { components } from '../../lib/api-types'
import type { AvailableTransition, BizRecord, RecordHistoryEntry, RecordPage, TaskCard } from '../../lib/types'
import type { SheetFields, SheetRow } from './sheet'

export type Sheet = BizRecord & SheetFields
export type TimesheetSettings = components['schemas']['TimesheetSettings']
type SheetPage = Omit<RecordPage, 'items'> & { items: Sheet[] }

export const sheetsApi = {
  /** The person's timesheet for the week of `monday`, or null when there is none yet. */
  find: async (org: string, user: string, monday: string, signal?: AbortSignal): Promise<Sheet | null> => {
    const page = await api.get<SheetPage>(`/api/v1/orgs/${org}/records/timesheet${qs({ user, week: monday, limit: 1 })}`, { signal })
    return page.items[0] ?? null
  },
  /** Starts the caller's timesheet for the week, prefilled from their time entries (409 `timesheet_exists`). */
  create: (org: string, monday: string) => api.post<Sheet>(`/api/v1/orgs/${org}/records/timesheet`, { week: monday }),
  get: (id: string, signal?: AbortSignal) => api.get<Sheet>(`/api/v1/records/${id}`, { signal }),
  /** Replaces the rows (a draft or rejected timesheet); a stale version answers 409 with `current`. */
  save: (id: string, version: number, entries: SheetRow[]) => api.patch<Sheet>(`/api/v1/records/${id}`, { version, entries }),
  step: (id: string, action: 'submit' | 'approve' | 'reject', comment?: string) =>
    api.post<Sheet>(`/api/v1/records/${id}/transition`, { action, ...(comment ? { comment } : {}) }),
  steps: (id: string, signal?: AbortSignal) => api.get<{ items: AvailableTransition[] }>(`/api/v1/records/${id}/transitions`, { signal }),
  history: (id: string, signal?: AbortSignal) => api.get<{ items: RecordHistoryEntry[] }>(`/api/v1/records/${id}/history`, { signal }),
  /** Submitted timesheets naming `approver` among their approvers (the caller's own included: filter them). */
  awaiting: async (org: string, approver: string, signal?: AbortSignal): Promise<Sheet[]> => {
    const items: Sheet[] = []
    let cursor: string | undefined
    for (let i = 0; i < 10; i++) {
      const page = await api.get<SheetPage>(`/api/v1/orgs/${org}/records/timesheet${qs({ state: 'submitted', approvers: approver, sort: 'week', limit: 200, cursor })}`, { signal })
      items.push(...page.items)
      if (!page.next) break
      cursor = page.next
    }
    return items
  },
  settings: (org: string, signal?: AbortSignal) => api.get<TimesheetSettings>(`/api/v1/orgs/${org}/timesheet-settings`, { signal }),
  saveSettings: (org: string, body: TimesheetSettings) => api.put<TimesheetSettings>(`/api/v1/orgs/${org}/timesheet-settings`, body)
}

export const tasksOf = {
  /** The project's tasks by key (the first 200), for a new row's task. */
  list: (project: string, signal?: AbortSignal) => api.get<{ items: TaskCard[] }>(`/api/v1/projects/${project}/tasks${qs({ sort: 'key', limit: 200 })}`, { signal })
}
