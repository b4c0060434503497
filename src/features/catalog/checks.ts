/**
 * Health checks of registered services, as Consul runs them: TCP (connects within the
 * timeout), HTTP (a 2xx answer within the timeout), script (`sh -c`, exit 0 passing, 1
 * warning, anything else or a timeout critical; output capped at 4 KiB) and TTL (critical
 * unless the service checked in within the TTL). A service's status is its worst check's;
 * a service without checks is passing. Checks start critical until they first pass, so an
 * instance is never advertised before it was seen healthy.
 */
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import type { Check, Health } from './types.js'

/** Most bytes of check output kept. */
export const maxCheckOutput = 4096

/** Result of one check run. */
export interface CheckResult {
  status: Health
  output: string
}

const rank: Record<Health, number> = { passing: 0, warning: 1, critical: 2 }

/** The worst of some statuses (passing when there are none). */
export function worst (statuses: Health[]): Health {
  return statuses.reduce<Health>((a, b) => rank[b] > rank[a] ? b : a, 'passing')
}

function cap (text: string): string {
  return text.length > maxCheckOutput ? text.slice(0, maxCheckOutput - 3) + '...' : text
}

/** Splits `HOST:PORT` (IPv6 in brackets). */
function hostPort (target: string): { host: string, port: number } {
  const colon = target.lastIndexOf(':')
  return { host: target.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(target.slice(colon + 1)) }
}

async function tcp (target: string, timeoutMs: number): Promise<CheckResult> {
  const { host, port } = hostPort(target)
  return await new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (r: CheckResult): void => { clearTimeout(timer); socket.destroy(); resolve(r) }
    const timer = setTimeout(() => { done({ status: 'critical', output: `TCP ${target}: no connection within ${timeoutMs} ms` }) }, timeoutMs)
    socket.once('connect', () => { done({ status: 'passing', output: `TCP connect ${target}: success` }) })
    socket.once('error', (err) => { done({ status: 'critical', output: cap(`TCP ${target}: ${err.message}`) }) })
  })
}

async function http (url: string, timeoutMs: number): Promise<CheckResult> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' })
    const body = cap(await response.text().catch(() => ''))
    const ok = response.status >= 200 && response.status < 300
    return { status: ok ? 'passing' : 'critical', output: cap(`HTTP GET ${url}: ${response.status} ${response.statusText}\n${body}`) }
  } catch (err) {
    return { status: 'critical', output: cap(`HTTP GET ${url}: ${err instanceof Error ? err.message : String(err)}`) }
  }
}

async function script (command: string, timeoutMs: number): Promise<CheckResult> {
  return await new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let output = ''
    const take = (d: Buffer): void => { if (output.length < maxCheckOutput) output += d.toString('utf8') }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      // The whole process group: a script's children must not outlive the check.
      try { process.kill(-(child.pid ?? 0), 'SIGKILL') } catch { child.kill('SIGKILL') }
    }, timeoutMs)
    child.once('error', (err) => { clearTimeout(timer); resolve({ status: 'critical', output: cap(err.message) }) })
    child.once('close', (code) => {
      clearTimeout(timer)
      if (timedOut) return resolve({ status: 'critical', output: cap(`timed out after ${timeoutMs} ms\n${output}`) })
      resolve({ status: code === 0 ? 'passing' : code === 1 ? 'warning' : 'critical', output: cap(output) })
    })
  })
}

/** Runs a TCP, HTTP or script check once (TTL checks are not run: see {@link TtlState}). */
export async function runCheck (check: Exclude<Check, { kind: 'ttl' }>): Promise<CheckResult> {
  switch (check.kind) {
    case 'tcp': return await tcp(check.target, check.timeoutMs)
    case 'http': return await http(check.url, check.timeoutMs)
    case 'script': return await script(check.command, check.timeoutMs)
  }
}

/** A TTL check's state: what the service last reported and when. */
export class TtlState {
  #status: Health = 'critical'
  #output = 'TTL check: no check-in yet'
  #at = 0
  readonly #ttlMs: number

  constructor (ttlMs: number) {
    this.#ttlMs = ttlMs
  }

  /** The service checks in. */
  update (status: Health, note: string, now: number): void {
    this.#status = status
    this.#output = cap(note)
    this.#at = now
  }

  /** Status now: what was reported, or critical once the TTL ran out. */
  result (now: number): CheckResult {
    if (this.#at === 0) return { status: 'critical', output: this.#output }
    if (now - this.#at > this.#ttlMs) return { status: 'critical', output: `TTL expired (no check-in within ${this.#ttlMs} ms)` }
    return { status: this.#status, output: this.#output }
  }
}
