/**
 * Keeps this device connected to its configured bootstrap peers, the entry points of weft's
 * DHT (and address observers for `weft doctor`): dialled at start and again with backoff
 * while no connection to them is open. The default list is empty, so a daemon contacts no
 * public node unless its owner adds some.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from '@libp2p/interface'
import { Backoff } from '../core/backoff.js'
import type { Logger } from '../core/log.js'

const tickMs = 5000

/** Reconnect loop for bootstrap peers. */
export class BootstrapKeeper {
  readonly #node: Libp2p
  readonly #peers: string[]
  readonly #log: Logger
  readonly #backoff = new Backoff<string>({ initialMs: 2000, maxMs: 120_000 })
  readonly #inflight = new Set<string>()
  #timer?: NodeJS.Timeout

  constructor (node: Libp2p, peers: string[], log: Logger) {
    this.#node = node
    this.#peers = peers
    this.#log = log
  }

  start (): void {
    if (this.#peers.length === 0) return
    this.#timer = setInterval(() => { this.#tick() }, tickMs)
    this.#timer.unref()
    this.#tick()
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  #tick (): void {
    const now = Date.now()
    for (const address of this.#peers) {
      const ma = multiaddr(address)
      const id = ma.getComponents().findLast((c) => c.name === 'p2p')?.value
      if (id === undefined || this.#inflight.has(address) || !this.#backoff.due(address, now)) continue
      if (this.#node.getConnections().some((c) => c.remotePeer.toString() === id && c.status === 'open')) continue
      this.#inflight.add(address)
      this.#node.dial(ma, { signal: AbortSignal.timeout(10_000) }).then(() => {
        this.#backoff.reset(address)
        this.#log.info({ peer: address }, 'connected to bootstrap peer')
      }, (err: Error) => {
        this.#backoff.failed(address, Date.now())
        this.#log.debug({ peer: address, err: err.message }, 'bootstrap peer unreachable')
      }).finally(() => { this.#inflight.delete(address) })
    }
  }
}
