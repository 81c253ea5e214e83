// The client portal: what a guest of an organisation lands on. Guests see only the projects
// they were added to (the server decides that); this page gathers the documents of those
// projects in one place — by project, in each project's page order — with what the guest may
// do with them and a PDF of each to keep. The rest of the workspace (records, invoices,
// timesheets, the pipeline) is for the organisation's own people and is not offered.
import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { projects, projectsLoading } from '../../lib/session'
import type { Doc, Project } from '../../lib/types'
import { formatTime, plural } from '../../lib/text'
import { Empty, ErrorBox, Spinner, useAsync, useTitle } from '../../ui/common'
import { buildTree, type DocNode } from '../docs/tree'
import './portal.css'

interface Shared { project: Project, docs: Doc[] }

/** What the guest's project role lets them do with its documents, in words. */
export function accessWords (role: Project['role']): string {
  switch (role) {
    case 'manager':
    case 'editor': return 'You can edit these documents.'
    case 'commenter': return 'You can read and comment on these documents.'
    default: return 'You can read these documents.'
  }
}

export function SharedWithYou ({ org, orgName }: { org: string, orgName: string }) {
  useTitle(`Shared with you · ${orgName}`)
  const [filter, setFilter] = useState('')
  const readable = projects.value.filter((p) => p.can?.read !== false)
  const shared = useAsync(async (signal): Promise<Shared[]> => Promise.all(readable.map(async (project) => {
    const docs = await api.get<{ items: Doc[] }>(`/api/v1/projects/${project.id}/docs`, { signal })
    return { project, docs: docs.items }
  })), [org, readable.map((p) => p.id).join()])
  const needle = filter.trim().toLowerCase()
  const total = (shared.data ?? []).reduce((n, s) => n + s.docs.length, 0)
  return (
    <section class='page portal' aria-labelledby='portal-title'>
      <div class='page-head'>
        <div>
          <h1 id='portal-title'>Shared with you</h1>
          <p class='muted'>Documents {orgName} has shared with you.</p>
        </div>
      </div>
      {total > 8 && (
        <div class='field portal-filter'>
          <label for='portal-filter'>Find a document</label>
          <input id='portal-filter' type='search' value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </div>
      )}
      {shared.error
        ? <ErrorBox error={shared.error} retry={shared.reload} />
        : (projectsLoading.value && !readable.length) || (!shared.data && shared.loading)
            ? <Spinner />
            : total === 0
              ? <Empty title='Nothing shared with you yet'>When {orgName} shares a document with you, it appears here, and you get an e-mail if someone mentions you in it.</Empty>
              : (shared.data ?? []).filter((s) => s.docs.length).map((s) => (
                <ProjectDocs key={s.project.id} org={org} shared={s} needle={needle} />
                ))}
    </section>
  )
}

function ProjectDocs ({ org, shared, needle }: { org: string, shared: Shared, needle: string }) {
  const { project, docs } = shared
  const headingId = `portal-project-${project.id}`
  const tree = buildTree(docs)
  const shown = needle ? docs.filter((d) => (d.title || 'Untitled').toLowerCase().includes(needle)) : null
  if (shown && !shown.length) return null
  return (
    <section class='portal-project' aria-labelledby={headingId} data-project={project.id}>
      <h2 id={headingId}>{project.name}</h2>
      <p class='muted small'>{plural(docs.length, 'document', 'documents')} · {accessWords(project.role)}</p>
      <ul class='portal-docs'>
        {shown
          ? shown.map((d) => <DocRow key={d.id} org={org} doc={d} />)
          : tree.map((n) => <DocBranch key={n.doc.id} org={org} node={n} />)}
      </ul>
    </section>
  )
}

function DocBranch ({ org, node }: { org: string, node: DocNode }) {
  return (
    <DocRow org={org} doc={node.doc}>
      {node.children.length > 0 && (
        <ul class='portal-docs'>
          {node.children.map((c) => <DocBranch key={c.doc.id} org={org} node={c} />)}
        </ul>
      )}
    </DocRow>
  )
}

function DocRow ({ org, doc, children }: { org: string, doc: Doc, children?: ComponentChildren }) {
  const title = doc.title || 'Untitled'
  return (
    <li data-doc={doc.id}>
      <div class='portal-doc'>
        <a class='portal-doc-title' href={`/o/${org}/p/${doc.project_id}/docs/${doc.id}`}>{title}</a>
        <span class='muted small'>updated {formatTime(doc.updated_at)}</span>
        <a class='btn btn-small' href={`/api/v1/docs/${doc.id}/export?format=pdf`} download aria-label={`Download ${title} as PDF`}>PDF</a>
      </div>
      {children}
    </li>
  )
}
