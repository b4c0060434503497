/**
 * Keeps this device connected to the members of its networks: dials those offline with the
 * addresses it knows (cached on disk, shared by members, found on the LAN) and, when those
 * fail, the addresses the member published in the DHT; backs off on failure and retries at
 * once on fresh news; pings connected members for RTT.
 */
import type { DeviceId } from '../core/ids.js'
import { Backoff } from '../core/backoff.js'
import type { ConnectorContext } from './context.js'
import type { DhtDiscovery } from './discovery.js'

const tickMs = 1000
const pingEveryMs = 10_000
const dialTimeoutMs = 10_000

/** Reconnect loop of a the networks service. */
export class Connector {
  readonly #svc: ConnectorContext
  readonly #backoff: Backoff<DeviceId>
  readonly #inflight = new Set<DeviceId>()
  readonly #timers: NodeJS.Timeout[] = []
  #unsubscribe?: () => void
  #running = false

  readonly #discovery: DhtDiscovery

  constructor (svc: ConnectorContext, options: { initialMs: number, maxMs: number }, discovery: DhtDiscovery) {
    this.#svc = svc
    this.#backoff = new Backoff(options)
    this.#discovery = discovery
  }

  start (): void {
    this.#running = true
    this.#timers.push(setInterval(() => { this.#tick() }, tickMs).unref())
    this.#timers.push(setInterval(() => { this.#pingAll() }, pingEveryMs).unref())
    this.#unsubscribe = this.#svc.mesh.events.on('peer:discovered', ({ deviceId, addresses }) => {
      if (!this.#svc.fellowDevices().has(deviceId) || this.#svc.mesh.link(deviceId).online) return
      this.#backoff.reset(deviceId)
      void this.#attempt(deviceId, addresses)
    })
    this.poke()
  }

  stop (): void {
    this.#running = false
    for (const t of this.#timers.splice(0)) clearInterval(t)
    this.#unsubscribe?.()
  }

  /** Something changed (membership, a disconnect): look again soon. */
  poke (): void {
    if (this.#running) setTimeout(() => { this.#tick() }, 50).unref()
  }

  /** Our own addresses changed (we moved, or got back online): dial everyone afresh. */
  networkChanged (): void {
    this.#backoff.resetAll()
    this.poke()
  }

  /** A member connected: forget its failures and measure the RTT. */
  onConnected (device: DeviceId): void {
    this.#backoff.reset(device)
    void this.#svc.mesh.ping(device).catch(() => {})
  }

  #tick (): void {
    if (!this.#running) return
    const now = Date.now()
    for (const device of this.#svc.fellowDevices()) {
      if (this.#inflight.has(device) || this.#svc.mesh.link(device).online || !this.#backoff.due(device, now)) continue
      void this.#attempt(device, [])
    }
  }

  async #attempt (device: DeviceId, extra: string[]): Promise<void> {
    if (this.#inflight.has(device)) return
    this.#inflight.add(device)
    try {
      const cached = this.#svc.activeNetworks().flatMap((r) => r.addresses[device] ?? [])
      const known = await this.#svc.mesh.knownAddresses(device)
      const addresses = [...new Set([...extra, ...cached, ...known])]
      try {
        if (addresses.length === 0) throw new Error('no known address')
        await this.#svc.mesh.connect(device, addresses, { signal: AbortSignal.timeout(dialTimeoutMs) })
      } catch (err) {
        // What we knew failed: ask the DHT where the member is now.
        const published = (await this.#discovery.lookup(device)).filter((a) => !addresses.includes(a))
        if (published.length === 0) throw err
        this.#svc.log.info({ device, addresses: published }, 'found member addresses in the DHT')
        await this.#svc.mesh.connect(device, published, { signal: AbortSignal.timeout(dialTimeoutMs) })
      }
      this.#backoff.reset(device)
    } catch (err) {
      const delay = this.#backoff.failed(device, Date.now())
      this.#svc.log.debug({ device, delay, err: (err as Error).message }, 'member unreachable; will retry')
    } finally {
      this.#inflight.delete(device)
    }
  }

  #pingAll (): void {
    for (const device of this.#svc.fellowDevices()) {
      if (this.#svc.mesh.link(device).online) void this.#svc.mesh.ping(device, { signal: AbortSignal.timeout(5000) }).catch(() => {})
    }
  }
}
