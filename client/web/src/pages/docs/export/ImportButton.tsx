// "Import" on a project's documents: pick a Markdown or Word file; it becomes a new document,
// which opens. A refused file (too large, unreadable) says why, beside the button.
import { useRef, useState } from 'preact/hooks'
import { ApiError, upload } from '../../../lib/api'
import { navigate } from '../../../lib/router'
import { toast } from '../../../lib/session'

const ACCEPT = '.md,.markdown,.docx,text/markdown,application/vnd.openxmlformats-officedocument.wordprocessingml.document'

export function ImportButton ({ org, project }: { org: string, project: string }) {
  const input = useRef<HTMLInputElement>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  async function pick (file: File | undefined) {
    if (!file) return
    setBusy(true)
    setError(null)
    try {
      const doc = await upload<{ id: string, title: string }>(`/api/v1/projects/${project}/docs/import`, file, file.name).promise
      toast(`Imported “${doc.title}”`, 'success')
      navigate(`/o/${org}/p/${project}/docs/${doc.id}`)
    } catch (e) {
      const why = e instanceof ApiError
        ? (e.status === 413 ? 'The file is too large to import (at most 8 MiB).' : (e.fields.file ?? e.message))
        : 'The import failed.'
      setError(`${file.name}: ${why}`)
    } finally {
      setBusy(false)
      if (input.current) input.current.value = ''
    }
  }
  return (
    <span class='import-doc'>
      <input ref={input} type='file' accept={ACCEPT} hidden data-testid='import-input' onChange={(e) => pick(e.currentTarget.files?.[0])} />
      <button type='button' class='btn' disabled={busy} onClick={() => input.current?.click()}>{busy ? 'Importing…' : 'Import'}</button>
      {error && <span class='field-error import-error' role='alert'>{error}</span>}
    </span>
  )
}
