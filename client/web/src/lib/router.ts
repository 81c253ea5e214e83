// A small history-API router: the current location as signals, `navigate`, and pattern
// matching ("/o/:org/p/:project/docs"). Links are plain <a href="/…">; a document-level click
// handler turns same-origin clicks into navigation without a reload.
import { signal } from '@preact/signals'

export const path = signal(typeof location !== 'undefined' ? location.pathname : '/')
export const query = signal(new URLSearchParams(typeof location !== 'undefined' ? location.search : ''))
export const hash = signal(typeof location !== 'undefined' ? location.hash.slice(1) : '')

function sync (): void {
  path.value = location.pathname
  query.value = new URLSearchParams(location.search)
  hash.value = location.hash.slice(1)
}

export function navigate (to: string, { replace = false } = {}): void {
  const current = location.pathname + location.search + location.hash
  if (to === current) return
  if (replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  sync()
  if (!replace) window.scrollTo(0, 0)
}

export function startRouter (): void {
  window.addEventListener('popstate', sync)
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    const a = (e.target as Element | null)?.closest?.('a')
    if (!a || a.target || a.hasAttribute('download')) return
    const href = a.getAttribute('href')
    if (!href || !href.startsWith('/') || href.startsWith('//') || href.startsWith('/api/')) return
    e.preventDefault()
    navigate(href)
  })
}

/** Params of `pattern` in `pathname`, or null. `:name` matches one segment; a trailing `*` the rest. */
export function match (pattern: string, pathname: string): Record<string, string> | null {
  const ps = pattern.split('/').filter(Boolean)
  const xs = pathname.split('/').filter(Boolean)
  const params: Record<string, string> = {}
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]
    if (p === '*') {
      params['*'] = xs.slice(i).map(decodeURIComponent).join('/')
      return params
    }
    const x = xs[i]
    if (x === undefined) return null
    if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(x)
    else if (p !== x) return null
  }
  return xs.length === ps.length ? params : null
}

/** First route of `routes` that matches `pathname`. */
export function resolve<T> (routes: [string, T][], pathname: string): { value: T, params: Record<string, string> } | null {
  for (const [pattern, value] of routes) {
    const params = match(pattern, pathname)
    if (params) return { value, params }
  }
  return null
}
