/**
 * Runs the health checks of this device's services on their intervals and keeps each
 * service's current status (its worst check). Calls `onChange` when any status or output
 * changes, so the member record is republished at once.
 */
import { TtlState, runCheck, worst } from './checks.js'
import type { CheckResult } from './checks.js'
import type { Health, StoredRegistration } from './types.js'

interface Running {
  registration: StoredRegistration
  results: CheckResult[]
  ttl: Map<number, TtlState>
  timers: NodeJS.Timeout[]
}

function idOf (r: { network: string, name: string }): string {
  return `${r.network}/${r.name}`
}

/** Health checks of the registered services. */
export class HealthMonitor {
  readonly #running = new Map<string, Running>()
  readonly #onChange: () => void
  #stopped = false

  constructor (onChange: () => void) {
    this.#onChange = onChange
  }

  /** Brings running checks in line with `registrations` (changed ones restart). */
  reconcile (registrations: StoredRegistration[]): void {
    const wanted = new Map(registrations.map((r) => [idOf(r), r]))
    for (const [id, run] of this.#running) {
      const w = wanted.get(id)
      if (w === undefined || JSON.stringify(w) !== JSON.stringify(run.registration)) {
        for (const t of run.timers) clearTimeout(t)
        this.#running.delete(id)
      }
    }
    for (const [id, r] of wanted) {
      if (this.#running.has(id) || this.#stopped) continue
      const run: Running = { registration: r, results: r.checks.map((c) => ({ status: 'critical', output: c.kind === 'ttl' ? 'TTL check: no check-in yet' : 'not run yet' })), ttl: new Map(), timers: [] }
      r.checks.forEach((check, i) => {
        if (check.kind === 'ttl') {
          run.ttl.set(i, new TtlState(check.ttlMs))
          // Expiry is noticed by re-evaluating once a second.
          const tick = (): void => { this.#set(run, i, run.ttl.get(i)?.result(Date.now())); run.timers[i] = setTimeout(tick, 1000).unref() }
          run.timers[i] = setTimeout(tick, 1000).unref()
          return
        }
        const loop = async (): Promise<void> => {
          const result = await runCheck(check)
          if (this.#running.get(id) !== run) return
          this.#set(run, i, result)
          run.timers[i] = setTimeout(() => { void loop() }, check.intervalMs).unref()
        }
        run.timers[i] = setTimeout(() => { void loop() }, 0).unref()
      })
      this.#running.set(id, run)
    }
    this.#onChange()
  }

  /** A service checks in on its TTL checks; false when it has none. */
  checkIn (network: string, name: string, status: Health, note: string): boolean {
    const run = this.#running.get(idOf({ network, name }))
    if (run === undefined || run.ttl.size === 0) return false
    for (const [i, ttl] of run.ttl) {
      ttl.update(status, note, Date.now())
      this.#set(run, i, ttl.result(Date.now()))
    }
    return true
  }

  /** Current status and output of a service (passing with no checks). */
  status (network: string, name: string): { status: Health, output: string } {
    const run = this.#running.get(idOf({ network, name }))
    if (run === undefined || run.results.length === 0) return { status: 'passing', output: '' }
    const status = worst(run.results.map((r) => r.status))
    const output = run.results.find((r) => r.status === status)?.output ?? ''
    return { status, output }
  }

  stop (): void {
    this.#stopped = true
    for (const run of this.#running.values()) for (const t of run.timers) clearTimeout(t)
    this.#running.clear()
  }

  #set (run: Running, i: number, result: CheckResult | undefined): void {
    if (result === undefined) return
    const old = run.results[i]
    run.results[i] = result
    if (old?.status !== result.status || old.output !== result.output) this.#onChange()
  }
}
