// Names of linked records for list cells: a link field holds the other record's id, which
// people cannot read. Names are fetched once per id (the other record, as the caller may see
// it) and kept for the session; an id the caller cannot read stays an id.
import { useEffect, useState } from 'preact/hooks'
import type { BizRecord, FieldDef } from '../../lib/types'
import { recordsApi } from './api'

const known = new Map<string, string>()
const asked = new Set<string>()

export function useLinkNames (items: BizRecord[], fields: FieldDef[]): (id: string) => string | undefined {
  const [, setTick] = useState(0)
  const links = fields.filter((f) => f.type === 'link')
  const ids = [...new Set(items.flatMap((r) => links.map((f) => r[f.name]).filter((v): v is string => typeof v === 'string')))]
  const missing = ids.filter((id) => !asked.has(id))
  useEffect(() => {
    if (!missing.length) return
    for (const id of missing) asked.add(id)
    Promise.all(missing.map((id) => recordsApi.get(id).then((r) => { known.set(id, r.name) }, () => {})))
      .then(() => setTick((n) => n + 1))
  }, [missing.join(',')])
  return (id) => known.get(id)
}
