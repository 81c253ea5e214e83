import { useEffect } from 'preact/hooks'
import { formatTime } from '../../lib/text'
import { Empty, ErrorBox, Spinner } from '../../ui/common'
import { useCursorPages } from '../../ui/cursorPages'
import { OutcomeBadge } from './bits'
import { entityHref, merge } from './runs'
import { listRuns, type AutomationRule } from './api'

/** How often an open run log looks for new runs while the page is visible. */
const REFRESH_MS = 5000

/**
 * A rule's run log, newest first: outcome, trigger, entity, depth, what each action did and the
 * error; older runs by the cursor. While open it looks again every few seconds (the rules run
 * from the change feed, moments after the change), one request at a time and not while the tab
 * is hidden.
 */
export function RunLog ({ org, rule }: { org: string, rule: AutomationRule }) {
  const { first, items, next, more, loadingMore } = useCursorPages((cursor, signal) => listRuns(rule.id, cursor, signal), [rule.id])

  // The quiet look again: replaces the first page only when it answers, errors stay unshown
  // (the Refresh button shows them).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>
    const ctrl = new AbortController()
    const again = () => {
      timer = setTimeout(async () => {
        if (!document.hidden) {
          try {
            const page = await listRuns(rule.id, undefined, ctrl.signal)
            if (ctrl.signal.aborted) return
            first.setData((items) => merge(page.items, items ?? []))
          } catch {}
        }
        if (!ctrl.signal.aborted) again()
      }, REFRESH_MS)
    }
    again()
    return () => { ctrl.abort(); clearTimeout(timer) }
  }, [rule.id])

  return (
    <section class='stack' aria-label={`Run log of ${rule.name}`}>
      <div class='row'>
        <h3 class='grow'>Runs</h3>
        <button type='button' class='btn btn-small' onClick={() => first.reload()}>Refresh</button>
      </div>
      {!first.data
        ? (first.error ? <ErrorBox error={first.error} retry={first.reload} /> : <Spinner />)
        : !items.length
            ? <Empty title='No runs yet'>A run is logged each time the trigger fires.</Empty>
            : (
              <ul class='list' data-testid='runs'>
                {items.map((r) => {
                  const href = r.entity_id ? entityHref(org, r.trigger, r.entity_id) : null
                  return (
                    <li key={r.id} class='list-row' data-testid='run' data-outcome={r.outcome}>
                      <div class='grow stack automation-tight'>
                        <div class='row wrap'>
                          <OutcomeBadge outcome={r.outcome} />
                          <strong>{r.trigger}</strong>
                          {r.entity_id && (href ? <a href={href}>{r.entity_id}</a> : <code>{r.entity_id}</code>)}
                          <span class='muted small'>
                            {formatTime(r.created_at)}
                            {` · depth ${r.depth}`}
                          </span>
                        </div>
                        {r.actions.length > 0 && (
                          <ul class='automation-actions' aria-label='Actions'>
                            {r.actions.map((a, i) => (
                              <li key={i}>
                                {a.summary}
                                {a.error && <span class='field-error'> — {a.error}</span>}
                              </li>
                            ))}
                          </ul>
                        )}
                        {r.error && <span class='small field-error' data-testid='run-error'>{r.error}</span>}
                      </div>
                    </li>
                  )
                })}
              </ul>
              )}
      {next && <button type='button' class='btn' onClick={more} disabled={loadingMore}>Load older</button>}
    </section>
  )
}
