/**
 * The dashboard's client of the local API. Every request carries the session's header secret
 * (kept in this origin's localStorage; the cookie half is HttpOnly and sent by the browser).
 * Errors come back as {@link ApiError} with the daemon's stable code.
 */

const storageKey = 'weft.session'

/** An error answer of the API, or UNREACHABLE when the daemon did not answer. */
export class ApiError extends Error {
  readonly code: string
  readonly status: number

  constructor (code: string, message: string, status: number) {
    super(message)
    this.code = code
    this.status = status
  }
}

/** The header secret of this browser's session, if signed in. */
export function sessionSecret (): string | null {
  return window.localStorage.getItem(storageKey)
}

/** Headers every API request carries. */
export function sessionHeaders (): Record<string, string> {
  const secret = sessionSecret()
  return secret === null ? {} : { 'x-weft-session': secret }
}

async function decode<T> (response: Response): Promise<T> {
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    throw new ApiError('PROTOCOL_ERROR', `the daemon answered ${response.status} with something other than JSON`, response.status)
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: unknown, message?: unknown } } | undefined)?.error
    throw new ApiError(typeof error?.code === 'string' ? error.code : 'INTERNAL', typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`, response.status)
  }
  return parsed as T
}

/** Calls `/api/v1{path}`; resolves with the JSON answer. */
export async function api<T> (method: string, path: string, body?: unknown): Promise<T> {
  let response: Response
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers: { ...sessionHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store'
    })
  } catch {
    throw new ApiError('UNREACHABLE', 'the weft daemon is not answering (stopped or restarting?)', 0)
  }
  return await decode<T>(response)
}

/** Spends a one-time login code on a session and keeps its header secret. */
export async function signIn (code: string): Promise<void> {
  const answer = await api<{ secret: string }>('POST', '/session', { code })
  window.localStorage.setItem(storageKey, answer.secret)
}

/** Ends the session here and at the daemon. */
export async function signOut (): Promise<void> {
  try {
    await api('DELETE', '/session')
  } finally {
    window.localStorage.removeItem(storageKey)
  }
}
