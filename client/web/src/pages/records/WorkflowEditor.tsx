// The designer's workflow: states (the first is where records start; final ones are read-only),
// transitions (action, from which states, to which, the roles that may take it, whether the
// record's creator may), the state from which records may be amended; and the naming series.
import { move } from './form'
import { draftKey, type NamingDraft, type StateDraft, type TransitionDraft } from './designer'

export function WorkflowEditor ({ states, transitions, amendFrom, errors, onStates, onTransitions, onAmendFrom }: { states: StateDraft[], transitions: TransitionDraft[], amendFrom: string, errors: Record<string, string>, onStates: (s: StateDraft[]) => void, onTransitions: (t: TransitionDraft[]) => void, onAmendFrom: (s: string) => void }) {
  const names = states.map((s) => s.name.trim()).filter(Boolean)
  const setState = (i: number, p: Partial<StateDraft>) => onStates(states.map((s, j) => j === i ? { ...s, ...p } : s))
  const setT = (i: number, p: Partial<TransitionDraft>) => onTransitions(transitions.map((t, j) => j === i ? { ...t, ...p } : t))
  const werr = Object.entries(errors).filter(([k]) => k.startsWith('workflow'))
  return (
    <div class='stack'>
      <fieldset class='workflow-states'>
        <legend>States (the first is where new records start)</legend>
        {states.map((s, i) => (
          <div key={s.key} class='row wrap'>
            <label class='sr-only' for={`st-${i}`}>State {i + 1} name</label>
            <input id={`st-${i}`} value={s.name} placeholder='state name' onInput={(e) => setState(i, { name: e.currentTarget.value })} />
            <label class='check'><input type='checkbox' checked={s.final} onChange={(e) => setState(i, { final: e.currentTarget.checked })} /> Final (read-only)</label>
            <button type='button' class='btn-icon btn-tiny' aria-label={`Move state ${s.name || i + 1} up`} disabled={i === 0} onClick={() => onStates(move(states, i, i - 1))}>↑</button>
            <button type='button' class='btn btn-small btn-danger' aria-label={`Remove state ${s.name || i + 1}`} onClick={() => onStates(states.filter((_, j) => j !== i))}>Remove</button>
          </div>
        ))}
        <button type='button' class='btn btn-small' onClick={() => onStates([...states, { key: draftKey(), name: '', final: false }])}>Add a state</button>
      </fieldset>
      <fieldset class='workflow-transitions'>
        <legend>Transitions</legend>
        {transitions.map((t, i) => (
          <div key={t.key} class='transition-draft' data-testid={`transition-${i}`}>
            <div class='draft-grid'>
              <div class='field'><label for={`tr-${i}-action`}>Action</label><input id={`tr-${i}-action`} value={t.action} onInput={(e) => setT(i, { action: e.currentTarget.value })} /></div>
              <fieldset class='field'>
                <legend>From</legend>
                <div class='checks'>
                  {names.map((n) => <label key={n} class='check'><input type='checkbox' aria-label={`Transition ${t.action || i + 1} from ${n}`} checked={t.from.includes(n)} onChange={(e) => setT(i, { from: e.currentTarget.checked ? [...t.from, n] : t.from.filter((x) => x !== n) })} /> {n}</label>)}
                </div>
              </fieldset>
              <div class='field'>
                <label for={`tr-${i}-to`}>To</label>
                <select id={`tr-${i}-to`} value={t.to} onChange={(e) => setT(i, { to: e.currentTarget.value })}>
                  <option value=''>Choose…</option>
                  {names.map((n) => <option key={n} value={n}>{n}</option>)}
                </select>
              </div>
              <div class='field'><label for={`tr-${i}-roles`}>Roles (comma separated; empty: anyone who may transition)</label><input id={`tr-${i}-roles`} value={t.roles} onInput={(e) => setT(i, { roles: e.currentTarget.value })} /></div>
            </div>
            <div class='row wrap'>
              <label class='check'><input type='checkbox' checked={t.selfApproval} onChange={(e) => setT(i, { selfApproval: e.currentTarget.checked })} /> The record’s creator may take it</label>
              <button type='button' class='btn btn-small btn-danger' aria-label={`Remove transition ${t.action || i + 1}`} onClick={() => onTransitions(transitions.filter((_, j) => j !== i))}>Remove</button>
            </div>
          </div>
        ))}
        <button type='button' class='btn btn-small' onClick={() => onTransitions([...transitions, { key: draftKey(), action: '', from: [], to: '', roles: '', selfApproval: true }])}>Add a transition</button>
      </fieldset>
      <div class='field'>
        <label for='wf-amend'>Records may be amended from</label>
        <select id='wf-amend' value={amendFrom} onChange={(e) => onAmendFrom(e.currentTarget.value)}>
          <option value=''>No amending</option>
          {names.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </div>
      {werr.length > 0 && <ul class='field-error' role='alert'>{werr.map(([k, v]) => <li key={k}>{k} {v}</li>)}</ul>}
    </div>
  )
}

export function NamingEditor ({ naming, workflow, errors, onChange }: { naming: NamingDraft, workflow: boolean, errors: Record<string, string>, onChange: (n: NamingDraft) => void }) {
  const set = (p: Partial<NamingDraft>) => onChange({ ...naming, ...p })
  const nerr = Object.entries(errors).filter(([k]) => k.startsWith('naming'))
  const sample = `${naming.prefix}${naming.year ? '2026-' : ''}${naming.year && naming.month ? '03-' : ''}${'1'.padStart(Number(naming.digits) || 5, '0')}`
  return (
    <div class='stack'>
      <label class='check'><input type='checkbox' checked={naming.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} /> Number records with a naming series</label>
      {naming.enabled && (
        <div class='draft-grid'>
          <div class='field'><label for='nm-prefix'>Prefix</label><input id='nm-prefix' value={naming.prefix} onInput={(e) => set({ prefix: e.currentTarget.value })} /></div>
          <div class='field'><label for='nm-digits'>Counter digits</label><input id='nm-digits' inputMode='numeric' value={naming.digits} onInput={(e) => set({ digits: e.currentTarget.value })} /></div>
          <label class='check'><input type='checkbox' checked={naming.year} onChange={(e) => set({ year: e.currentTarget.checked })} /> Year</label>
          <label class='check'><input type='checkbox' checked={naming.month} disabled={!naming.year} onChange={(e) => set({ month: e.currentTarget.checked })} /> Month</label>
          <div class='field'>
            <label for='nm-at'>Numbered</label>
            <select id='nm-at' value={naming.at} onChange={(e) => set({ at: e.currentTarget.value as NamingDraft['at'] })}>
              <option value='create'>when created</option>
              {workflow && <option value='transition'>at the first workflow step (drafts leave no gaps)</option>}
            </select>
          </div>
          <p class='muted small'>For example {sample}</p>
        </div>
      )}
      {nerr.length > 0 && <ul class='field-error' role='alert'>{nerr.map(([k, v]) => <li key={k}>{k} {v}</li>)}</ul>}
    </div>
  )
}
