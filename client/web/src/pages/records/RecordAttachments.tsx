// A record's attached files. A file lives in one of the org's projects: an upload goes to a
// project the person may add files to (with progress and cancel), then is attached by id; from
// then on whoever may read the record downloads it through the record. Writers of the record
// attach and remove (removing detaches: the file stays in its project). Others' changes arrive as
// `record.attachments_changed` (the whole list).
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, upload, type UploadHandle } from '../../lib/api'
import { events, projects, projectsLoading, toast, toastError, userById } from '../../lib/session'
import { formatBytes, formatTime } from '../../lib/text'
import type { BizRecord, FileInfo, Project } from '../../lib/types'
import { ErrorBox, Spinner, useAsync, confirmDialog } from '../../ui/common'
import { recordsApi, type RecordAttachment } from './api'
import { attachError, kindOf, uploadError } from './attachments'

interface Uploading { key: number, name: string, progress: number, handle?: UploadHandle<FileInfo>, attaching?: boolean, error?: string }

const projectKey = (org: string) => `atrium.records.upload-project.${org}`

export function RecordAttachments ({ org, record }: { org: string, record: BizRecord }) {
  const id = record.id
  const writable = record.can.write
  const list = useAsync((signal) => recordsApi.attachments(id, signal), [id])
  const [uploads, setUploads] = useState<Uploading[]>([])
  const [dragging, setDragging] = useState(false)
  const input = useRef<HTMLInputElement>(null)
  const seq = useRef(0)

  // Where uploads go: a project of this org the person may add files to (their last choice).
  const targets: Project[] = projects.value.filter((p) => p.org_id === org && p.can?.write)
  const [chosen, setChosen] = useState<string | null>(() => { try { return localStorage.getItem(projectKey(org)) } catch { return null } })
  const target = targets.find((p) => p.id === chosen) ?? targets[0]
  const mayUpload = writable && !!target

  useEffect(() => {
    const offs = [
      events.on('record.attachments_changed', (f) => { if (f.data.record === id) list.setData(() => ({ items: f.data.items })) }),
      events.on('resync', () => list.reload())
    ]
    return () => { for (const off of offs) off() }
  }, [id])

  const patch = (key: number, change: Partial<Uploading>) => setUploads((u) => u.map((x) => x.key === key ? { ...x, ...change } : x))
  function start (files: FileList | File[]) {
    if (!target) return
    for (const file of [...files]) {
      const key = ++seq.current
      const handle = upload<FileInfo>(`/api/v1/projects/${target.id}/files`, file, file.name, (p) => patch(key, { progress: p }))
      setUploads((u) => [...u, { key, name: file.name, progress: 0, handle }])
      let uploaded = false
      handle.promise
        .then(async (f) => {
          uploaded = true
          patch(key, { attaching: true, progress: 1 })
          const now = await recordsApi.attach(id, f.id)
          list.setData(() => now)
          setUploads((u) => u.filter((x) => x.key !== key))
          toast(`Attached ${f.name}`, 'success', 2500)
        })
        .catch((e) => {
          if (e instanceof ApiError && e.code === 'aborted') setUploads((u) => u.filter((x) => x.key !== key))
          else patch(key, { error: uploaded ? attachError(e, file, target.name) : uploadError(e, file, target.name), attaching: false })
        })
    }
  }
  async function remove (a: RecordAttachment) {
    if (!await confirmDialog({ title: `Remove ${a.name} from ${record.name}?`, message: 'The file stays in its project’s files.', action: 'Remove', danger: true })) return
    try {
      await recordsApi.detach(id, a.id)
      list.setData((d) => ({ items: (d?.items ?? []).filter((x) => x.id !== a.id) }))
      toast(`${a.name} removed`, 'success', 2500)
    } catch (e) { toastError(e) }
  }
  function choose (projectId: string) {
    setChosen(projectId)
    try { localStorage.setItem(projectKey(org), projectId) } catch {}
  }

  const items = list.data?.items ?? []
  const who = (userId: string) => userById.value.get(userId)?.name ?? 'someone'
  return (
    <section
      class={'record-files' + (dragging ? ' dragging' : '')}
      aria-labelledby='record-files-h'
      onDragOver={(e) => { if (mayUpload && e.dataTransfer?.types.includes('Files')) { e.preventDefault(); setDragging(true) } }}
      onDragLeave={(e) => { if (e.currentTarget === e.target) setDragging(false) }}
      onDrop={(e) => { if (!mayUpload || !e.dataTransfer?.files.length) return; e.preventDefault(); setDragging(false); start(e.dataTransfer.files) }}
    >
      <div class='section-head'>
        <h2 id='record-files-h'>Attachments{items.length > 0 && <span class='muted'> ({items.length})</span>}</h2>
        {mayUpload && (
          <>
            <button class='btn btn-small' onClick={() => input.current?.click()}>Upload files<span class='sr-only'> to attach to {record.name}</span></button>
            <input ref={input} type='file' multiple hidden data-testid='record-file-input' onChange={(e) => { const f = e.currentTarget.files; if (f?.length) start(f); e.currentTarget.value = '' }} />
          </>
        )}
      </div>
      {writable && targets.length > 1 && (
        <div class='field upload-target'>
          <label for={`rf-upload-project-${id}`}>Store uploaded files in</label>
          <select id={`rf-upload-project-${id}`} value={target?.id} onChange={(e) => choose(e.currentTarget.value)}>
            {targets.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </div>
      )}
      {writable && targets.length === 1 && <p class='muted small'>Uploads are stored in the files of {targets[0].name}.</p>}
      {writable && targets.length === 0 && !projectsLoading.value && <p class='muted small'>To attach files you need a project of this organisation where you may add files.</p>}
      {uploads.length > 0 && (
        <ul class='uploads' aria-label='Uploads'>
          {uploads.map((u) => (
            <li key={u.key} class='upload-row'>
              <span class='grow'>{u.name}</span>
              {u.error
                ? <span class='field-error' role='alert'>{u.error}</span>
                : u.attaching
                  ? <span class='muted'>Attaching…</span>
                  : <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />}
              {u.error
                ? <button class='btn btn-small' onClick={() => setUploads((x) => x.filter((y) => y.key !== u.key))}>Dismiss<span class='sr-only'> the error about {u.name}</span></button>
                : u.progress < 1 && <button class='btn btn-small' onClick={() => u.handle?.abort()}>Cancel<span class='sr-only'> uploading {u.name}</span></button>}
            </li>
          ))}
        </ul>
      )}
      <ErrorBox error={list.error} retry={list.reload} />
      {!list.data
        ? (list.error ? null : <Spinner />)
        : items.length === 0
          ? <p class='muted small' data-testid='no-attachments'>No files attached.</p>
          : (
            <ul class='list' data-testid='record-attachments'>
              {items.map((a) => (
                <li key={a.id} class='list-row' data-file={a.name}>
                  <span class='file-icon' aria-hidden='true'>{kindOf(a)}</span>
                  <div class='grow file-meta'>
                    <a href={recordsApi.attachmentUrl(id, a.id)} download={a.name} aria-label={`Download ${a.name}`}>{a.name}</a>
                    <div class='muted small'>{formatBytes(a.size)} · added by {who(a.attached_by)}, {formatTime(a.attached_at)}</div>
                  </div>
                  {writable && <button class='btn btn-small' onClick={() => remove(a)}>Remove<span class='sr-only'> {a.name} from the record</span></button>}
                </li>
              ))}
            </ul>
            )}
    </section>
  )
}
