// An invoice's lines as a table of inputs: description, quantity, unit price (in major units of
// the invoice's currency), discount %, tax %, tax code, and each line's amount after discount as
// computed live. Rows are added, removed and moved up or down with buttons (keyboard reachable,
// each named with its line number).
import type { Row } from './form'
import { emptyRow, move } from './form'
import { formatMinor } from './totals'

export const inputId = (path: string) => 'inv-' + path.replace(/[^a-zA-Z0-9_-]+/g, '-').replace(/-+$/, '')

const COLUMNS: { key: keyof Omit<Row, '_key' | 'id'>, label: string, numeric?: boolean, mode?: 'decimal' }[] = [
  { key: 'description', label: 'Description' },
  { key: 'quantity', label: 'Quantity', numeric: true, mode: 'decimal' },
  { key: 'unit_price', label: 'Unit price', numeric: true, mode: 'decimal' },
  { key: 'discount', label: 'Discount %', numeric: true, mode: 'decimal' },
  { key: 'tax_rate', label: 'Tax %', numeric: true, mode: 'decimal' },
  { key: 'tax_code', label: 'Tax code' }
]

export function LinesTable ({ rows, currency, amounts, errorOf, disabled, onChange, onCell }: {
  rows: Row[]
  currency: string
  /** Each line's amount after discount (minor units), or null when unknown. */
  amounts: (bigint | null)[]
  errorOf: (path: string) => string | undefined
  disabled: boolean
  /** The rows after an add, remove or move. */
  onChange: (rows: Row[]) => void
  /** One cell typed into. */
  onCell: (index: number, key: keyof Omit<Row, '_key' | 'id'>, value: string) => void
}) {
  const remove = (i: number) => {
    onChange(rows.filter((_, j) => j !== i))
    // Focus stays in the table: on the next row's description, or the add button.
    setTimeout(() => (document.getElementById(inputId(`lines[${Math.min(i, rows.length - 2)}].description`)) ?? document.getElementById('inv-add-line'))?.focus(), 0)
  }
  const add = () => {
    onChange([...rows, emptyRow()])
    setTimeout(() => document.getElementById(inputId(`lines[${rows.length}].description`))?.focus(), 0)
  }
  const shift = (i: number, to: number, dir: 'up' | 'down') => {
    onChange(move(rows, i, to))
    // Keep focus on the same button of the moved row (or its other one at an end).
    setTimeout(() => {
      const same = document.getElementById(`inv-move-${dir}-${to}`) as HTMLButtonElement | null
      ;(same && !same.disabled ? same : document.getElementById(`inv-move-${dir === 'up' ? 'down' : 'up'}-${to}`))?.focus()
    }, 0)
  }
  return (
    <section class='lines' aria-labelledby='lines-head'>
      <h2 id='lines-head'>Lines</h2>
      {errorOf('lines') && <p class='field-error' role='alert'>{errorOf('lines')}</p>}
      {rows.length === 0
        ? <p class='muted'>No lines yet.</p>
        : (
          <div class='inv-table-wrap'>
            <table class='inv-table lines-table' data-testid='lines'>
              <thead>
                <tr>
                  <th scope='col'><span class='sr-only'>Line</span></th>
                  {COLUMNS.map((c) => <th key={c.key} scope='col' class={c.numeric ? 'num' : ''}>{c.label}{c.key === 'unit_price' ? ` (${currency || '…'})` : ''}</th>)}
                  <th scope='col' class='num'>Amount</th>
                  {!disabled && <th scope='col'><span class='sr-only'>Actions</span></th>}
                </tr>
              </thead>
              <tbody>
                {rows.map((row, i) => (
                  <tr key={row._key} data-line={i}>
                    <td class='muted small line-amount'>{i + 1}</td>
                    {COLUMNS.map((c) => {
                      const path = `lines[${i}].${c.key}`
                      const id = inputId(path)
                      const error = errorOf(path)
                      return (
                        <td key={c.key} class={(c.key === 'description' ? 'col-desc' : '') + (error ? ' cell-invalid' : '')}>
                          <label for={id} class='sr-only'>{c.label}, line {i + 1}</label>
                          <input
                            id={id}
                            class={c.numeric ? 'num' : ''}
                            inputMode={c.mode}
                            autoComplete='off'
                            disabled={disabled}
                            value={row[c.key]}
                            aria-invalid={error ? 'true' : undefined}
                            aria-describedby={error ? `${id}-err` : undefined}
                            onInput={(e) => onCell(i, c.key, e.currentTarget.value)}
                          />
                          {error && <small id={`${id}-err`} class='field-error'>{error}</small>}
                        </td>
                      )
                    })}
                    <td class='num line-amount' data-testid={`line-amount-${i}`}>{amounts[i] === null || amounts[i] === undefined ? '—' : formatMinor(amounts[i]!, currency)}</td>
                    {!disabled && (
                      <td class='col-actions'>
                        <button type='button' id={`inv-move-up-${i}`} class='btn-icon btn-tiny' aria-label={`Move line ${i + 1} up`} disabled={i === 0} onClick={() => shift(i, i - 1, 'up')}>↑</button>
                        <button type='button' id={`inv-move-down-${i}`} class='btn-icon btn-tiny' aria-label={`Move line ${i + 1} down`} disabled={i === rows.length - 1} onClick={() => shift(i, i + 1, 'down')}>↓</button>
                        <button type='button' class='btn-icon btn-tiny' aria-label={`Remove line ${i + 1}`} onClick={() => remove(i)}>×</button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          )}
      {!disabled && <button type='button' id='inv-add-line' class='btn btn-small' onClick={add}>Add a line</button>}
    </section>
  )
}
