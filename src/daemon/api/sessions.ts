/**
 * Dashboard sessions. A one-time login code (printed by `weft open` and by the daemon at start)
 * is exchanged for a session made of two secrets: an HttpOnly cookie, which scripts cannot read,
 * and a header secret that the page keeps in its own origin's storage and sends as
 * `X-Weft-Session` on every request. Browsers send cookies to every port of a host, so the
 * cookie alone would leak to any other local web server; the header secret is bound to our
 * origin (port included). Only SHA-256 hashes of the secrets are kept, in
 * `<home>/dashboard-sessions.json`, so sessions survive a daemon restart.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { WeftError } from '../../core/errors.js'
import { readJsonFile, writeJsonFile } from '../../core/json-file.js'

/** How long a login link stays valid (ms). */
export const loginLinkTtlMs = 15 * 60_000
/** How long a dashboard session lasts (ms). */
export const sessionTtlMs = 30 * 86_400_000
const maxSessions = 64
const maxPendingLinks = 32

/** A login code just made. */
export interface LoginCode {
  code: string
  expiresAt: number
}

/** The two secrets of a new session (given out once, at login). */
export interface NewSession {
  cookie: string
  secret: string
  expiresAt: number
}

const stored = z.object({
  version: z.literal(1),
  sessions: z.array(z.object({ id: z.string(), secret: z.string(), expiresAt: z.number() }).strict())
}).strict()
type StoredSession = z.infer<typeof stored>['sessions'][number]

function hash (text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

function sameHash (a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))
}

/** Login codes (in memory) and sessions (on disk, hashed). */
export class DashboardSessions {
  readonly #file: string
  readonly #now: () => number
  readonly #codes = new Map<string, number>()
  #sessions = new Map<string, StoredSession>()

  constructor (file: string, now: () => number = Date.now) {
    this.#file = file
    this.#now = now
  }

  /** Reads the saved sessions; a damaged file is ignored (everyone signs in again). */
  async load (): Promise<void> {
    let file: z.infer<typeof stored> | undefined
    try {
      file = await readJsonFile(this.#file, stored)
    } catch (err) {
      if (err instanceof WeftError && err.code === 'CONFIG_INVALID') return
      throw err
    }
    if (file === undefined) return
    const now = this.#now()
    this.#sessions = new Map(file.sessions.filter((s) => s.expiresAt > now).map((s) => [s.id, s]))
  }

  /** A new one-time login code, valid for {@link loginLinkTtlMs}. */
  issueCode (): LoginCode {
    const now = this.#now()
    for (const [key, expiresAt] of this.#codes) if (expiresAt <= now) this.#codes.delete(key)
    while (this.#codes.size >= maxPendingLinks) {
      const oldest = this.#codes.keys().next().value
      if (oldest === undefined) break
      this.#codes.delete(oldest)
    }
    const code = randomBytes(24).toString('base64url')
    const expiresAt = now + loginLinkTtlMs
    this.#codes.set(hash(code), expiresAt)
    return { code, expiresAt }
  }

  /** Spends a login code on a new session; UNAUTHORIZED when the code is unknown, used or expired. */
  async redeem (code: string): Promise<NewSession> {
    const key = hash(code)
    const expiresAt = this.#codes.get(key)
    this.#codes.delete(key)
    const now = this.#now()
    if (expiresAt === undefined || expiresAt <= now) {
      throw new WeftError('UNAUTHORIZED', 'this login link is unknown, already used or expired: run "weft open" for a new one')
    }
    const session = { cookie: randomBytes(32).toString('base64url'), secret: randomBytes(32).toString('base64url'), expiresAt: now + sessionTtlMs }
    this.#sessions.set(hash(session.cookie), { id: hash(session.cookie), secret: hash(session.secret), expiresAt: session.expiresAt })
    while (this.#sessions.size > maxSessions) {
      const oldest = this.#sessions.keys().next().value
      if (oldest === undefined) break
      this.#sessions.delete(oldest)
    }
    await this.#save()
    return session
  }

  /** True when `cookie` and `secret` are the two halves of a live session. */
  verify (cookie: string, secret: string): boolean {
    const session = this.#sessions.get(hash(cookie))
    return session !== undefined && session.expiresAt > this.#now() && sameHash(session.secret, hash(secret))
  }

  /** Ends the session of `cookie` (sign out). */
  async revoke (cookie: string): Promise<void> {
    if (this.#sessions.delete(hash(cookie))) await this.#save()
  }

  async #save (): Promise<void> {
    const now = this.#now()
    const sessions = [...this.#sessions.values()].filter((s) => s.expiresAt > now)
    await writeJsonFile(this.#file, { version: 1, sessions }, { mode: 0o600 })
  }
}
