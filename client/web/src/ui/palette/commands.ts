// The palette's commands (issue 21): what each one does, and the steps some ask for
// (which project, which board, which channel, the new item's title). They call the same
// API helpers and signals the navigation, the org switcher and the theme button use.
import { api } from '../../lib/api'
import { navigate } from '../../lib/router'
import { me, projects } from '../../lib/session'
import { channels, chatAvailable } from '../../chat/store'
import { theme, toggleTheme } from '../../lib/theme'
import { boardsApi } from '../../pages/boards/api'
import type { Doc, Project } from '../../lib/types'
import type { Rankable } from './rank'
import { recentVisits } from './recent'

/** One option of the palette: running it closes the palette, or returns the next step. */
export interface PaletteEntry extends Rankable {
  id: string
  /** Shown beside the label, muted (a channel's project, the current theme). */
  hint?: string
  run: () => void | PaletteStep | Promise<void | PaletteStep>
}

/**
 * A second step: either entries to choose from (given or loaded) or, with `create`, a title
 * to type — the one option then offers to create the item with what was typed.
 */
export interface PaletteStep {
  /** What the step asks, as the input's accessible name and the breadcrumb. */
  title: string
  placeholder: string
  entries?: () => PaletteEntry[] | Promise<PaletteEntry[]>
  /** What is made from the typed text, and how; rejects with the server's message. */
  create?: { noun: string, run: (title: string) => Promise<void> }
}

export interface PaletteContext { org: string, project?: string }

function pickProject (title: string, then: (p: Project) => PaletteStep | undefined): PaletteStep {
  return {
    title,
    placeholder: 'Project…',
    entries: () => projects.value.filter((p) => p.can?.write !== false).map((p) => ({ id: `project-${p.id}`, label: p.name, run: () => then(p) }))
  }
}

function newDocument (org: string, p: Project): PaletteStep {
  return {
    title: `New document in ${p.name}`,
    placeholder: 'Title of the document',
    create: {
      noun: 'document',
      run: async (title) => {
        const d = await api.post<Doc>(`/api/v1/projects/${p.id}/docs`, { title })
        navigate(`/o/${org}/p/${p.id}/docs/${d.id}`)
      }
    }
  }
}

function newTaskOnBoard (org: string, board: { id: string, name: string }): PaletteStep {
  return {
    title: `New task on ${board.name}`,
    placeholder: 'Title of the task',
    create: {
      noun: 'task',
      run: async (title) => {
        const t = await boardsApi.createTask(board.id, { title })
        navigate(`/o/${org}/tasks/${t.id}`)
      }
    }
  }
}

function pickBoard (org: string, p: Project): PaletteStep {
  return {
    title: `Board in ${p.name}`,
    placeholder: 'Board…',
    entries: async () => {
      const r = await boardsApi.list(p.id)
      return r.items.map((b) => ({ id: `board-${b.id}`, label: b.name, run: () => newTaskOnBoard(org, b) }))
    }
  }
}

function channelEntries (org: string): PaletteEntry[] {
  const projectName = (id?: string | null) => projects.value.find((p) => p.id === id)?.name
  return channels.value
    .filter((c) => c.kind === 'channel' && !c.archived)
    .map((c) => ({ id: `channel-${c.id}`, label: `#${c.name}`, keywords: [c.name], hint: projectName(c.project_id), run: () => navigate(`/o/${org}/chat/${c.id}`) }))
}

/**
 * Quick navigation, offered with the commands once something is typed: the user's projects
 * and channels by name (the lists the sidebar shows), so "Go to…" needs no second step.
 */
export function quickNavigation (org: string): PaletteEntry[] {
  return [
    ...projects.value.map((p) => ({ id: `nav-project-${p.id}`, label: p.name, hint: 'Project', run: () => navigate(`/o/${org}/p/${p.id}/docs`) })),
    ...(chatAvailable.value ? channelEntries(org).map((e) => ({ ...e, id: `nav-${e.id}`, hint: e.hint ? `Channel in ${e.hint}` : 'Channel' })) : [])
  ]
}

/** The places visited lately in `org` (see `recent.ts`), newest first. */
export function recentPlaces (org: string): PaletteEntry[] {
  return recentVisits(org).map((v) => ({ id: `recent-${v.path}`, label: v.title, hint: 'Recently visited', run: () => navigate(v.path) }))
}

/** The palette's commands for where the user is (an org, perhaps a project). */
export function paletteCommands ({ org, project }: PaletteContext): PaletteEntry[] {
  const current = projects.value.find((p) => p.id === project)
  const writable = current && current.can?.write !== false ? current : undefined
  const commands: PaletteEntry[] = [
    {
      id: 'new-document',
      label: 'New document',
      hint: writable?.name,
      keywords: ['create document', 'add page'],
      run: () => writable ? newDocument(org, writable) : pickProject('New document in…', (p) => newDocument(org, p))
    },
    {
      id: 'new-task',
      label: 'New task',
      hint: writable?.name,
      keywords: ['create task', 'add card'],
      run: () => writable ? pickBoard(org, writable) : pickProject('New task in…', (p) => pickBoard(org, p))
    },
    {
      id: 'go-project',
      label: 'Go to project…',
      keywords: ['open project'],
      run: () => ({
        title: 'Go to project',
        placeholder: 'Project…',
        entries: () => projects.value.map((p) => ({ id: `project-${p.id}`, label: p.name, run: () => navigate(`/o/${org}/p/${p.id}/docs`) }))
      })
    }
  ]
  if (chatAvailable.value) {
    commands.push({
      id: 'go-channel',
      label: 'Go to channel…',
      keywords: ['open channel', 'chat'],
      run: () => ({
        title: 'Go to channel',
        placeholder: 'Channel…',
        entries: () => channelEntries(org)
      })
    })
  }
  if (current) {
    commands.push({ id: 'files', label: 'Go to files', hint: current.name, keywords: ['search files', 'upload'], run: () => navigate(`/o/${org}/p/${current.id}/files`) })
  }
  commands.push(
    {
      id: 'switch-org',
      label: 'Switch organisation…',
      keywords: ['change organisation', 'organization', 'workspace'],
      run: () => ({
        title: 'Switch organisation',
        placeholder: 'Organisation…',
        entries: () => [
          ...me.value!.orgs.filter((o) => o.id !== org).map((o) => ({ id: `org-${o.id}`, label: o.name, run: () => navigate(`/o/${o.id}`) })),
          // The topbar switcher's "+ New organisation…" does the same.
          { id: 'org-new', label: 'New organisation…', run: () => navigate('/?new=org') }
        ]
      })
    },
    {
      id: 'toggle-theme',
      label: 'Toggle theme',
      hint: `Switch to ${theme.value === 'dark' ? 'light' : 'dark'}`,
      keywords: ['dark mode', 'light mode'],
      run: () => toggleTheme()
    },
    { id: 'settings', label: 'Settings', hint: 'Profile and settings', keywords: ['profile', 'preferences', 'account'], run: () => navigate('/settings') },
    { id: 'org-settings', label: 'Organisation settings', keywords: ['settings'], run: () => navigate(`/o/${org}/settings`) }
  )
  return commands
}
