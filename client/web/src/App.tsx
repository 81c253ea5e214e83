import { Icon } from './ui/icons'
import { useEffect, useRef, useState } from 'preact/hooks'
import { lazy, Suspense } from 'preact/compat'
import { path, resolve, navigate, query } from './lib/router'
import { socketEverOpen, me, booted, projects, loadOrg, refreshMe, socketStatus, online, logout, projectsLoading, orgCan, toastError, resendVerification } from './lib/session'
import { Toasts, Spinner, Badge, Avatar, Modal, Field, ErrorBox, useSubmit, Empty } from './ui/common'
import { Login, Signup, ForgotPassword, ResetPassword, VerifyEmail, Unlock, Invitations } from './pages/Auth'
import { pendingInvitationPath } from './lib/pending'
import { DocsList } from './pages/Docs'
import { SharedWithYou } from './pages/portal/SharedWithYou'
import { FilesPage } from './pages/Files'
import { SearchPalette } from './pages/Search'
import { Settings } from './pages/settings/Settings'
import { AuditLog, OrgMembers, OrgSettings, ProjectSettings, RolesPage } from './pages/admin'
import { Integrations } from './pages/integrations/Integrations'
import { Automation } from './pages/automation/Automation'
import { ThreadsPage, ChatHome, ChannelView, NotificationCentre, NewChannelDialog, NewDmDialog, ChannelList } from './pages/chat'
import { threadUnread, loadChat, chatAvailable, unreadNotifications, wireChatEvents } from './chat/store'
import { api } from './lib/api'
import type { Project } from './lib/types'
import { theme, toggleTheme } from './lib/theme'

// The document screen carries the editor (Tiptap, ProseMirror, Yjs): its own chunk.
const DocPage = lazy(() => import('./pages/DocPage'))
// Boards and tasks (drag and drop included): their own chunk too.
const boards = () => import('./pages/boards')
const BoardsList = lazy(() => boards().then((m) => ({ default: m.BoardsList })))
const BoardView = lazy(() => boards().then((m) => ({ default: m.BoardView })))
const TaskList = lazy(() => boards().then((m) => ({ default: m.TaskList })))
const TaskPage = lazy(() => boards().then((m) => ({ default: m.TaskPage })))
const Timesheet = lazy(() => boards().then((m) => ({ default: m.Timesheet })))
// Business records (lists, generated forms, the type designer): their own chunk.
const records = () => import('./pages/records')
const RecordsHome = lazy(() => records().then((m) => ({ default: m.RecordsHome })))
const RecordList = lazy(() => records().then((m) => ({ default: m.RecordList })))
const RecordView = lazy(() => records().then((m) => ({ default: m.RecordView })))
const NewRecord = lazy(() => records().then((m) => ({ default: m.NewRecord })))
const TypeDesigner = lazy(() => records().then((m) => ({ default: m.TypeDesigner })))
const RecordsNav = lazy(() => records().then((m) => ({ default: m.RecordsNav })))
// Invoices (editor with live totals, PDF, send, payments, settings): their own chunk.
const invoices = () => import('./pages/invoices')
const InvoiceList = lazy(() => invoices().then((m) => ({ default: m.InvoiceList })))
const InvoicePage = lazy(() => invoices().then((m) => ({ default: m.InvoicePage })))
const NewInvoice = lazy(() => invoices().then((m) => ({ default: m.NewInvoice })))
const InvoiceSettingsPage = lazy(() => invoices().then((m) => ({ default: m.InvoiceSettingsPage })))
// Clients, a client's page and the deal pipeline with its forecast: their own chunk.
const crm = () => import('./pages/crm')
const ClientList = lazy(() => crm().then((m) => ({ default: m.ClientList })))
const ClientPage = lazy(() => crm().then((m) => ({ default: m.ClientPage })))
const Pipeline = lazy(() => crm().then((m) => ({ default: m.Pipeline })))
// Timesheets (one's week, submitted for approval, and the approvals inbox): their own chunk.
const timesheets = () => import('./pages/timesheets')
const TimesheetWeek = lazy(() => timesheets().then((m) => ({ default: m.TimesheetWeek })))
const Approvals = lazy(() => timesheets().then((m) => ({ default: m.Approvals })))

/** Sections of a project; boards and records join this list with their own screens. */
export const PROJECT_SECTIONS: { key: string, label: string }[] = [
  { key: 'docs', label: 'Documents' },
  { key: 'files', label: 'Files' },
  { key: 'boards', label: 'Boards' },
  { key: 'tasks', label: 'Tasks' }
]

type Screen = (p: Record<string, string>) => any
const publicRoutes: [string, Screen][] = [
  ['/login', () => <Login />],
  ['/signup', () => <Signup />],
  ['/forgot-password', () => <ForgotPassword />],
  ['/reset-password', () => <ResetPassword />]
]
/** Pages of e-mailed links: shown whether or not someone is logged in (each handles both). */
const linkRoutes: [string, Screen][] = [
  ['/verify-email', () => <VerifyEmail />],
  ['/unlock', () => <Unlock />],
  ['/invitations', () => <Invitations />],
  // Invitation e-mails sent before the page moved to /invitations.
  ['/invite', () => <Redirect to={'/invitations' + location.search} />]
]
const appRoutes: [string, Screen][] = [
  ['/', () => <Home />],
  ['/settings', () => <Settings />],
  ['/settings/:tab', (p) => <Settings tab={p.tab} />],
  ['/o/:org', (p) => <OrgHome org={p.org} />],
  ['/o/:org/members', (p) => <OrgMembers org={p.org} />],
  ['/o/:org/settings', (p) => <OrgSettings org={p.org} />],
  ['/o/:org/audit', (p) => <AuditLog org={p.org} />],
  ['/o/:org/settings/integrations', (p) => <Integrations org={p.org} />],
  ['/o/:org/settings/automation', (p) => <Automation org={p.org} />],
  ['/o/:org/roles', (p) => <RolesPage org={p.org} />],
  ['/o/:org/notifications', (p) => <NotificationCentre org={p.org} />],
  ['/o/:org/chat', (p) => <ChatHome org={p.org} />],
  ['/o/:org/threads', (p) => <ThreadsPage org={p.org} />],
  ['/o/:org/chat/:channel', (p) => <ChannelView org={p.org} channel={p.channel} />],
  ['/o/:org/p/:project', (p) => <Redirect to={`/o/${p.org}/p/${p.project}/docs`} />],
  ['/o/:org/p/:project/docs', (p) => <DocsList org={p.org} project={p.project} />],
  ['/o/:org/p/:project/docs/:doc', (p) => <Suspense fallback={<Spinner />}><DocPage key={p.doc} org={p.org} project={p.project} doc={p.doc} /></Suspense>],
  ['/o/:org/p/:project/files', (p) => <FilesPage org={p.org} project={p.project} />],
  ['/o/:org/p/:project/boards', (p) => <Suspense fallback={<Spinner />}><BoardsList org={p.org} project={p.project} /></Suspense>],
  ['/o/:org/p/:project/boards/:board', (p) => <Suspense fallback={<Spinner />}><BoardView key={p.board} org={p.org} project={p.project} board={p.board} /></Suspense>],
  ['/o/:org/p/:project/tasks', (p) => <Suspense fallback={<Spinner />}><TaskList org={p.org} project={p.project} /></Suspense>],
  ['/o/:org/tasks/:task', (p) => <Suspense fallback={<Spinner />}><TaskPage key={p.task} org={p.org} task={p.task} /></Suspense>],
  ['/o/:org/timesheet', (p) => <Suspense fallback={<Spinner />}><Timesheet org={p.org} /></Suspense>],
  ['/o/:org/timesheets', (p) => <Suspense fallback={<Spinner />}><TimesheetWeek org={p.org} /></Suspense>],
  ['/o/:org/timesheets/approvals', (p) => <Suspense fallback={<Spinner />}><Approvals org={p.org} /></Suspense>],
  ['/o/:org/records', (p) => <Suspense fallback={<Spinner />}><RecordsHome org={p.org} /></Suspense>],
  ['/o/:org/records/new-type', (p) => <Suspense fallback={<Spinner />}><TypeDesigner org={p.org} /></Suspense>],
  ['/o/:org/records/:type', (p) => <Suspense fallback={<Spinner />}><RecordList key={p.type} org={p.org} type={p.type} /></Suspense>],
  ['/o/:org/records/:type/new', (p) => <Suspense fallback={<Spinner />}><NewRecord key={p.type} org={p.org} type={p.type} /></Suspense>],
  ['/o/:org/records/:type/design', (p) => <Suspense fallback={<Spinner />}><TypeDesigner key={p.type} org={p.org} type={p.type} /></Suspense>],
  ['/o/:org/records/:type/:record', (p) => <Suspense fallback={<Spinner />}><RecordView key={p.record} org={p.org} type={p.type} record={p.record} /></Suspense>],
  ['/o/:org/invoices', (p) => <Suspense fallback={<Spinner />}><InvoiceList org={p.org} /></Suspense>],
  ['/o/:org/invoices/new', (p) => <Suspense fallback={<Spinner />}><NewInvoice org={p.org} /></Suspense>],
  ['/o/:org/invoices/settings', (p) => <Suspense fallback={<Spinner />}><InvoiceSettingsPage org={p.org} /></Suspense>],
  ['/o/:org/invoices/:invoice', (p) => <Suspense fallback={<Spinner />}><InvoicePage key={p.invoice} org={p.org} id={p.invoice} /></Suspense>],
  ['/o/:org/clients', (p) => <Suspense fallback={<Spinner />}><ClientList org={p.org} /></Suspense>],
  ['/o/:org/clients/:client', (p) => <Suspense fallback={<Spinner />}><ClientPage key={p.client} org={p.org} id={p.client} /></Suspense>],
  ['/o/:org/pipeline', (p) => <Suspense fallback={<Spinner />}><Pipeline org={p.org} /></Suspense>],
  ['/o/:org/p/:project/settings', (p) => <ProjectSettings org={p.org} project={p.project} />]
]

function Redirect ({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to])
  return null
}

export function App () {
  const p = path.value
  if (!booted.value) return <div class='boot'><Spinner /></div>
  const link = resolve(linkRoutes, p)
  if (link) return <>{link.value(link.params)}<Toasts /></>
  const pub = resolve(publicRoutes, p)
  if (pub) {
    if (me.value && p !== '/reset-password') return <Redirect to='/' />
    return <>{pub.value(pub.params)}<Toasts /></>
  }
  if (!me.value) {
    const next = p === '/' ? '' : `?next=${encodeURIComponent(p + location.search)}`
    return <Redirect to={`/login${next}`} />
  }
  const route = resolve(appRoutes, p)
  // Pages outside an organisation (settings, not found) keep the one last worked in: its
  // switcher, search, bell and sidebar stay.
  const org = route?.params.org ?? rememberedOrg()
  return (
    <Shell org={org} project={route?.params.project}>
      {route ? route.value(route.params) : <Empty title='Page not found'><a href='/'>Go to the start page</a></Empty>}
    </Shell>
  )
}

/** The organisation last opened, if the user still belongs to it; else their first. */
function rememberedOrg (): string | undefined {
  const orgs = me.value?.orgs ?? []
  const last = (() => { try { return localStorage.getItem('atrium.org') } catch { return null } })()
  return (orgs.find((o) => o.id === last) ?? orgs[0])?.id
}

function Home () {
  // An invitation opened before logging in (or before verifying) is picked up again.
  const invitation = pendingInvitationPath()
  if (invitation) return <Redirect to={invitation} />
  const target = rememberedOrg()
  if (target && !maybeCreateOrg()) return <Redirect to={`/o/${target}`} />
  return <CreateOrg />
}

function CreateOrg () {
  const [name, setName] = useState('')
  const s = useSubmit()
  async function submit (e: Event) {
    e.preventDefault()
    const org = await s.run(() => api.post<{ id: string }>('/api/v1/orgs', { name }))
    if (org) {
      await refreshMe()
      navigate(`/o/${org.id}`)
    }
  }
  return (
    <section class='page narrow'>
      <h1>Welcome to Atrium</h1>
      <p>Create an organisation for your team to get started. You can invite people once it exists.</p>
      <form onSubmit={submit} class='stack'>
        <Field label='Organisation name' name='name' required value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
        <ErrorBox error={s.fields.name ? null : s.error} />
        <button class='btn btn-primary' disabled={s.pending}>Create organisation</button>
      </form>
    </section>
  )
}

function OrgHome ({ org }: { org: string }) {
  const current = me.value?.orgs.find((o) => o.id === org)
  if (current?.role === 'guest') return <SharedWithYou org={org} orgName={current.name} />
  return <ProjectsHome org={org} />
}

function ProjectsHome ({ org }: { org: string }) {
  const [creating, setCreating] = useState(false)
  // "?new=project" (from places that need a project first) opens the form at once.
  const wantsNew = query.value.get('new') === 'project'
  useEffect(() => { if (wantsNew) setCreating(true) }, [wantsNew])
  const closeNew = () => {
    setCreating(false)
    if (wantsNew) navigate(`/o/${org}`, { replace: true })
  }
  const list = projects.value
  return (
    <section class='page'>
      <div class='page-head'>
        <h1>Projects</h1>
        {orgCan(org)?.write && <button class='btn btn-primary' onClick={() => setCreating(true)}>New project</button>}
      </div>
      {projectsLoading.value && !list.length
        ? <Spinner />
        : list.length === 0
          ? <Empty title='No projects yet'>Projects hold documents and files. <button class='btn-link' onClick={() => setCreating(true)}>Create the first one</button>.</Empty>
          : (
            <ul class='cards'>
              {list.map((p) => (
                <li key={p.id} class='card'>
                  <a href={`/o/${org}/p/${p.id}/docs`} class='card-link'><strong>{p.name}</strong></a>
                  <p class='muted'>{p.description || `${p.visibility === 'private' ? 'Private' : 'Open'} project · you are ${p.role}`}</p>
                </li>
              ))}
            </ul>
            )}
      {creating && <NewProjectDialog org={org} onClose={closeNew} />}
    </section>
  )
}

function NewProjectDialog ({ org, onClose }: { org: string, onClose: () => void }) {
  const [name, setName] = useState('')
  const [visibility, setVisibility] = useState('open')
  const s = useSubmit()
  async function submit (e: Event) {
    e.preventDefault()
    const p = await s.run(() => api.post<Project>(`/api/v1/orgs/${org}/projects`, { name, visibility }))
    if (p) {
      await loadOrg(org, true)
      onClose()
      navigate(`/o/${org}/p/${p.id}/docs`)
    }
  }
  return (
    <Modal title='New project' onClose={onClose}>
      <form onSubmit={submit} class='stack'>
        <Field label='Name' name='name' required value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
        <div class='field'>
          <label for='f-visibility'>Who can see it</label>
          <select id='f-visibility' value={visibility} onChange={(e) => setVisibility(e.currentTarget.value)}>
            <option value='open'>Everyone in the organisation</option>
            <option value='private'>Only its members</option>
          </select>
        </div>
        <ErrorBox error={s.fields.name ? null : s.error} />
        <div class='row-end'><button type='button' class='btn' onClick={onClose}>Cancel</button><button class='btn btn-primary' disabled={s.pending}>Create</button></div>
      </form>
    </Modal>
  )
}

/** Until the address is verified: a reminder, and a way to get a new link. */
function VerifyBanner () {
  const [sending, setSending] = useState(false)
  const m = me.value
  if (!m || m.email_verified) return null
  async function resend () {
    setSending(true)
    await resendVerification()
    setSending(false)
  }
  return (
    <div class='banner banner-info banner-row' role='status' data-testid='verify-banner'>
      <span>Verify your e-mail address: we sent a link to <strong>{m.user.email}</strong>. Until then you cannot join organisations you are invited to.</span>
      <button class='btn btn-small' onClick={resend} disabled={sending}>Resend the link</button>
    </div>
  )
}

function ConnectionBanner () {
  const s = socketStatus.value
  if (!online.value) return <div class='banner banner-warn' role='status'>You are offline. Changes to documents are kept on this device and sent when you reconnect.</div>
  if (s === 'reconnecting' && socketEverOpen.value) return <div class='banner banner-warn' role='status'>Connection lost — reconnecting…</div>
  return null
}

function Shell ({ org, project, children }: { org?: string, project?: string, children: any }) {
  const [searchOpen, setSearchOpen] = useState(false)
  const [navOpen, setNavOpen] = useState(false)
  const [dialog, setDialog] = useState<null | 'channel' | 'dm'>(null)
  const user = me.value!.user
  useEffect(() => { wireChatEvents() }, [])
  useEffect(() => {
    if (!org) return
    try { localStorage.setItem('atrium.org', org) } catch {}
    loadOrg(org)
    loadChat(org)
  }, [org])
  const menu = useRef<HTMLDetailsElement>(null)
  useEffect(() => {
    setNavOpen(false)
    if (menu.current) menu.current.open = false
  }, [path.value])
  // The account menu closes on a click outside it and on Escape (focus back on its button).
  useEffect(() => {
    const onDown = (e: PointerEvent) => {
      const m = menu.current
      if (m?.open && !m.contains(e.target as Node)) m.open = false
    }
    const onKey = (e: KeyboardEvent) => {
      const m = menu.current
      if (e.key !== 'Escape' || !m?.open) return
      m.open = false
      m.querySelector('summary')?.focus()
    }
    document.addEventListener('pointerdown', onDown)
    document.addEventListener('keydown', onKey)
    return () => { document.removeEventListener('pointerdown', onDown); document.removeEventListener('keydown', onKey) }
  }, [])
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault()
        if (org) setSearchOpen(true)
      }
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [org])
  const orgs = me.value!.orgs
  const current = orgs.find((o) => o.id === org)
  const notif = unreadNotifications.value
  return (
    <div class={'shell' + (navOpen ? ' nav-open' : '')}>
      <a class='skip' href='#main'>Skip to content</a>
      <header class='topbar'>
        <button class='btn-icon nav-toggle' aria-label='Menu' aria-expanded={navOpen} onClick={() => setNavOpen(!navOpen)}><Icon name='menu' /></button>
        <a class='brand' href='/'>Atrium</a>
        {orgs.length > 0 && (
          <select class='org-switch' aria-label='Organisation' value={org ?? ''} onChange={(e) => { const v = e.currentTarget.value; if (v === '+') navigate('/?new=org'); else navigate(`/o/${v}`) }}>
            {!org && <option value=''>Choose…</option>}
            {orgs.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
            <option value='+'>+ New organisation…</option>
          </select>
        )}
        <div class='topbar-spacer' />
        {org && (
          <button class='search-button' onClick={() => setSearchOpen(true)} aria-keyshortcuts='Control+K' aria-label='Search (Ctrl+K)'>
            <Icon name='search' size={16} /> <span class='search-label'>Search</span> <kbd>Ctrl K</kbd>
          </button>
        )}
        {org && chatAvailable.value && (
          <a class='btn-icon bell' href={`/o/${org}/notifications`} aria-label={`Notifications${notif ? `, ${notif} unread` : ''}`} data-testid='notifications-bell'>
            <Icon name='bell' /><Badge count={notif} mention />
          </a>
        )}
        <button class='btn-icon' onClick={toggleTheme} aria-label={`Switch to ${theme.value === 'dark' ? 'light' : 'dark'} theme`}><Icon name={theme.value === 'dark' ? 'sun' : 'moon'} /></button>
        <details class='user-menu' ref={menu}>
          <summary aria-label='Account menu'><Avatar id={user.id} name={user.name} /></summary>
          <div class='menu' onClick={() => { if (menu.current) menu.current.open = false }}>
            <div class='menu-head'><strong>{user.name}</strong><span class='muted'>@{user.handle}</span></div>
            <a href='/settings'>Profile and settings</a>
            <a href='/settings/tokens'>API tokens</a>
            <button class='btn-link' onClick={() => logout()}>Log out</button>
          </div>
        </details>
      </header>
      <div class='banners'>
        <VerifyBanner />
        <ConnectionBanner />
      </div>
      <nav class='sidebar' aria-label='Workspace'>
        {org && current && current.role === 'guest'
          ? <GuestNav org={org} project={project} onNewChat={setDialog} />
          : org && current
          ? (
            <>
              <a class={'nav-item' + (path.value === `/o/${org}` ? ' active' : '')} href={`/o/${org}`}>Projects</a>
              {orgCan(org)?.manage && <a class={'nav-item' + (path.value.endsWith('/members') ? ' active' : '')} href={`/o/${org}/members`}>Members</a>}
              {orgCan(org)?.manage && <a class={'nav-item' + (path.value === `/o/${org}/roles` ? ' active' : '')} href={`/o/${org}/roles`}>Roles and permissions</a>}
              <a class={'nav-item' + (path.value === `/o/${org}/settings` ? ' active' : '')} href={`/o/${org}/settings`}>Organisation settings</a>
              {orgCan(org)?.manage && <a class={'nav-item' + (path.value === `/o/${org}/audit` ? ' active' : '')} href={`/o/${org}/audit`}>Audit log</a>}
              {orgCan(org)?.manage && <a class={'nav-item' + (path.value === `/o/${org}/settings/integrations` ? ' active' : '')} href={`/o/${org}/settings/integrations`}>Integrations</a>}
              {(orgCan(org)?.manage || projects.value.some((p) => p.can?.manage)) && <a class={'nav-item' + (path.value === `/o/${org}/settings/automation` ? ' active' : '')} href={`/o/${org}/settings/automation`}>Automation</a>}
              <a class={'nav-item' + (path.value === `/o/${org}/timesheet` ? ' active' : '')} href={`/o/${org}/timesheet`} aria-current={path.value === `/o/${org}/timesheet` ? 'page' : undefined}>Time log</a>
              <a class={'nav-item' + (path.value === `/o/${org}/timesheets` ? ' active' : path.value.startsWith(`/o/${org}/timesheets/`) ? ' active-parent' : '')} href={`/o/${org}/timesheets`} aria-current={path.value === `/o/${org}/timesheets` ? 'page' : undefined}>Timesheets</a>
              <a class={'nav-item' + (path.value === `/o/${org}/records` ? ' active' : path.value.startsWith(`/o/${org}/records/`) ? ' active-parent' : '')} href={`/o/${org}/records`}>Records</a>
              {path.value.startsWith(`/o/${org}/records`) && <Suspense fallback={null}><RecordsNav org={org} /></Suspense>}
              <a class={'nav-item' + (path.value === `/o/${org}/invoices` ? ' active' : path.value.startsWith(`/o/${org}/invoices/`) ? ' active-parent' : '')} href={`/o/${org}/invoices`} aria-current={path.value === `/o/${org}/invoices` ? 'page' : undefined}>Invoices</a>
              <a class={'nav-item' + (path.value === `/o/${org}/clients` ? ' active' : path.value.startsWith(`/o/${org}/clients/`) ? ' active-parent' : '')} href={`/o/${org}/clients`} aria-current={path.value === `/o/${org}/clients` ? 'page' : undefined}>Clients</a>
              <a class={'nav-item' + (path.value === `/o/${org}/pipeline` ? ' active' : '')} href={`/o/${org}/pipeline`} aria-current={path.value === `/o/${org}/pipeline` ? 'page' : undefined}>Pipeline</a>
              <ProjectNav org={org} project={project} sections={PROJECT_SECTIONS} />
              <ChatNav org={org} onNew={setDialog} />
            </>
            )
          : <p class='muted pad'>Choose or create an organisation.</p>}
      </nav>
      <main class='main' id='main' tabIndex={-1}>{children}</main>
      {searchOpen && org && <SearchPalette org={org} project={project} onClose={() => setSearchOpen(false)} />}
      {dialog === 'channel' && org && <NewChannelDialog org={org} onClose={() => setDialog(null)} />}
      {dialog === 'dm' && org && <NewDmDialog org={org} onClose={() => setDialog(null)} />}
      <Toasts />
    </div>
  )
}

/** Project sections a guest is offered: the shared documents and files, not boards and tasks. */
const GUEST_SECTIONS = PROJECT_SECTIONS.filter((s) => s.key === 'docs' || s.key === 'files')

/** The sidebar of a guest (the client portal): what was shared with them, and their chats. */
function GuestNav ({ org, project, onNewChat }: { org: string, project?: string, onNewChat: (d: 'channel' | 'dm') => void }) {
  return (
    <>
      <a class={'nav-item' + (path.value === `/o/${org}` ? ' active' : '')} href={`/o/${org}`} aria-current={path.value === `/o/${org}` ? 'page' : undefined}>Shared with you</a>
      <ProjectNav org={org} project={project} sections={GUEST_SECTIONS} />
      <ChatNav org={org} onNew={onNewChat} />
    </>
  )
}

/** The caller's projects; the open one lists its `sections` (and its settings for managers). */
function ProjectNav ({ org, project, sections }: { org: string, project?: string, sections: typeof PROJECT_SECTIONS }) {
  return (
    <div class='nav-group'>
      <div class='nav-heading'>Projects</div>
      {projects.value.map((p) => (
        <div key={p.id} class='nav-project'>
          <a class={'nav-item' + (project === p.id ? ' active-parent' : '')} href={`/o/${org}/p/${p.id}/docs`}>{p.name}</a>
          {project === p.id && (
            <div class='nav-sub'>
              {sections.map((s) => (
                <a key={s.key} class={'nav-item' + (path.value.startsWith(`/o/${org}/p/${p.id}/${s.key}`) ? ' active' : '')} href={`/o/${org}/p/${p.id}/${s.key}`}>{s.label}</a>
              ))}
              {p.can?.manage && <a class={'nav-item' + (path.value.endsWith('/settings') ? ' active' : '')} href={`/o/${org}/p/${p.id}/settings`}>Members and billing</a>}
            </div>
          )}
        </div>
      ))}
      {!projects.value.length && !projectsLoading.value && <p class='muted small pad'>No projects yet.</p>}
    </div>
  )
}

/** Threads and the channel list, when chat is on for the organisation. */
function ChatNav ({ org, onNew }: { org: string, onNew: (d: 'channel' | 'dm') => void }) {
  if (!chatAvailable.value) return null
  return (
    <>
      <a class={'nav-item' + (path.value.endsWith('/threads') ? ' active' : '')} href={`/o/${org}/threads`}><span class='nav-label'>Threads</span><Badge count={threadUnread.value.mentions || threadUnread.value.unread} mention={threadUnread.value.mentions > 0} /></a>
      <ChannelList org={org} onNew={onNew} />
    </>
  )
}

// Opening "?new=org" from the switcher shows the create form even with orgs.
export function maybeCreateOrg () { return query.value.get('new') === 'org' }
export { toastError }
