/**
 * How the API guard accepts a dashboard session instead of the bearer token: the session
 * cookie and the `X-Weft-Session` header must both belong to one live session, and every
 * mutating request must come from our own origin (an `Origin` header is required, and
 * `Sec-Fetch-Site`, when sent, must say same-origin). A cross-site page cannot set the header
 * (that needs a CORS preflight, which the API never approves), so forged requests fail even
 * though SameSite cannot tell one local port from another.
 */
import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'
import { WeftError } from '../../core/errors.js'

/** The header carrying a session's second secret. */
export const sessionHeader = 'x-weft-session'

/** What the guard needs to accept dashboard sessions. */
export interface SessionCheck {
  /** Name of this daemon's session cookie (it carries the port: cookies ignore ports). */
  cookieName: () => string
  /** True when cookie and header secret are one live session. */
  verify: (cookie: string, secret: string) => boolean
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Routes that need no credentials: the dashboard's own files and the login exchange. */
export function isPublicRoute (method: string, path: string): boolean {
  if (method === 'POST' && path === '/api/v1/session') return true
  return (method === 'GET' || method === 'HEAD') && path !== '/api' && !path.startsWith('/api/')
}

/** The message of a request without any credentials: the login hint. */
export const loginHint = 'not signed in. Dashboard: run "weft open" on this device and open the one-time link it prints. ' +
  'Scripts: send "Authorization: Bearer <token from api.token in the weft home>" (the weft CLI does)'

/** Throws unless `c` carries a live session and, when it changes something, comes from our origin. */
export function checkSession (c: Context, sessions: SessionCheck): void {
  const cookie = getCookie(c, sessions.cookieName())
  const secret = c.req.header(sessionHeader)
  if (cookie === undefined && secret === undefined) throw new WeftError('UNAUTHORIZED', loginHint)
  if (cookie === undefined || secret === undefined || !sessions.verify(cookie, secret)) {
    throw new WeftError('UNAUTHORIZED', 'dashboard session unknown, signed out or expired: run "weft open" for a new login link')
  }
  requireSameOrigin(c)
}

/** Refuses a mutating request that does not prove it comes from our origin. */
export function requireSameOrigin (c: Context): void {
  const site = c.req.header('sec-fetch-site')
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new WeftError('FORBIDDEN', `cross-site request refused (Sec-Fetch-Site: ${site})`)
  if (safeMethods.has(c.req.method)) return
  // The guard already refused a foreign Origin; here it must be present.
  if (c.req.header('origin') === undefined) throw new WeftError('FORBIDDEN', 'request without Origin refused: the dashboard sends one on every change')
}
