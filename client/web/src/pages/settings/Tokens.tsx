import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { me, toastError } from '../../lib/session'
import type { Project, TokenInfo } from '../../lib/types'
import { Empty, ErrorBox, Field, SecretOnce, Spinner, useAsync, useSubmit, confirmDialog } from '../../ui/common'
import { formatDate, formatTime } from '../../lib/text'
import { AREAS, describeScopes, scopesOf, type Area, type AreaAccess } from './tokenScopes'
import './tokens.css'

/** API tokens: create (shown once) with full or limited access, list, revoke. */
export function Tokens () {
  const list = useAsync((signal) => api.get<{ items: TokenInfo[] }>('/api/v1/me/tokens', { signal }), [])
  const [name, setName] = useState('')
  const [days, setDays] = useState('')
  const [limited, setLimited] = useState(false)
  const [org, setOrg] = useState('')
  const [project, setProject] = useState('')
  const [access, setAccess] = useState<Partial<Record<Area, AreaAccess>>>({})
  const [created, setCreated] = useState<string | null>(null)
  const s = useSubmit()
  const orgs = me.value?.orgs ?? []
  const projects = useAsync(
    (signal) => org ? api.get<{ items: Project[] }>(`/api/v1/orgs/${org}/projects`, { signal }) : Promise.resolve({ items: [] as Project[] }),
    [org]
  )
  const scopes = scopesOf(access)

  async function create (e: Event) {
    e.preventDefault()
    const limits = limited ? { scopes, ...(org ? { org } : {}), ...(project ? { project } : {}) } : {}
    const r = await s.run(() => api.post<{ token: string }>('/api/v1/me/tokens', { name, ...(days ? { expires_in_days: Number(days) } : {}), ...limits }))
    if (r) { setCreated(r.token); setName(''); setAccess({}); list.reload() }
  }
  async function revoke (t: TokenInfo) {
    if (!await confirmDialog({ title: `Revoke the token “${t.name}”?`, message: 'Programs using it stop working at once.', action: 'Revoke', danger: true })) return
    try { await api.del(`/api/v1/me/tokens/${t.id}`); list.reload() } catch (e) { toastError(e) }
  }
  const orgName = (id: string) => orgs.find((o) => o.id === id)?.name ?? 'another organisation'
  return (
    <div class='stack'>
      <p>API tokens let programs use Atrium as you, with <code>Authorization: Bearer …</code>. Give an integration only what it needs: limit a token to some areas, one organisation or one project.</p>
      <form class='stack' onSubmit={create} aria-label='New API token'>
        <fieldset class='stack settings-group token-access'>
          <legend>Access</legend>
          <label class='check'><input type='radio' name='token-access' checked={!limited} onChange={() => setLimited(false)} /> Everything I can do</label>
          <label class='check'><input type='radio' name='token-access' checked={limited} onChange={() => setLimited(true)} /> Only what I choose</label>
          {limited && (
            <div class='stack'>
              <div class='row wrap'>
                <div class='field'>
                  <label for='token-org'>Limit to organisation</label>
                  <select id='token-org' value={org} onChange={(e) => { setOrg(e.currentTarget.value); setProject('') }}>
                    <option value=''>Any of mine</option>
                    {orgs.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
                  </select>
                </div>
                <div class={'field' + (s.fields.project ? ' field-invalid' : '')}>
                  <label for='token-project'>Limit to project</label>
                  <select id='token-project' aria-describedby={s.fields.project ? 'token-project-err' : undefined} value={project} disabled={!org} onChange={(e) => setProject(e.currentTarget.value)}>
                    <option value=''>{org ? 'The whole organisation' : 'Choose an organisation first'}</option>
                    {(projects.data?.items ?? []).map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
                  </select>
                  {s.fields.project && <small id='token-project-err' class='field-error' role='alert'>{s.fields.project}</small>}
                </div>
              </div>
              <table class='token-scopes'>
                <caption class='sr-only'>Access per area</caption>
                <thead><tr><th scope='col'>Area</th><th scope='col'>Access</th></tr></thead>
                <tbody>
                  {AREAS.map((a) => (
                    <tr key={a.id}>
                      <th scope='row'><label for={`scope-${a.id}`}>{a.label}</label></th>
                      <td>
                        <select id={`scope-${a.id}`} value={access[a.id] ?? 'none'} onChange={(e) => setAccess({ ...access, [a.id]: e.currentTarget.value as AreaAccess })}>
                          <option value='none'>No access</option>
                          <option value='read'>Read</option>
                          <option value='write'>Read and write</option>
                        </select>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {s.fields.scopes && <small class='field-error' role='alert'>{s.fields.scopes}</small>}
              {!scopes.length && <small class='hint'>Choose at least one area.</small>}
            </div>
          )}
        </fieldset>
        <div class='row wrap'>
          <Field label='Token name' name='token-name' value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
          <Field label='Expires in days (optional)' name='token-days' type='number' min={1} value={days} onInput={(e) => setDays(e.currentTarget.value)} error={s.fields.expires_in_days} />
          <button class='btn btn-primary' disabled={s.pending || (limited && !scopes.length)}>Create token</button>
        </div>
      </form>
      <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
      {created && <SecretOnce what='token' value={created} testId='new-token' />}
      {list.error && <ErrorBox error={list.error} retry={list.reload} />}
      {!list.data
        ? (list.error ? null : <Spinner />)
        : !list.data.items.length
            ? <Empty title='No API tokens' />
            : (
              <ul class='list'>
                {list.data.items.map((t) => (
                  <li key={t.id} class='list-row' data-testid='token-row'>
                    <span class='grow token-name'>
                      <span>{t.name}</span>
                      <span class='muted small' data-testid='token-scopes'>
                        {describeScopes(t.scopes)}
                        {t.org ? ` · ${orgName(t.org)}${t.project ? ', one project' : ''}` : ''}
                      </span>
                    </span>
                    <span class='muted small'>
                      created {formatTime(t.created_at)} · last used {formatTime(t.last_seen_at)}
                      {t.expires_at ? ` · expires ${formatDate(t.expires_at)}` : ''}
                    </span>
                    <button class='btn btn-small btn-danger' onClick={() => revoke(t)}>Revoke</button>
                  </li>
                ))}
              </ul>
              )}
    </div>
  )
}
