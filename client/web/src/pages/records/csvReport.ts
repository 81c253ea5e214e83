// The errors of a refused CSV import (422 `fields`: `rows[3].fee`, `rows[4]`, `header.colour`,
// `rows`) as a report per row and column, rows in order, for the table the import dialog shows.

export interface RowError { row: number, column: string | null, message: string }
export interface ImportReport { rows: RowError[], general: string[] }

export function importReport (fields: Record<string, string>): ImportReport {
  const rows: RowError[] = []
  const general: string[] = []
  for (const [key, message] of Object.entries(fields)) {
    const m = /^rows\[(\d+)\](?:\.(.+))?$/.exec(key)
    if (m) rows.push({ row: Number(m[1]), column: m[2] ?? null, message })
    else if (key.startsWith('header.')) general.push(`Column “${key.slice('header.'.length)}” ${message}`)
    else general.push(`${key} ${message}`)
  }
  rows.sort((a, b) => a.row - b.row || (a.column ?? '').localeCompare(b.column ?? ''))
  return { rows, general }
}
