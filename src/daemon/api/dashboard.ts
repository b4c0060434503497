/**
 * The web dashboard's files (built by Vite into dist/web), served from memory on the API
 * address with a strict Content-Security-Policy, and the security headers of every answer.
 * The files hold no data: the page asks the API, which needs a session (session-guard.ts).
 */
import { readdir, readFile } from 'node:fs/promises'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Hono } from 'hono'
import type { MiddlewareHandler } from 'hono'

/** Where `npm run build` puts the dashboard (dist/web, beside dist/src). */
export const defaultDashboardDir = fileURLToPath(new URL('../../../web/', import.meta.url))

/** The page may load only its own scripts, styles and images, talk only to this API, and never be framed. */
export const dashboardCsp = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
  "font-src 'self'", "manifest-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"
].join('; ')

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8'
}

interface StaticFile { body: Buffer, type: string }

async function walk (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const nested = await Promise.all(entries.map(async (e) => e.isDirectory() ? await walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []))
  return nested.flat()
}

/** Reads the built dashboard into memory; empty (a hint page) when it was not built. */
export async function loadDashboard (dir = defaultDashboardDir): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>()
  for (const path of await walk(dir)) {
    const url = '/' + relative(dir, path).split(sep).join('/')
    files.set(url, { body: await readFile(path), type: types[extname(path)] ?? 'application/octet-stream' })
  }
  return files
}

/** Security headers on every answer; the full CSP on the page itself. */
export function securityHeaders (): MiddlewareHandler {
  return async (c, next) => {
    await next()
    const isHtml = (c.res.headers.get('content-type') ?? '').startsWith('text/html')
    c.header('content-security-policy', isHtml ? dashboardCsp : "default-src 'none'; frame-ancestors 'none'")
    c.header('x-content-type-options', 'nosniff')
    c.header('referrer-policy', 'no-referrer')
    c.header('x-frame-options', 'DENY')
    c.header('cross-origin-opener-policy', 'same-origin')
    c.header('cross-origin-resource-policy', 'same-origin')
    if (!c.req.path.startsWith('/assets/')) c.header('cache-control', 'no-store')
  }
}

/** Routes serving the dashboard's files (`/` is index.html). */
export function dashboardRoutes (files: Map<string, StaticFile>): Hono {
  const app = new Hono()
  app.get('/', (c) => {
    const index = files.get('/index.html')
    if (index === undefined) return c.text('weft daemon: the dashboard was not built (run "npm run build"); the API lives under /api/v1\n')
    return c.body(new Uint8Array(index.body), 200, { 'content-type': index.type })
  })
  app.get('/*', async (c, next) => {
    const file = files.get(c.req.path)
    if (file === undefined || c.req.path === '/index.html') return await next()
    const headers: Record<string, string> = { 'content-type': file.type }
    if (c.req.path.startsWith('/assets/')) headers['cache-control'] = 'public, max-age=31536000, immutable'
    return c.body(new Uint8Array(file.body), 200, headers)
  })
  return app
}
