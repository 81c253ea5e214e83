import { useEffect, useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { me, toast, toastError, userById } from '../../lib/session'
import type { NotifyLevel, NotificationSettings } from '../../lib/types'
import { Empty, ErrorBox, Spinner, useAsync } from '../../ui/common'
import { channels, channelLabel, chatAvailable, chatOrg, channelsLoading, loadChat } from '../../chat/store'

/** The e-mail digest switch and each channel's notification level. */
export function NotificationPrefs () {
  return (
    <div class='stack'>
      <DigestSetting />
      <ChannelLevels />
    </div>
  )
}

/** The account-wide e-mail digest switch (`/api/v1/me/notification-settings`). */
function DigestSetting () {
  const settings = useAsync((signal) => api.get<NotificationSettings>('/api/v1/me/notification-settings', { signal }), [])
  const [saving, setSaving] = useState(false)
  async function set (on: boolean) {
    setSaving(true)
    const before = settings.data
    settings.setData(() => ({ email_digest: on }))
    try {
      const saved = await api.put<NotificationSettings>('/api/v1/me/notification-settings', { email_digest: on })
      settings.setData(() => saved)
      toast(saved.email_digest ? 'You will get an e-mail digest of what you miss' : 'E-mail digest turned off', 'success')
    } catch (e) {
      settings.setData(() => before ?? { email_digest: !on })
      toastError(e)
    } finally { setSaving(false) }
  }
  return (
    <section class='stack' aria-labelledby='digest-heading'>
      <h2 id='digest-heading'>E-mail</h2>
      <ErrorBox error={settings.error} retry={settings.reload} />
      {!settings.data
        ? (settings.error ? null : <Spinner />)
        : settings.data && (
          <label class='check'>
            <input type='checkbox' name='email-digest' checked={settings.data.email_digest} disabled={saving} onChange={(e) => set(e.currentTarget.checked)} />
            {' '}E-mail me a digest of what I miss while offline
          </label>
          )}
      <p class='muted small'>This applies to your whole account, in every organisation.</p>
    </section>
  )
}

function ChannelLevels () {
  const [saving, setSaving] = useState<string | null>(null)
  const orgs = me.value?.orgs ?? []
  // Settings has no org in its address: show the channels of the org last used.
  useEffect(() => {
    if (chatOrg.value || !orgs.length) return
    let last: string | null = null
    try { last = localStorage.getItem('atrium.org') } catch {}
    loadChat((orgs.find((o) => o.id === last) ?? orgs[0]).id)
  }, [])
  if (!chatAvailable.value) return <Empty title='Per-channel notifications arrive with chat' />
  const list = channels.value
  const orgName = orgs.find((o) => o.id === chatOrg.value)?.name
  async function set (id: string, level: NotifyLevel) {
    setSaving(id)
    try {
      await api.put(`/api/v1/channels/${id}/notify`, { level })
      channels.value = channels.value.map((c) => c.id === id ? { ...c, notify: level } : c)
    } catch (e) { toastError(e) } finally { setSaving(null) }
  }
  return (
    <section class='stack' aria-labelledby='levels-heading'>
      <h2 id='levels-heading'>Channels{orgName ? ` in ${orgName}` : ''}</h2>
      <p>Choose, per channel, what raises a notification. Mentions and direct messages always count as unread.</p>
      {channelsLoading.value && !list.length
        ? <Spinner />
        : !list.length
        ? <Empty title='No channels in this organisation yet' />
        : (
          <ul class='list'>
            {list.map((c) => (
              <li key={c.id} class='list-row'>
                <label class='grow' for={`notify-${c.id}`}>{c.kind === 'dm' ? '' : '#'}{channelLabel(c, me.value?.user.id, userById.value)}</label>
                <select id={`notify-${c.id}`} value={c.notify} disabled={saving === c.id} onChange={(e) => set(c.id, e.currentTarget.value as NotifyLevel)}>
                  <option value='all'>Every message</option>
                  <option value='mentions'>Mentions only</option>
                  <option value='none'>Nothing</option>
                </select>
              </li>
            ))}
          </ul>
          )}
    </section>
  )
}
