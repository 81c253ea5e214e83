// CSV import into a type: choose a file, send it; the server checks every row before writing
// any, so a refusal (422) comes with errors per row and column, shown as a table, and nothing
// was written. While it runs, its progress arrives on the events socket (`record.import.progress`).
import { useState } from 'preact/hooks'
import { ApiError } from '../../lib/api'
import type { ImportProgress, RecordType } from '../../lib/types'
import { ErrorBox, Modal } from '../../ui/common'
import { recordsApi } from './api'
import { importReport, type ImportReport } from './csvReport'
import { useRecordsLive } from './useRecordsLive'

export function ImportDialog ({ org, type, onClose, onImported }: { org: string, type: RecordType, onClose: () => void, onImported: (created: number) => void }) {
  const [file, setFile] = useState<File | null>(null)
  const [pending, setPending] = useState(false)
  const [progress, setProgress] = useState<ImportProgress | null>(null)
  const [report, setReport] = useState<ImportReport | null>(null)
  const [error, setError] = useState<unknown>(null)
  useRecordsLive(type.slug, { onImportProgress: (p) => { if (pending) setProgress(p) } })
  async function submit (e: Event) {
    e.preventDefault()
    if (!file) return
    setPending(true)
    setReport(null)
    setError(null)
    setProgress(null)
    try {
      const r = await recordsApi.import(org, type.slug, file)
      onImported(r.created)
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && Object.keys(err.fields).length) setReport(importReport(err.fields))
      else setError(err)
    } finally { setPending(false) }
  }
  return (
    <Modal title={`Import ${type.name} records from CSV`} onClose={onClose} wide>
      <form class='stack' onSubmit={submit}>
        <p class='muted small'>The first row names the columns: field names or labels. Values are written as the export writes them (money in minor units, e.g. cents). Every row is checked first; if any row is wrong, nothing is imported.</p>
        <div class='field'>
          <label for='import-file'>CSV file</label>
          <input id='import-file' type='file' accept='.csv,text/csv' onChange={(e) => { setFile(e.currentTarget.files?.[0] ?? null); setReport(null) }} />
        </div>
        {pending && (
          <div role='status' class='import-progress'>
            {progress
              ? <><progress max={progress.total || 1} value={progress.done} /> {progress.phase === 'validating' ? 'Checking' : 'Writing'} {progress.done} of {progress.total} rows…</>
              : <><progress /> Importing…</>}
          </div>
        )}
        {report && (
          <div class='error-box import-report' role='alert' data-testid='import-report'>
            <div class='stack'>
              <strong>Nothing was imported: {report.rows.length + report.general.length} problem{report.rows.length + report.general.length === 1 ? '' : 's'}.</strong>
              {report.general.map((g) => <p key={g}>{g}</p>)}
              {report.rows.length > 0 && (
                <table class='table'>
                  <thead><tr><th scope='col'>Row</th><th scope='col'>Column</th><th scope='col'>Problem</th></tr></thead>
                  <tbody>{report.rows.map((r, i) => <tr key={i}><td>{r.row}</td><td>{r.column ?? '—'}</td><td>{r.message}</td></tr>)}</tbody>
                </table>
              )}
            </div>
          </div>
        )}
        <ErrorBox error={error} />
        <div class='row-end'>
          <button type='button' class='btn' onClick={onClose}>Close</button>
          <button class='btn btn-primary' disabled={!file || pending}>Import</button>
        </div>
      </form>
    </Modal>
  )
}
