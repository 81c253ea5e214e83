import { Profile } from './Profile'
import { Security } from './Security'
import { Tokens } from './Tokens'
import { NotificationPrefs } from './Notifications'

const TABS = [
  { key: 'profile', label: 'Profile' },
  { key: 'security', label: 'Security' },
  { key: 'tokens', label: 'API tokens' },
  { key: 'notifications', label: 'Notifications' }
]

export function Settings ({ tab = 'profile' }: { tab?: string }) {
  return (
    <section class='page'>
      <h1>Settings</h1>
      <nav class='tabs' aria-label='Settings'>
        {TABS.map((t) => <a key={t.key} href={`/settings/${t.key}`} class={'tab' + (t.key === tab ? ' active' : '')} aria-current={t.key === tab ? 'page' : undefined}>{t.label}</a>)}
      </nav>
      {tab === 'profile' && <Profile />}
      {tab === 'security' && <Security />}
      {tab === 'tokens' && <Tokens />}
      {tab === 'notifications' && <NotificationPrefs />}
    </section>
  )
}
