// The pure rules of a record's attachments: a file's kind label, and why an upload or an
// attach failed, as one sentence for beside the upload (the size limit and the quota named).
import { ApiError } from '../../lib/api'
import { formatBytes } from '../../lib/text'

/** The short label of a file's kind (PDF, PNG, …) shown in its icon. */
export function kindOf (a: { name: string, content_type: string }): string {
  if (a.content_type === 'application/pdf') return 'PDF'
  const ext = /\.([a-z0-9]{1,4})$/i.exec(a.name)?.[1]
  return ext ? ext.toUpperCase() : 'FILE'
}

/** Why an upload or attach failed, in one sentence (the size limit and the quota named). */
export function uploadError (e: unknown, file: { name: string, size: number }, project: string): string {
  if (!(e instanceof ApiError)) return String(e)
  if (e.status === 413 || e.code === 'payload_too_large') return `${file.name} (${formatBytes(file.size)}) is larger than this server accepts for one file.`
  if (e.status === 409 && e.code === 'quota_exceeded') return `${file.name} was not uploaded: it would take your organisation over its storage quota. Delete files you no longer need, or ask an admin for more space.`
  if (e.status === 403) return `${file.name} was not uploaded: you may not add files to ${project}.`
  if (e.status === 0) return e.message
  return `${file.name} was not uploaded: ${e.message}`
}

/** Why an uploaded file could not be attached (it stays in `project`'s files). */
export function attachError (e: unknown, file: { name: string }, project: string): string {
  const why = e instanceof ApiError ? (e.fields.file ?? (e.status === 403 ? 'you may no longer change this record' : e.message)) : String(e)
  return `${file.name} was uploaded to ${project} but not attached: ${why.replace(/\.$/, '')}.`
}
