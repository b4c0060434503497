/**
 * The local HTTP API on loopback: guards, routes, JSON errors with stable codes. Once it
 * listens it writes its URL (api.json) and a fresh random token (api.token, 0600) into the
 * home so that the CLI can find it; both are removed on stop.
 */
import { randomBytes } from 'node:crypto'
import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { except } from 'hono/combine'
import { serve } from '@hono/node-server'
import type { ServerType } from '@hono/node-server'
import { WeftError, toWeftError } from '../../core/errors.js'
import type { Startable } from '../../core/lifecycle.js'
import type { Logger } from '../../core/log.js'
import { writeFileAtomic } from '../../core/atomic-file.js'
import type { HomePaths } from '../home.js'
import { apiGuard } from './auth.js'
import { apiRoutes } from './routes.js'
import { dashboardRoutes, loadDashboard, securityHeaders } from './dashboard.js'
import { DashboardSessions } from './sessions.js'
import { sessionRoutes } from './session-routes.js'
import type { ApiBackend } from './types.js'

/** Options of {@link ApiServer}. */
export interface ApiServerOptions {
  host: string
  port: number
  paths: HomePaths
  logger: Logger
}

/** The daemon's local API. */
export class ApiServer implements Startable {
  readonly #options: ApiServerOptions
  readonly #token = randomBytes(32).toString('base64url')
  #server?: ServerType
  #port = 0
  #backend?: ApiBackend
  readonly #sessions: DashboardSessions

  constructor (options: ApiServerOptions) {
    this.#options = options
    this.#sessions = new DashboardSessions(join(options.paths.root, 'dashboard-sessions.json'))
  }

  /** A one-time link that signs a browser in to the dashboard (valid 15 minutes). */
  loginLink (): string {
    return this.#loginUrl(this.#sessions.issueCode().code)
  }

  #loginUrl (code: string): string {
    return `${this.url}/#login=${code}`
  }

  /** Name of this daemon's session cookie: browsers share cookies across ports, so it names ours. */
  #cookieName (): string {
    return `weft_session_${this.#port}`
  }

  /** Connects the API to the daemon (before start). */
  attach (backend: ApiBackend): void {
    this.#backend = backend
  }

  /** The API's base URL, e.g. `http://127.0.0.1:7557`. */
  get url (): string {
    const host = this.#options.host === '::1' ? '[::1]' : this.#options.host
    return `http://${host}:${this.#port}`
  }

  #app (backend: ApiBackend, dashboard: Awaited<ReturnType<typeof loadDashboard>>): Hono {
    const app = new Hono()
    app.use('*', securityHeaders())
    const sessions = this.#sessions
    app.use('*', apiGuard({ token: this.#token, port: () => this.#port, sessions: { cookieName: () => this.#cookieName(), verify: (cookie, secret) => sessions.verify(cookie, secret) } }))
    const limit = bodyLimit({ maxSize: 64 * 1024, onError: () => { throw new WeftError('INVALID_ARGUMENT', 'request body too large (64 KiB at most)') } })
    // Pipe bodies are byte streams of any length (consumed with backpressure, never buffered).
    app.use('*', except(['/api/v1/pipes/*', '/api/v1/kv/*'], limit))
    // KV values may be up to 512 KiB.
    app.use('/api/v1/kv/*', bodyLimit({ maxSize: 512 * 1024, onError: () => { throw new WeftError('INVALID_ARGUMENT', 'value too large (512 KiB at most)') } }))
    app.route('/api/v1/session', sessionRoutes({ sessions, cookieName: () => this.#cookieName(), loginUrl: (code) => this.#loginUrl(code) }))
    app.route('/api/v1', apiRoutes(backend))
    app.route('/', dashboardRoutes(dashboard))
    app.notFound(() => { throw new WeftError('NOT_FOUND', 'no such API route') })
    app.onError((err, c) => {
      const e = toWeftError(err)
      if (e.code === 'INTERNAL') this.#options.logger.error({ err }, 'API request failed')
      return c.json({ error: e.toJSON() }, e.httpStatus as 400)
    })
    return app
  }

  async start (): Promise<void> {
    const backend = this.#backend
    if (backend === undefined) throw new WeftError('INTERNAL', 'API started without a backend')
    await this.#sessions.load()
    const app = this.#app(backend, await loadDashboard())
    await new Promise<void>((resolve, reject) => {
      const server = serve({ fetch: app.fetch, hostname: this.#options.host, port: this.#options.port }, (info: AddressInfo) => {
        this.#port = info.port
        resolve()
      })
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'EADDRINUSE'
          ? new WeftError('PORT_IN_USE', `API port ${this.#options.port} is in use (is another daemon running? set api.port in config.json)`, { cause: err })
          : err)
      })
      this.#server = server
    })
    const { paths } = this.#options
    await writeFileAtomic(paths.apiToken, this.#token + '\n', { mode: 0o600 })
    await writeFileAtomic(paths.apiInfo, JSON.stringify({ url: this.url, pid: process.pid }) + '\n', { mode: 0o600 })
    this.#options.logger.info({ url: this.url }, 'API listening')
  }

  async stop (): Promise<void> {
    const { paths } = this.#options
    await unlink(paths.apiInfo).catch(() => {})
    await unlink(paths.apiToken).catch(() => {})
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    await new Promise<void>((resolve) => {
      server.close(() => { resolve() })
      if ('closeAllConnections' in server) server.closeAllConnections()
    })
  }
}
