// A board's settings: its name, swimlanes, and its columns' names, order and WIP limits
// (`PATCH /api/v1/boards/{board}`), and a new column (`POST /api/v1/boards/{board}/columns`).
import { useState } from 'preact/hooks'
import type { Board, Swimlanes } from '../../lib/types'
import { ErrorBox, Field, Modal, useSubmit } from '../../ui/common'
import { boardsApi } from './api'

interface ColumnDraft { id: string, name: string, wip: string }

export function BoardSettings ({ board, onSaved, onClose }: { board: Board, onSaved: (b: Board) => void, onClose: () => void }) {
  const [name, setName] = useState(board.name)
  const [swimlanes, setSwimlanes] = useState<string>(board.swimlanes ?? '')
  const [columns, setColumns] = useState<ColumnDraft[]>(board.columns.map((c) => ({ id: c.id, name: c.name, wip: c.wip_limit === null || c.wip_limit === undefined ? '' : String(c.wip_limit) })))
  const [newColumn, setNewColumn] = useState('')
  const s = useSubmit()
  const set = (i: number, patch: Partial<ColumnDraft>) => setColumns((list) => list.map((c, j) => j === i ? { ...c, ...patch } : c))
  const swap = (i: number, j: number) => setColumns((list) => {
    if (j < 0 || j >= list.length) return list
    const next = [...list]
    ;[next[i], next[j]] = [next[j], next[i]]
    return next
  })
  async function submit (e: Event) {
    e.preventDefault()
    const saved = await s.run(async () => {
      let b = await boardsApi.update(board.id, {
        name,
        swimlanes: (swimlanes || null) as Swimlanes | null,
        columns: columns.map((c) => ({ id: c.id, name: c.name, wip_limit: c.wip.trim() === '' ? null : Number(c.wip) }))
      })
      if (newColumn.trim()) b = await boardsApi.addColumn(board.id, { name: newColumn.trim() })
      return b
    })
    if (saved) { onSaved(saved); onClose() }
  }
  const fieldError = (prefix: string) => Object.entries(s.fields).find(([k]) => k.startsWith(prefix))?.[1]
  return (
    <Modal title='Board settings' onClose={onClose} wide>
      <form class='stack' onSubmit={submit}>
        <Field label='Name' name='board-settings-name' required value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
        <div class='field'>
          <label for='board-settings-lanes'>Swimlanes</label>
          <select id='board-settings-lanes' value={swimlanes} onChange={(e) => setSwimlanes(e.currentTarget.value)}>
            <option value=''>None</option>
            <option value='assignee'>By assignee</option>
            <option value='priority'>By priority</option>
            <option value='label'>By label</option>
          </select>
        </div>
        <table class='table'>
          <caption class='sr-only'>Columns</caption>
          <thead><tr><th scope='col'>Column</th><th scope='col'>WIP limit</th><th scope='col'>Order</th></tr></thead>
          <tbody>
            {columns.map((c, i) => (
              <tr key={c.id}>
                <td><input aria-label={`Name of column ${i + 1}`} value={c.name} onInput={(e) => set(i, { name: e.currentTarget.value })} /></td>
                <td><input aria-label={`WIP limit of ${c.name}`} type='number' min={0} value={c.wip} placeholder='None' onInput={(e) => set(i, { wip: e.currentTarget.value })} /></td>
                <td class='row'>
                  <button type='button' class='btn btn-small' aria-label={`Move ${c.name} left`} disabled={i === 0} onClick={() => swap(i, i - 1)}>←</button>
                  <button type='button' class='btn btn-small' aria-label={`Move ${c.name} right`} disabled={i === columns.length - 1} onClick={() => swap(i, i + 1)}>→</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {fieldError('columns') && <p class='field-error' role='alert'>{fieldError('columns')}</p>}
        <Field label='Add a column' name='board-settings-new-column' value={newColumn} placeholder='e.g. Review' onInput={(e) => setNewColumn(e.currentTarget.value)} />
        <ErrorBox error={s.fields.name || fieldError('columns') ? null : s.error} />
        <div class='row-end'><button type='button' class='btn' onClick={onClose}>Cancel</button><button class='btn btn-primary' disabled={s.pending}>Save</button></div>
      </form>
    </Modal>
  )
}
