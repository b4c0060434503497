/**
 * Upgrades relayed connections to direct ones by TCP hole punching, coordinated over the
 * relayed connection itself (`/weft/punch/1.0.0`, the role libp2p's DCUtR plays, which made
 * no direct connection in the lab as shipped: see docs/ARCHITECTURE.md).
 *
 * 1. Each side picks a fresh local port and asks the relay (an address observer on its TCP
 *    listener) which public address and port that local port maps to.
 * 2. The initiator (the lower device ID, so exactly one side starts) sends its mapping; the
 *    responder answers with its own; the initiator says `sync` and the responder echoes it.
 * 3. The responder connects on sending its echo, the initiator on receiving it, each from its
 *    chosen port to the other's mapping (simultaneous open). The initiator then runs the
 *    dialer's side of multistream-select and libp2p TLS, the responder the listener's, and the
 *    connection joins libp2p like any other, with a `direct` path.
 *
 * A failed punch (a symmetric NAT maps the port differently for the peer) leaves the relayed
 * connection as it was and is retried later with backoff (5 s doubling to 10 min; reset by
 * every new relayed connection, since a restart or a move changes the odds).
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { Backoff } from '../../core/backoff.js'
import type { DeviceId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import { FramedStream } from '../framed.js'
import { toMeshStream } from '../libp2p-stream.js'
import type { NodeInternals } from '../internals.js'
import { observeAddress } from '../native-tls/observer.js'
import type { ObservedAddress } from '../native-tls/observer.js'
import { tryDeviceIdOf } from '../peer-ids.js'
import { isRelayed } from '../relay/keeper.js'
import type { PunchStats } from '../types.js'
import { freeLocalPort, simultaneousOpen } from './simultaneous-open.js'

/** Protocol of the punch coordination. */
export const punchProtocol = '/weft/punch/1.0.0'

const exchangeTimeoutMs = 10_000
const connectWindowMs = 10_000
const maxCandidates = 4

/** Options of {@link HolePuncher}. */
export interface HolePuncherOptions {
  node: Libp2p
  internals: NodeInternals
  self: DeviceId
  /** Devices we may punch to (fellow members). */
  allowed: (device: DeviceId) => boolean
  /** Called after a direct connection replaced a relayed one. */
  onDirect: (device: DeviceId) => void
  log: Logger
}

type PunchMessage = { t: 'connect', addrs: string[] } | { t: 'sync' } | { t: 'fail', reason: string }

/** Coordinates hole punches over relayed connections. */
export class HolePuncher {
  readonly #o: HolePuncherOptions
  readonly #inflight = new Set<DeviceId>()
  readonly #backoff = new Backoff<DeviceId>({ initialMs: 5000, maxMs: 600_000 })
  readonly #stats: PunchStats = { attempts: 0, successes: 0 }
  readonly #onOpen = (evt: CustomEvent<Connection>): void => {
    // A new relayed connection (a restart, a move) is a new chance: forget earlier failures.
    const device = tryDeviceIdOf(evt.detail.remotePeer)
    if (device !== undefined && isRelayed(evt.detail)) this.#backoff.reset(device)
    this.#consider(evt.detail)
  }
  #timer?: NodeJS.Timeout

  constructor (options: HolePuncherOptions) {
    this.#o = options
  }

  async start (): Promise<void> {
    await this.#o.node.handle(punchProtocol, async (stream, connection) => { await this.#respond(stream, connection) }, { runOnLimitedConnection: true, maxInboundStreams: 2 })
    this.#o.node.addEventListener('connection:open', this.#onOpen)
    // Retry punches whose backoff expired while the peer is still only relayed.
    this.#timer = setInterval(() => { for (const c of this.#o.node.getConnections()) this.#consider(c) }, 5000)
    this.#timer.unref()
  }

  stop (): void {
    clearInterval(this.#timer)
    this.#o.node.removeEventListener('connection:open', this.#onOpen)
  }

  stats (): PunchStats {
    return { ...this.#stats }
  }

  /** Looks again at a relayed connection (e.g. once stale direct connections were closed). */
  reconsider (connection: Connection): void {
    this.#consider(connection)
  }

  /** Starts a punch if `connection` is relayed, ours to initiate, and no direct path exists. */
  #consider (connection: Connection): void {
    const device = tryDeviceIdOf(connection.remotePeer)
    // The lower device ID initiates, so two devices never start punches at each other at once.
    if (device === undefined || this.#o.self >= device || !isRelayed(connection) || connection.status !== 'open') return
    if (this.#inflight.has(device) || !this.#backoff.due(device, Date.now()) || !this.#o.allowed(device) || this.#hasDirect(connection)) return
    void this.#initiate(device, connection)
  }

  #hasDirect (connection: Connection): boolean {
    return this.#o.node.getConnections(connection.remotePeer).some((c) => c.status === 'open' && !isRelayed(c))
  }

  async #initiate (device: DeviceId, connection: Connection): Promise<void> {
    this.#inflight.add(device)
    this.#stats.attempts++
    const started = Date.now()
    let framed: FramedStream | undefined
    try {
      const observer = relayObserver(connection)
      const [localPort, stream] = await Promise.all([freeLocalPort(), connection.newStream(punchProtocol, { runOnLimitedConnection: true, signal: AbortSignal.timeout(exchangeTimeoutMs) })])
      framed = new FramedStream(toMeshStream(stream, device), 4096)
      const mine = await observeAddress(observer, localPort, AbortSignal.timeout(exchangeTimeoutMs))
      await framed.send({ t: 'connect', addrs: [`${mine.host}:${mine.port}`] } satisfies PunchMessage)
      const theirs = candidates(await framed.receive({ signal: AbortSignal.timeout(exchangeTimeoutMs) }))
      await framed.send({ t: 'sync' } satisfies PunchMessage)
      const echo = await framed.receive({ signal: AbortSignal.timeout(exchangeTimeoutMs) }) as PunchMessage | undefined
      if (echo?.t !== 'sync') throw new Error(`peer did not sync (${echo?.t ?? 'closed'})`)
      const socket = await simultaneousOpen(localPort, theirs, AbortSignal.timeout(connectWindowMs))
      const target = theirs.find((t) => t.host === socket.remoteAddress && t.port === socket.remotePort) ?? theirs[0]
      await this.#o.internals.tcp.adopt(socket, { direction: 'outbound', remoteAddr: tcpAddr(target, `/p2p/${connection.remotePeer.toString()}`), signal: AbortSignal.timeout(exchangeTimeoutMs) })
      this.#succeeded(device, started)
    } catch (err) {
      this.#failed(device, err as Error)
      await framed?.send({ t: 'fail', reason: (err as Error).message.slice(0, 200) }).catch(() => {})
    } finally {
      this.#inflight.delete(device)
      await framed?.stream.closeWrite().catch(() => {})
    }
  }

  async #respond (stream: Stream, connection: Connection): Promise<void> {
    const device = tryDeviceIdOf(connection.remotePeer)
    if (device === undefined || !this.#o.allowed(device) || !isRelayed(connection) || this.#inflight.has(device)) {
      stream.abort(new Error('punch refused'))
      return
    }
    this.#inflight.add(device)
    this.#stats.attempts++
    const started = Date.now()
    const framed = new FramedStream(toMeshStream(stream, device), 4096)
    try {
      const theirs = candidates(await framed.receive({ signal: AbortSignal.timeout(exchangeTimeoutMs) }))
      const localPort = await freeLocalPort()
      const mine = await observeAddress(relayObserver(connection), localPort, AbortSignal.timeout(exchangeTimeoutMs))
      await framed.send({ t: 'connect', addrs: [`${mine.host}:${mine.port}`] } satisfies PunchMessage)
      const sync = await framed.receive({ signal: AbortSignal.timeout(exchangeTimeoutMs) }) as PunchMessage | undefined
      if (sync?.t !== 'sync') throw new Error(`peer did not sync (${sync?.t ?? 'closed'})`)
      await framed.send({ t: 'sync' } satisfies PunchMessage)
      const socket = await simultaneousOpen(localPort, theirs, AbortSignal.timeout(connectWindowMs))
      const target = theirs.find((t) => t.host === socket.remoteAddress && t.port === socket.remotePort) ?? theirs[0]
      await this.#o.internals.tcp.adopt(socket, { direction: 'inbound', remoteAddr: tcpAddr(target, ''), signal: AbortSignal.timeout(exchangeTimeoutMs) })
      this.#succeeded(device, started)
    } catch (err) {
      this.#failed(device, err as Error)
    } finally {
      this.#inflight.delete(device)
      await framed.stream.closeWrite().catch(() => {})
    }
  }

  #succeeded (device: DeviceId, started: number): void {
    this.#stats.successes++
    this.#stats.lastMs = Date.now() - started
    this.#backoff.reset(device)
    this.#o.log.info({ device, ms: this.#stats.lastMs }, 'hole punch made a direct connection')
    this.#o.onDirect(device)
  }

  #failed (device: DeviceId, err: Error): void {
    this.#stats.lastError = err.message
    const retryMs = this.#backoff.failed(device, Date.now())
    this.#o.log.info({ device, err: err.message, retryMs }, 'hole punch failed; staying relayed')
  }
}

/** The relay of a relayed connection, as an address observer (its TCP address). */
function relayObserver (connection: Connection): ObservedAddress {
  const relayPart = connection.remoteAddr.toString().split('/p2p-circuit')[0] ?? ''
  const match = /^\/ip[46]\/([^/]+)\/tcp\/(\d+)/.exec(relayPart)
  if (match === null) throw new Error(`relay address ${relayPart} is not TCP: cannot observe through it`)
  return { host: match[1] ?? '', port: Number(match[2]) }
}

/** The peer's candidates from a `connect` message (validated, bounded). */
function candidates (message: unknown): ObservedAddress[] {
  const m = message as PunchMessage | undefined
  if (m?.t !== 'connect' || !Array.isArray(m.addrs)) throw new Error(`expected connect, got ${m?.t ?? 'nothing'}`)
  const out = m.addrs.slice(0, maxCandidates).flatMap((a) => {
    const match = typeof a === 'string' ? /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(a) : null
    const port = Number(match?.[2])
    return match === null || port < 1 || port > 65535 ? [] : [{ host: match[1] ?? '', port }]
  })
  if (out.length === 0) throw new Error('peer sent no usable address')
  return out
}

function tcpAddr (target: ObservedAddress | undefined, suffix: string): ReturnType<typeof multiaddr> {
  if (target === undefined) throw new Error('no target')
  return multiaddr(`/ip4/${target.host}/tcp/${target.port}${suffix}`)
}
