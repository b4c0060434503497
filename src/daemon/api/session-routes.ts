/**
 * Routes of dashboard sign-in (`/api/v1/session`): `weft open` asks for a one-time login link
 * (bearer token only), the page spends the link's code on a session (cookie + header secret),
 * checks it, and signs out.
 */
import { Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { z } from 'zod'
import { WeftError } from '../../core/errors.js'
import { parseBody } from './schemas.js'
import { requireSameOrigin } from './session-guard.js'
import type { DashboardSessions } from './sessions.js'

/** What the session routes need from the API server. */
export interface SessionRouteOptions {
  sessions: DashboardSessions
  /** Name of this daemon's session cookie. */
  cookieName: () => string
  /** The dashboard's one-time login URL for a code. */
  loginUrl: (code: string) => string
}

const loginBody = z.object({ code: z.string().min(1).max(256) }).strict()

/** Builds the session routes (mounted at `/api/v1/session`). */
export function sessionRoutes (options: SessionRouteOptions): Hono {
  const app = new Hono()
  const { sessions } = options
  // Public (see isPublicRoute): the code is the credential. Only our own page may spend one.
  app.post('/', async (c) => {
    requireSameOrigin(c)
    const body = await parseBody(loginBody, async (): Promise<unknown> => await c.req.json())
    const session = await sessions.redeem(body.code)
    setCookie(c, options.cookieName(), session.cookie, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      maxAge: Math.floor((session.expiresAt - Date.now()) / 1000)
    })
    return c.json({ secret: session.secret, expiresAt: session.expiresAt }, 201)
  })
  app.get('/', (c) => c.json({ signedIn: true, via: c.req.header('authorization') === undefined ? 'session' : 'token' }))
  app.delete('/', async (c) => {
    const cookie = getCookie(c, options.cookieName())
    if (cookie !== undefined) await sessions.revoke(cookie)
    deleteCookie(c, options.cookieName(), { path: '/' })
    return c.json({ ok: true })
  })
  // A session may not mint further sessions: only the token holder (the CLI) gets links.
  app.post('/links', (c) => {
    if (c.req.header('authorization') === undefined) throw new WeftError('FORBIDDEN', 'login links are made with the API token (weft open), not from a dashboard session')
    const { code, expiresAt } = sessions.issueCode()
    return c.json({ url: options.loginUrl(code), expiresAt }, 201)
  })
  return app
}
