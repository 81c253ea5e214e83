// A child table in a record form: its rows as a table of inputs (a column per field of the
// table), with rows added, removed and moved up or down; each cell's error beside it.
import type { FieldDef } from '../../lib/types'
import { FieldInput, type FieldProps } from './FieldInput'
import { move, newRow, type Row } from './form'
import { labelOf, readOnly } from './values'

export function ChildTable (p: FieldProps) {
  const columns: FieldDef[] = p.field.fields ?? []
  const rows = Array.isArray(p.value) ? p.value as Row[] : []
  const label = labelOf(p.field)
  const set = (next: Row[]) => p.onChange(next)
  const setCell = (i: number, column: string, v: unknown) => set(rows.map((r, j) => j === i ? { ...r, [column]: v } : r))
  return (
    <div class='child-table' data-testid={`table-${p.field.name}`}>
      {rows.length > 0 && (
        <div class='table-wrap'>
          <table class='table'>
            <thead>
              <tr>
                <th scope='col'><span class='sr-only'>Row</span></th>
                {columns.map((c) => <th key={c.name} scope='col'>{labelOf(c)}{c.required ? ' *' : ''}{readOnly(c) ? <span class='muted small'> (computed)</span> : null}</th>)}
                <th scope='col'><span class='sr-only'>Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={row._key}>
                  <td class='muted small'>{i + 1}</td>
                  {columns.map((c) => (
                    <td key={c.name}>
                      <FieldInput field={c} path={`${p.path}[${i}].${c.name}`} value={row[c.name]} currency={p.currency} org={p.org} errors={p.errors} disabled={p.disabled} compact name={`${labelOf(c)}, row ${i + 1}`} onChange={(v) => setCell(i, c.name, v)} />
                    </td>
                  ))}
                  <td class='row-actions'>
                    {!p.disabled && (
                      <>
                        <button type='button' class='btn-icon btn-tiny' aria-label={`Move row ${i + 1} up`} disabled={i === 0} onClick={() => set(move(rows, i, i - 1))}>↑</button>
                        <button type='button' class='btn-icon btn-tiny' aria-label={`Move row ${i + 1} down`} disabled={i === rows.length - 1} onClick={() => set(move(rows, i, i + 1))}>↓</button>
                        <button type='button' class='btn-icon btn-tiny' aria-label={`Remove row ${i + 1}`} onClick={() => set(rows.filter((_, j) => j !== i))}>×</button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!rows.length && <p class='muted small'>No rows.</p>}
      {!p.disabled && <button type='button' class='btn btn-small' onClick={() => set([...rows, newRow(columns, p.currency)])}>Add a row to {label}</button>}
    </div>
  )
}
