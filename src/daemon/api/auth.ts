/**
 * Guards of the local API: the Host header must name the loopback address we listen on
 * (DNS-rebinding protection), an Origin header, if present, must be that same origin, and
 * every request must carry the bearer token, or (without an Authorization header) a dashboard
 * session (session-guard.ts). Checked before any route runs.
 */
import { timingSafeEqual, createHash } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { WeftError } from '../../core/errors.js'
import { checkSession, isPublicRoute } from './session-guard.js'
import type { SessionCheck } from './session-guard.js'

/** Options of {@link apiGuard}. */
export interface GuardOptions {
  token: string
  /** The port the API listens on (known once listening). */
  port: () => number
  /** Dashboard sessions, accepted on requests without an Authorization header. */
  sessions?: SessionCheck
}

const loopbackHosts = ['127.0.0.1', 'localhost', '[::1]']

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** True when `presented` equals `expected`, compared in constant time. */
export function tokenMatches (presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected))
}

/** Hono middleware enforcing Host, Origin and token. */
export function apiGuard (options: GuardOptions): MiddlewareHandler {
  return async (c, next) => {
    const port = options.port()
    const allowedHosts = new Set(loopbackHosts.map((h) => `${h}:${port}`))
    const host = c.req.header('host') ?? ''
    if (!allowedHosts.has(host.toLowerCase())) throw new WeftError('FORBIDDEN', `foreign Host header "${host}" rejected (the API answers only to loopback names)`)
    const origin = c.req.header('origin')
    if (origin !== undefined && !loopbackHosts.some((h) => origin.toLowerCase() === `http://${h}:${port}`)) {
      throw new WeftError('FORBIDDEN', `foreign Origin "${origin}" rejected`)
    }
    if (options.sessions !== undefined) {
      if (isPublicRoute(c.req.method, c.req.path)) return await next()
      if (c.req.header('authorization') === undefined) {
        checkSession(c, options.sessions)
        return await next()
      }
    }
    const auth = c.req.header('authorization') ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(auth)
    if (match?.[1] === undefined || !tokenMatches(match[1], options.token)) {
      throw new WeftError('UNAUTHORIZED', 'missing or wrong API token: use the weft CLI, or send "Authorization: Bearer <token from api.token in the weft home>"')
    }
    await next()
  }
}
