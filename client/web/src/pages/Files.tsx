import { useEffect, useRef, useState } from 'preact/hooks'
import { api, upload, ApiError, type UploadHandle } from '../lib/api'
import { projects, toast, toastError } from '../lib/session'
import { query } from '../lib/router'
import type { FileInfo, FileVersion } from '../lib/types'
import { Empty, ErrorBox, Spinner, useAsync, Modal, useTitle, confirmDialog, chooseDialog } from '../ui/common'
import { formatBytes, formatTime } from '../lib/text'

interface Uploading { key: number, name: string, progress: number, handle: UploadHandle<FileInfo>, error?: string }

const isImage = (f: { content_type: string }) => /^image\/(png|jpe?g|gif|webp|bmp)/.test(f.content_type)
const isPdf = (f: { content_type: string, name: string }) => f.content_type === 'application/pdf' || /\.pdf$/i.test(f.name)
const isText = (f: { content_type: string, name: string }) => /^text\/(plain|markdown|csv|x-log)|^application\/(json|x-ndjson)/.test(f.content_type) || /\.(txt|md|csv|log|json)$/i.test(f.name)
/** How much of a text file its preview shows. */
const TEXT_PREVIEW_BYTES = 64 * 1024

export function FilesPage ({ project }: { org: string, project: string }) {
  const [trash, setTrash] = useState(false)
  const [uploads, setUploads] = useState<Uploading[]>([])
  const [dragging, setDragging] = useState(false)
  const [preview, setPreview] = useState<FileInfo | null>(null)
  const [versions, setVersions] = useState<FileInfo | null>(null)
  const input = useRef<HTMLInputElement>(null)
  const proj = projects.value.find((p) => p.id === project)
  const writable = proj?.can?.write ?? false
  useTitle(proj ? `Files · ${proj.name}` : 'Files')
  const files = useAsync((signal) => api.get<{ items: FileInfo[] }>(`/api/v1/projects/${project}/files${trash ? '?trashed=true' : ''}`, { signal }), [project, trash])

  // Others' uploads have no event of their own: refresh while the page is visible.
  useEffect(() => {
    const t = setInterval(() => {
      if (document.hidden) return
      api.get<{ items: FileInfo[] }>(`/api/v1/projects/${project}/files${trash ? '?trashed=true' : ''}`)
        .then((res) => files.setData(() => res), () => {})
    }, 4000)
    const onFocus = () => files.reload()
    window.addEventListener('focus', onFocus)
    return () => { clearInterval(t); window.removeEventListener('focus', onFocus) }
  }, [project, trash])

  // ?f=ID (from search): open that file's preview.
  useEffect(() => {
    const id = query.value.get('f')
    if (!id) return
    api.get<FileInfo>(`/api/v1/files/${id}`).then(setPreview, toastError)
  }, [query.value.get('f')])

  const seq = useRef(0)
  /** Uploads `list`; a file named like one already here may go in as its new version. */
  async function start (list: FileList | File[]) {
    for (const file of [...list]) {
      const same = trash ? undefined : files.data?.items.find((f) => f.name === file.name)
      let target = `/api/v1/projects/${project}/files`
      if (same) {
        const choice = await chooseDialog({ title: `${file.name} is already here`, message: `Upload it as version ${same.version + 1} of the existing file (its history is kept), or keep both as separate files?`, action: 'Upload a new version', alternative: 'Keep both' })
        if (!choice) continue
        if (choice === 'action') target = `/api/v1/files/${same.id}/versions`
      }
      const key = ++seq.current
      const handle = upload<FileInfo>(target, file, file.name, (p) => {
        setUploads((u) => u.map((x) => x.key === key ? { ...x, progress: p } : x))
      })
      setUploads((u) => [...u, { key, name: file.name, progress: 0, handle }])
      handle.promise.then((f) => {
        setUploads((u) => u.filter((x) => x.key !== key))
        files.setData((d) => ({ items: [f, ...(d?.items ?? []).filter((x) => x.id !== f.id)] }))
        toast(f.version > 1 ? `Uploaded ${f.name} as version ${f.version}` : `Uploaded ${f.name}`, 'success')
      }, (e: ApiError) => {
        if (e.code === 'aborted') setUploads((u) => u.filter((x) => x.key !== key))
        else setUploads((u) => u.map((x) => x.key === key ? { ...x, error: e.message } : x))
      })
    }
  }
  async function trashFile (f: FileInfo) {
    try {
      await api.del(`/api/v1/files/${f.id}`)
      files.setData((d) => ({ items: (d?.items ?? []).filter((x) => x.id !== f.id) }))
      toast(`${f.name} moved to the trash`, 'success')
    } catch (e) { toastError(e) }
  }
  async function restore (f: FileInfo) {
    try {
      await api.post(`/api/v1/files/${f.id}/restore`)
      files.setData((d) => ({ items: (d?.items ?? []).filter((x) => x.id !== f.id) }))
      toast(`${f.name} restored`, 'success')
    } catch (e) { toastError(e) }
  }
  async function purge (f: FileInfo) {
    if (!await confirmDialog({ title: `Delete ${f.name} for good?`, message: 'This cannot be undone.', action: 'Delete for good', danger: true })) return
    try {
      await api.post(`/api/v1/files/${f.id}/purge`)
      files.setData((d) => ({ items: (d?.items ?? []).filter((x) => x.id !== f.id) }))
    } catch (e) { toastError(e) }
  }
  return (
    <section
      class={'page files-page' + (dragging ? ' dragging' : '')}
      onDragOver={(e) => { if (writable && !trash && e.dataTransfer?.types.includes('Files')) { e.preventDefault(); setDragging(true) } }}
      onDragLeave={(e) => { if (e.currentTarget === e.target) setDragging(false) }}
      onDrop={(e) => { e.preventDefault(); setDragging(false); if (writable && !trash && e.dataTransfer?.files.length) start(e.dataTransfer.files) }}
    >
      <div class='page-head'>
        <h1>{trash ? 'Trash' : 'Files'}{proj && <span class='muted h-sub'> · {proj.name}</span>}</h1>
        <div class='row'>
          <button class='btn' aria-pressed={trash} onClick={() => setTrash(!trash)}>{trash ? 'Back to files' : 'Trash'}</button>
          {writable && !trash && <button class='btn btn-primary' onClick={() => input.current?.click()}>Upload</button>}
          <input ref={input} type='file' multiple hidden data-testid='file-input' onChange={(e) => { if (e.currentTarget.files) start(e.currentTarget.files); e.currentTarget.value = '' }} />
        </div>
      </div>
      {writable && !trash && <p class='dropzone' aria-hidden='true'>{dragging ? 'Drop to upload' : 'Drag files here to upload them'}</p>}
      {uploads.length > 0 && (
        <ul class='uploads' aria-label='Uploads'>
          {uploads.map((u) => (
            <li key={u.key} class='upload-row'>
              <span class='grow'>{u.name}</span>
              {u.error
                ? <span class='field-error'>{u.error}</span>
                : <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />}
              {/* Once the whole body is sent the server is storing it; cancelling then could not undo that. */}
              {u.error
                ? <button class='btn btn-small' onClick={() => setUploads((x) => x.filter((y) => y.key !== u.key))}>Dismiss</button>
                : u.progress >= 1
                  ? <span class='muted'>Saving…</span>
                  : <button class='btn btn-small' onClick={() => u.handle.abort()}>Cancel</button>}
            </li>
          ))}
        </ul>
      )}
      <ErrorBox error={files.error} retry={files.reload} />
      {!files.data
        ? (files.error ? null : <Spinner />)
        : !files.data?.items.length
            ? <Empty title={trash ? 'The trash is empty' : 'No files yet'}>{!trash && writable && 'Upload one, or drag files onto this page.'}</Empty>
            : (
              <ul class='list files' data-testid='file-list'>
                {files.data.items.map((f) => (
                  <li key={f.id} class='list-row file-row' data-file={f.name}>
                    <span class='thumb' aria-hidden='true'>
                      {isImage(f) ? <img src={`/api/v1/files/${f.id}/thumbnail`} alt='' loading='lazy' width={40} height={40} /> : <span class='file-icon'>{isPdf(f) ? 'PDF' : (f.name.split('.').pop() || '').slice(0, 4).toUpperCase()}</span>}
                    </span>
                    <button class='btn-link grow file-name' onClick={() => setPreview(f)}>{f.name}</button>
                    <span class='muted small'>{formatBytes(f.size)}</span>
                    <span class='muted small hide-narrow'>{formatTime(f.updated_at)}</span>
                    {!trash && <a class='btn btn-small' href={`/api/v1/files/${f.id}/content`} download={f.name} aria-label={`Download ${f.name}`}>Download</a>}
                    {!trash && <button class='btn btn-small hide-narrow' onClick={() => setVersions(f)}>Versions</button>}
                    {writable && (trash
                      ? <><button class='btn btn-small' onClick={() => restore(f)}>Restore</button><button class='btn btn-small btn-danger' onClick={() => purge(f)}>Delete</button></>
                      : <button class='btn btn-small btn-danger' onClick={() => trashFile(f)} aria-label={`Move ${f.name} to the trash`}>Trash</button>)}
                  </li>
                ))}
              </ul>
              )}
      {preview && <FilePreview file={preview} onClose={() => setPreview(null)} />}
      {versions && <FileVersions file={versions} writable={writable} onClose={() => setVersions(null)} onChanged={(f) => files.setData((d) => ({ items: (d?.items ?? []).map((x) => x.id === f.id ? f : x) }))} />}
    </section>
  )
}

function FilePreview ({ file, onClose }: { file: FileInfo, onClose: () => void }) {
  const src = `/api/v1/files/${file.id}/content`
  return (
    <Modal title={file.name} onClose={onClose} wide>
      <div class='preview-box'>
        {isImage(file)
          ? <img src={src} alt={file.name} class='preview-image' />
          : isPdf(file)
            ? <iframe src={src} title={`Preview of ${file.name}`} class='preview-pdf' data-testid='pdf-preview' />
            : isText(file)
              ? <TextPreview file={file} src={src} />
              : <p class='muted'>No preview for this kind of file.</p>}
      </div>
      <p class='row'>
        <span class='muted'>{formatBytes(file.size)} · {file.content_type} · version {file.version}</span>
        <a class='btn btn-primary' href={src} download={file.name}>Download</a>
      </p>
    </Modal>
  )
}

/** The beginning of a text file (a range request: a large log is not downloaded whole). */
function TextPreview ({ file, src }: { file: FileInfo, src: string }) {
  const text = useAsync(async (signal) => {
    const res = await fetch(src, { signal, credentials: 'same-origin', headers: { range: `bytes=0-${TEXT_PREVIEW_BYTES - 1}` } })
    if (!res.ok) throw new Error(`The file could not be read (${res.status}).`)
    return new TextDecoder().decode(await res.arrayBuffer())
  }, [src])
  if (text.error) return <ErrorBox error={text.error} retry={text.reload} />
  if (!text.data && text.loading) return <Spinner />
  return (
    <div class='preview-text-wrap'>
      <pre class='preview-text' data-testid='text-preview' tabIndex={0} aria-label={`Text of ${file.name}`}>{text.data}</pre>
      {file.size > TEXT_PREVIEW_BYTES && <p class='muted small'>The first {formatBytes(TEXT_PREVIEW_BYTES)} of {formatBytes(file.size)}; download it for the rest.</p>}
    </div>
  )
}

function FileVersions ({ file, writable, onClose, onChanged }: { file: FileInfo, writable: boolean, onClose: () => void, onChanged: (f: FileInfo) => void }) {
  const list = useAsync((signal) => api.get<{ items: FileVersion[] }>(`/api/v1/files/${file.id}/versions`, { signal }), [file.id])
  const [progress, setProgress] = useState<number | null>(null)
  const input = useRef<HTMLInputElement>(null)
  function uploadVersion (f: File) {
    setProgress(0)
    upload<FileInfo>(`/api/v1/files/${file.id}/versions`, f, f.name, setProgress).promise.then((nf) => {
      setProgress(null)
      onChanged(nf)
      list.reload()
    }, (e) => { setProgress(null); toastError(e) })
  }
  return (
    <Modal title={`Versions of ${file.name}`} onClose={onClose}>
      {writable && (
        <p class='row'>
          <button class='btn' onClick={() => input.current?.click()} disabled={progress !== null}>Upload a new version</button>
          {progress !== null && <progress max={1} value={progress} aria-label='Uploading' />}
          <input ref={input} type='file' hidden onChange={(e) => { const f = e.currentTarget.files?.[0]; if (f) uploadVersion(f); e.currentTarget.value = '' }} />
        </p>
      )}
      <ErrorBox error={list.error} retry={list.reload} />
      {!list.data
        ? (list.error ? null : <Spinner />)
        : !list.data?.items.length
            ? <Empty title='No versions' />
            : (
              <ul class='list'>
                {list.data.items.map((v) => (
                  <li key={v.id} class='list-row'>
                    <span class='grow'>v{v.number} · {v.name}</span>
                    <span class='muted small'>{formatBytes(v.size)} · {formatTime(v.created_at)}</span>
                    <a class='btn btn-small' href={`/api/v1/files/${file.id}/versions/${v.id}/content`} download={v.name}>Download</a>
                  </li>
                ))}
              </ul>
              )}
    </Modal>
  )
}
