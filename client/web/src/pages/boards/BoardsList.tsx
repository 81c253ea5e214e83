// A project's boards, and creating one (its columns typed as a list, each with an optional WIP
// limit, e.g. "To do, In progress:3, Done"; swimlanes optional).
import { useState } from 'preact/hooks'
import { navigate } from '../../lib/router'
import { projects } from '../../lib/session'
import { Empty, ErrorBox, Field, Modal, Spinner, useAsync, useSubmit, useTitle } from '../../ui/common'
import { formatTime } from '../../lib/text'
import { boardsApi } from './api'

export function BoardsList ({ org, project }: { org: string, project: string }) {
  const [creating, setCreating] = useState(false)
  const proj = projects.value.find((p) => p.id === project)
  const writable = proj?.can?.write ?? false
  useTitle(proj ? `Boards · ${proj.name}` : 'Boards')
  const list = useAsync((signal) => boardsApi.list(project, signal), [project])
  return (
    <section class='page'>
      <div class='page-head'>
        <h1>Boards{proj && <span class='muted h-sub'> · {proj.name}</span>}</h1>
        <div class='row'>
          <a class='btn' href={`/o/${org}/p/${project}/tasks`}>Task list</a>
          {writable && <button class='btn btn-primary' onClick={() => setCreating(true)}>New board</button>}
        </div>
      </div>
      <ErrorBox error={list.error} retry={list.reload} />
      {!list.data
        ? (list.error ? null : <Spinner />)
        : !list.data?.items.length
            ? <Empty title='No boards yet'>{writable && <button class='btn-link' onClick={() => setCreating(true)}>Create the first board</button>}</Empty>
            : (
              <ul class='list' data-testid='board-list'>
                {list.data.items.map((b) => (
                  <li key={b.id} class='list-row'>
                    <a class='grow' href={`/o/${org}/p/${project}/boards/${b.id}`}>{b.name}</a>
                    {b.swimlanes && <span class='muted small'>lanes by {b.swimlanes}</span>}
                    <span class='muted small'>{formatTime(b.updated_at)}</span>
                  </li>
                ))}
              </ul>
              )}
      {creating && <NewBoardDialog org={org} project={project} onClose={() => setCreating(false)} />}
    </section>
  )
}

/** "To do, In progress:3, Done" → columns with WIP limits. */
export function parseColumns (text: string): { name: string, wip_limit?: number }[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = /^(.*?):\s*(\d+)$/.exec(s)
    return m ? { name: m[1].trim(), wip_limit: Number(m[2]) } : { name: s }
  })
}

function NewBoardDialog ({ org, project, onClose }: { org: string, project: string, onClose: () => void }) {
  const [name, setName] = useState('')
  const [columns, setColumns] = useState('')
  const [swimlanes, setSwimlanes] = useState('')
  const s = useSubmit()
  async function submit (e: Event) {
    e.preventDefault()
    const cols = parseColumns(columns)
    const b = await s.run(() => boardsApi.create(project, { name, ...(cols.length ? { columns: cols } : {}), ...(swimlanes ? { swimlanes } : {}) }))
    if (b) { onClose(); navigate(`/o/${org}/p/${project}/boards/${b.id}`) }
  }
  const columnError = Object.entries(s.fields).find(([k]) => k.startsWith('columns'))?.[1]
  return (
    <Modal title='New board' onClose={onClose}>
      <form onSubmit={submit} class='stack'>
        <Field label='Name' name='board-name' required value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
        <Field label='Columns' name='board-columns' value={columns} placeholder='Backlog, To do, In progress:3, Done' hint='Separated by commas; ":3" sets a WIP limit. Empty: Backlog, To do, In progress, Done.' onInput={(e) => setColumns(e.currentTarget.value)} error={columnError} />
        <div class='field'>
          <label for='f-swimlanes'>Swimlanes</label>
          <select id='f-swimlanes' value={swimlanes} onChange={(e) => setSwimlanes(e.currentTarget.value)}>
            <option value=''>None</option>
            <option value='assignee'>By assignee</option>
            <option value='priority'>By priority</option>
            <option value='label'>By label</option>
          </select>
        </div>
        <ErrorBox error={s.fields.name || columnError ? null : s.error} />
        <div class='row-end'><button type='button' class='btn' onClick={onClose}>Cancel</button><button class='btn btn-primary' disabled={s.pending}>Create</button></div>
      </form>
    </Modal>
  )
}
