import { useState } from 'preact/hooks'
import { orgCan, projects, projectsLoading, toast, toastError } from '../../lib/session'
import { typesApi } from '../records/api'
import { Empty, ErrorBox, Spinner, confirmDialog, useAsync, useTitle } from '../../ui/common'
import { DryRun } from './DryRun'
import { EmailTemplates } from './EmailTemplates'
import { RuleForm } from './RuleForm'
import { RunLog } from './RunLog'
import { describeTrigger } from './describe'
import { deleteRule, listRules, listTemplates, updateRule, type AutomationRule } from './api'
import './automation.css'

/**
 * Settings → Automation: the organisation's rules (owners and admins; project managers see and
 * make their projects' rules) with their trigger in words, an active switch, the editor, the
 * dry run and each rule's run log; and the organisation's e-mail templates (owners and admins).
 */
export function Automation ({ org }: { org: string }) {
  useTitle('Automation')
  const orgWide = !!orgCan(org)?.manage
  // Owners and admins see every rule; a project manager the rules of each project they manage.
  const managed = projects.value.filter((p) => p.can?.manage).map((p) => p.id)
  const rules = useAsync(async (signal) => {
    if (orgWide) return (await listRules(org, undefined, signal)).items
    const pages = await Promise.all(managed.map((p) => listRules(org, p, signal)))
    return pages.flatMap((page) => page.items).sort((a, b) => a.created_at - b.created_at)
  }, [org, orgWide, managed.join()])
  // Only owners and admins keep (and may list) the templates; project managers name one.
  const templates = useAsync((signal) => orgWide ? listTemplates(org, signal).then((r) => r.items) : Promise.resolve([]), [org, orgWide])
  const types = useAsync((signal) => typesApi.list(org, signal).then((r) => r.items).catch(() => []), [org])
  const [editing, setEditing] = useState<AutomationRule | 'new' | null>(null)
  const [trying, setTrying] = useState<AutomationRule | null>(null)
  const [shown, setShown] = useState<string | null>(null)

  const typeNames = Object.fromEntries((types.data ?? []).map((t) => [t.slug, t.name]))
  const projectName = (id?: string | null) => projects.value.find((p) => p.id === id)?.name ?? id

  async function toggle (r: AutomationRule) {
    try {
      const saved = await updateRule(r.id, { active: !r.active })
      rules.setData((list) => (list ?? []).map((x) => (x.id === saved.id ? saved : x)))
      toast(saved.active ? 'Rule activated' : 'Rule paused', 'success')
    } catch (e) { toastError(e) }
  }
  async function remove (r: AutomationRule) {
    const ok = await confirmDialog({ title: 'Delete this rule?', message: `“${r.name}” stops running, and its run log is deleted.`, action: 'Delete rule', danger: true })
    if (!ok) return
    try { await deleteRule(r.id); toast('Rule deleted', 'success'); rules.reload() } catch (e) { toastError(e) }
  }

  if (orgCan(org) && !orgWide && !managed.length && !projectsLoading.value) {
    return <section class='page'><h1>Automation</h1><Empty title='Only the organisation’s owners and admins, and project managers, set up automation' /></section>
  }
  return (
    <section class='page'>
      <div class='page-head row'>
        <h1 class='grow'>Automation</h1>
        <button type='button' class='btn btn-primary' onClick={() => setEditing('new')}>New rule</button>
      </div>
      <p class='muted'>Rules do routine work when something happens, on a schedule or before tasks are due: they run moments after the change, as their author, and each run is logged.</p>
      {!rules.data
        ? (rules.error ? <ErrorBox error={rules.error} retry={rules.reload} /> : <Spinner />)
        : !rules.data.length
            ? <Empty title='No rules yet' />
            : (
              <ul class='list' aria-label='Rules'>
                {rules.data.map((r) => (
                  <li key={r.id} class='stack card' data-testid='rule'>
                    <div class='row wrap'>
                      <div class='grow stack automation-tight'>
                        <strong>{r.name}</strong>
                        <span class='muted small' data-testid='rule-trigger'>
                          {describeTrigger(r.trigger, typeNames)}
                          {r.conditions.length ? ` · ${r.conditions.length} ${r.conditions.length === 1 ? 'condition' : 'conditions'}` : ''}
                          {` · ${r.actions.length} ${r.actions.length === 1 ? 'action' : 'actions'}`}
                          {' · '}{r.project ? `project ${projectName(r.project)}` : 'whole organisation'}
                        </span>
                      </div>
                      <div class='check'>
                        <input type='checkbox' role='switch' id={`rule-active-${r.id}`} checked={r.active} onChange={() => toggle(r)} />
                        <label for={`rule-active-${r.id}`}><span class='sr-only'>{r.name}: </span>Active</label>
                      </div>
                    </div>
                    <div class='row wrap'>
                      <button type='button' class='btn btn-small' aria-expanded={shown === r.id} onClick={() => setShown(shown === r.id ? null : r.id)}>{shown === r.id ? 'Hide runs' : 'Runs'}</button>
                      <button type='button' class='btn btn-small' onClick={() => setTrying(r)}>Dry run</button>
                      <button type='button' class='btn btn-small' onClick={() => setEditing(r)}>Edit</button>
                      <button type='button' class='btn btn-small btn-danger' onClick={() => remove(r)}>Delete</button>
                    </div>
                    {shown === r.id && <RunLog org={org} rule={r} />}
                  </li>
                ))}
              </ul>
              )}
      {orgWide && <EmailTemplates org={org} templates={templates} />}
      {editing && (
        <RuleForm
          org={org}
          rule={editing === 'new' ? undefined : editing}
          orgWide={orgWide}
          templates={orgWide ? (templates.data ?? []) : null}
          recordTypes={types.data ?? []}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            toast(editing === 'new' ? 'Rule created' : 'Rule saved', 'success')
            setEditing(null)
            // The server lists rules oldest first: a new one goes last, an edited one stays.
            rules.setData((list) => (list ?? []).some((x) => x.id === saved.id) ? (list ?? []).map((x) => (x.id === saved.id ? saved : x)) : [...(list ?? []), saved])
          }}
        />
      )}
      {trying && <DryRun rule={trying} onClose={() => setTrying(null)} />}
    </section>
  )
}
