// The records routes the screens call (API.md, "Records"), typed by the server's OpenAPI
// document. Lists take the query parameters filters.ts builds.
import { api, qs, request } from '../../lib/api'
import type { components } from '../../lib/api-types'
import type { AvailableTransition, BizRecord, Channel, ImportResult, RecordHistoryEntry, RecordPage, RecordType } from '../../lib/types'

/** A file attached to a record (its id is the file's); its bytes are read through the record. */
export type RecordAttachment = components['schemas']['RecordAttachment']

/** A type as sent to `POST`/`PUT …/record-types` (the server's shapes, without what it adds). */
export type TypeBody = Pick<RecordType, 'name' | 'fields' | 'workflow' | 'naming' | 'permissions'>

export const typesApi = {
  list: (org: string, signal?: AbortSignal) => api.get<{ items: RecordType[] }>(`/api/v1/orgs/${org}/record-types`, { signal }),
  get: (org: string, type: string, signal?: AbortSignal) => api.get<RecordType>(`/api/v1/orgs/${org}/record-types/${type}`, { signal }),
  create: (org: string, body: TypeBody & { slug: string }) => api.post<RecordType>(`/api/v1/orgs/${org}/record-types`, body),
  update: (org: string, type: string, body: TypeBody & { version: number, archived: boolean }) => api.put<RecordType>(`/api/v1/orgs/${org}/record-types/${type}`, body)
}

export const recordsApi = {
  list: (org: string, type: string, params: Record<string, string | undefined>, signal?: AbortSignal) => api.get<RecordPage>(`/api/v1/orgs/${org}/records/${type}${qs(params)}`, { signal }),
  create: (org: string, type: string, fields: Record<string, unknown>) => api.post<BizRecord>(`/api/v1/orgs/${org}/records/${type}`, fields),
  get: (id: string, signal?: AbortSignal) => api.get<BizRecord>(`/api/v1/records/${id}`, { signal }),
  update: (id: string, version: number, fields: Record<string, unknown>) => api.patch<BizRecord>(`/api/v1/records/${id}`, { ...fields, version }),
  remove: (id: string) => api.del(`/api/v1/records/${id}`),
  transition: (id: string, action: string, comment?: string) => api.post<BizRecord>(`/api/v1/records/${id}/transition`, { action, ...(comment ? { comment } : {}) }),
  transitions: (id: string, signal?: AbortSignal) => api.get<{ items: AvailableTransition[] }>(`/api/v1/records/${id}/transitions`, { signal }),
  amend: (id: string) => api.post<BizRecord>(`/api/v1/records/${id}/amend`),
  history: (id: string, signal?: AbortSignal) => api.get<{ items: RecordHistoryEntry[] }>(`/api/v1/records/${id}/history`, { signal }),
  /** The discussion's chat channel (its id is the record's); opens it on first use. */
  openDiscussion: (id: string) => api.post<Channel>(`/api/v1/records/${id}/discussion`),
  attachments: (id: string, signal?: AbortSignal) => api.get<{ items: RecordAttachment[] }>(`/api/v1/records/${id}/attachments`, { signal }),
  /** Attaches a file of the org (uploaded to one of its projects) → the record's attachments now. */
  attach: (id: string, file: string) => api.post<{ items: RecordAttachment[] }>(`/api/v1/records/${id}/attachments`, { file }),
  /** Detaches a file; the file itself stays in its project. */
  detach: (id: string, file: string) => api.del(`/api/v1/records/${id}/attachments/${file}`),
  /** An attachment's bytes, for whoever may read the record (a plain download). */
  attachmentUrl: (id: string, file: string) => `/api/v1/records/${id}/attachments/${file}/content`,
  /** The export's URL (a plain download: the browser streams it to a file). */
  exportUrl: (org: string, type: string, params: Record<string, string | undefined>) => `/api/v1/orgs/${org}/records/${type}/export.csv${qs(params)}`,
  import: (org: string, type: string, csv: Blob) => request<ImportResult>('POST', `/api/v1/orgs/${org}/records/${type}/import.csv`, { body: csv, headers: { 'content-type': 'text/csv' } })
}
