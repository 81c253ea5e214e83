// The one way the app talks to the server: JSON over fetch with the session cookie, errors as
// ApiError (status, code, message, fields), and the session token kept for WebSocket params.

export class ApiError extends Error {
  status: number
  code: string
  fields: Record<string, string>
  /** The whole body of the answer (some refusals say more than `error`, e.g. a bulk
   * request's per-task `errors`). */
  details: Record<string, unknown>

  constructor (status: number, code: string, message: string, fields: Record<string, string> = {}, details: Record<string, unknown> = {}) {
    super(message)
    this.status = status
    this.code = code
    this.fields = fields
    this.details = details
  }

  /** Network failure (server unreachable): status 0. */
  get offline (): boolean { return this.status === 0 }
}

const TOKEN_KEY = 'atrium.token'

/** The session token from the last log-in in this tab (for WebSocket `?token=`; REST uses the cookie). */
export function sessionToken (): string | null {
  try { return sessionStorage.getItem(TOKEN_KEY) } catch { return null }
}

export function setSessionToken (token: string | null): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token)
    else sessionStorage.removeItem(TOKEN_KEY)
  } catch {}
}

/** ws(s)://host of the page. */
export function wsBase (): string {
  return location.origin.replace(/^http/, 'ws')
}

/** A WebSocket URL for `path` with the session token (when this tab has one) and `params`. */
export function wsUrl (path: string, params: Record<string, string> = {}): string {
  const url = new URL(wsBase() + path)
  const token = sessionToken()
  if (token) url.searchParams.set('token', token)
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return url.toString()
}

/** Listeners told when any request answers 401 (the session ended). */
const unauthorizedListeners = new Set<() => void>()
export function onUnauthorized (fn: () => void): () => void {
  unauthorizedListeners.add(fn)
  return () => unauthorizedListeners.delete(fn)
}

export interface RequestOptions {
  json?: unknown
  body?: BodyInit
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Do not broadcast a 401 (log-in forms expect one). */
  quiet401?: boolean
}

export async function request<T = any> (method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers }
  let body = opts.body
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(opts.json)
  }
  let res: Response
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', signal: opts.signal })
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.')
  }
  if (res.status === 204) return undefined as T
  const type = res.headers.get('content-type') || ''
  let data: any
  if (type.includes('json')) {
    try { data = await res.json() } catch { data = undefined }
  } else {
    data = await res.text()
  }
  if (!res.ok) {
    throw errorFrom(res.status, data)
  }
  return data as T
}

export function errorFrom (status: number, data: any): ApiError {
  const err = data && typeof data === 'object' ? data.error : undefined
  const error = new ApiError(
    status,
    err?.code || `http_${status}`,
    err?.message || defaultMessage(status),
    err?.fields || {},
    data && typeof data === 'object' ? data : {}
  )
  if (status === 401 && err?.code !== 'invalid_credentials' && err?.code !== 'totp_required' && err?.code !== 'invalid_totp') {
    for (const fn of unauthorizedListeners) fn()
  }
  return error
}

function defaultMessage (status: number): string {
  if (status === 404) return 'Not found.'
  if (status === 403) return 'You do not have permission to do that.'
  if (status === 429) return 'Too many requests; wait a moment and try again.'
  if (status >= 500) return 'The server had a problem; try again.'
  return `Request failed (${status}).`
}

export const api = {
  get: <T = any>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
  post: <T = any>(path: string, json?: unknown, opts?: RequestOptions) => request<T>('POST', path, { ...opts, json: json === undefined ? {} : json }),
  patch: <T = any>(path: string, json: unknown, opts?: RequestOptions) => request<T>('PATCH', path, { ...opts, json }),
  put: <T = any>(path: string, json: unknown, opts?: RequestOptions) => request<T>('PUT', path, { ...opts, json }),
  del: <T = any>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts)
}

/** `?a=1&b=2` from the defined values of `params`. */
export function qs (params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v))
  }
  const s = u.toString()
  return s ? `?${s}` : ''
}

export interface UploadHandle<T> {
  promise: Promise<T>
  abort: () => void
}

/**
 * Multipart upload with progress (fetch cannot report upload progress): `onProgress(0..1)`.
 * `abort()` cancels; the promise then rejects with an ApiError of code `aborted`.
 */
export function upload<T = any> (path: string, file: File | Blob, name: string, onProgress?: (fraction: number) => void): UploadHandle<T> {
  const xhr = new XMLHttpRequest()
  const promise = new Promise<T>((resolve, reject) => {
    xhr.open('POST', path)
    xhr.responseType = 'text'
    xhr.setRequestHeader('accept', 'application/json')
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total)
    }
    xhr.onload = () => {
      let data: any
      try { data = JSON.parse(xhr.responseText) } catch { data = undefined }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as T)
      else reject(errorFrom(xhr.status, data))
    }
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload failed: cannot reach the server.'))
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled.'))
    const form = new FormData()
    form.append('file', file, name)
    xhr.send(form)
  })
  return { promise, abort: () => xhr.abort() }
}
