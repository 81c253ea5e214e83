import { api } from '../../lib/api'
import { projects, toastError } from '../../lib/session'
import type { TokenInfo } from '../../lib/types'
import { formatDate, formatTime } from '../../lib/text'
import { Empty, ErrorBox, Spinner, confirmDialog, useAsync } from '../../ui/common'
import { describeScopes } from '../settings/tokenScopes'

/**
 * The organisation's API tokens (those bound to it, whoever made them), for its admins: what
 * each may reach, its owner and last use, and revocation that holds from the next request.
 */
export function OrgTokens ({ org }: { org: string }) {
  const list = useAsync((signal) => api.get<{ items: TokenInfo[] }>(`/api/v1/orgs/${org}/tokens`, { signal }), [org])
  async function revoke (t: TokenInfo) {
    const ok = await confirmDialog({
      title: `Revoke the token “${t.name}”?`,
      message: `${t.user?.name ?? 'Its owner'}’s integration using it stops working at once.`,
      action: 'Revoke',
      danger: true
    })
    if (!ok) return
    try { await api.del(`/api/v1/orgs/${org}/tokens/${t.id}`); list.reload() } catch (e) { toastError(e) }
  }
  const projectName = (id: string) => projects.value.find((p) => p.id === id)?.name ?? 'a project'
  return (
    <section class='stack' aria-labelledby='org-tokens-title'>
      <h2 id='org-tokens-title'>API tokens</h2>
      <p class='muted'>Tokens members made for this organisation (in Settings → API tokens, limited to it). Revoke one that is no longer needed or was shared too widely.</p>
      {list.error && <ErrorBox error={list.error} retry={list.reload} />}
      {!list.data
        ? (list.error ? null : <Spinner />)
        : !list.data.items.length
            ? <Empty title='No tokens are limited to this organisation' />
            : (
              <ul class='list' aria-label='API tokens of the organisation'>
                {list.data.items.map((t) => (
                  <li key={t.id} class='list-row' data-testid='org-token'>
                    <span class='grow stack'>
                      <strong>{t.name}</strong>
                      <span class='muted small'>
                        {t.user ? `${t.user.name} (@${t.user.handle})` : ''}
                        {' · '}{describeScopes(t.scopes)}
                        {t.project ? ` · project ${projectName(t.project)}` : ''}
                      </span>
                    </span>
                    <span class='muted small'>
                      last used {formatTime(t.last_seen_at)}{t.expires_at ? ` · expires ${formatDate(t.expires_at)}` : ''}
                    </span>
                    <button type='button' class='btn btn-small btn-danger' onClick={() => revoke(t)}>Revoke</button>
                  </li>
                ))}
              </ul>
              )}
    </section>
  )
}
