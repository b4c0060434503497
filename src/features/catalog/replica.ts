/**
 * Replication of the catalog/KV map between members (`/weft/catalog/1.0.0`, framed JSON).
 * A write is pushed at once to every member gossip sees alive; anti-entropy repairs the
 * rest: a member sends the stamps of all its entries, the other answers with the entries
 * the asker lacks or holds older and names those it wants back. Both ends merge by the
 * last-writer-wins rule, so any sequence of pushes and syncs converges.
 *
 * Every entry is checked on arrival: sizes, a stamp at most a few minutes ahead of our clock
 * (a wrong clock would otherwise win forever), and for `node/DEVICE` records (a member's
 * services and health) that the writer is that device. Bad entries are dropped and counted.
 * Members are otherwise trusted with the map's content, as Consul agents are without ACLs;
 * non-members cannot open the protocol at all. The test fault `gossip-partition` (faults.ts)
 * plugs in as `blocked`.
 */
import { z } from 'zod'
import { WeftError, toWeftError } from '../../core/errors.js'
import type { DeviceId, NetworkId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import { FramedStream } from '../../net/framed.js'
import type { Mesh } from '../../net/types.js'
import { compareStamps, maxClockSkewMs } from './hlc.js'
import type { HybridClock } from './hlc.js'
import type { Entry, ReplicaStore } from './store.js'
import { maxKeyBytes, maxValueBytes, nodeKeyPrefix } from './types.js'

/** The replication protocol name. */
export const replicaProtocol = '/weft/catalog/1.0.0'
const batchBytes = 2 * 1024 * 1024

const wireEntry = z.object({
  k: z.string().min(1).max(maxKeyBytes + 80),
  v: z.string().max(Math.ceil(maxValueBytes / 3) * 4 + 4).nullable(),
  ms: z.number().int().nonnegative(),
  c: z.number().int().nonnegative(),
  d: z.string().min(1).max(80)
}).strict()
type WireEntry = z.infer<typeof wireEntry>
const message = z.discriminatedUnion('t', [
  z.object({ t: z.literal('push'), net: z.string() }).strict(),
  z.object({ t: z.literal('sync'), net: z.string(), items: z.array(z.tuple([z.string(), z.number(), z.number(), z.string()])).max(200_000) }).strict(),
  z.object({ t: z.literal('want'), keys: z.array(z.string()).max(200_000) }).strict(),
  z.object({ t: z.literal('entries'), entries: z.array(wireEntry).max(10_000) }).strict(),
  z.object({ t: z.literal('end') }).strict()
])
type Message = z.infer<typeof message>

/** Counters of replication. */
export interface ReplicaStats {
  entriesReceived: number
  entriesApplied: number
  /** Entries refused: malformed, too far in the future, or a node record not by its device. */
  entriesRejected: number
  streamsRefused: number
}

/** Options of {@link CatalogReplicator}. */
export interface CatalogReplicatorOptions {
  mesh: Mesh
  store: ReplicaStore
  clock: HybridClock
  log: Logger
  isMember: (net: NetworkId, device: DeviceId) => boolean
  /** Entries that changed the local map. */
  onMerged: (net: NetworkId, entries: Entry[]) => void
  /** Test fault only: true for devices with which nothing is exchanged either way. */
  blocked?: (device: DeviceId) => boolean
}

function toWire (e: Entry): WireEntry {
  return { k: e.key, v: e.value === null ? null : e.value.toString('base64'), ms: e.stamp.ms, c: e.stamp.c, d: e.stamp.device }
}

/** Pushes, syncs and serves the replicated map. */
export class CatalogReplicator {
  readonly stats: ReplicaStats = { entriesReceived: 0, entriesApplied: 0, entriesRejected: 0, streamsRefused: 0 }
  readonly #o: CatalogReplicatorOptions

  constructor (options: CatalogReplicatorOptions) {
    this.#o = options
  }

  async start (): Promise<void> {
    await this.#o.mesh.handle(replicaProtocol, async (stream) => {
      if (this.#o.blocked?.(stream.remote) === true) { stream.abort(new WeftError('PEER_UNREACHABLE', 'test fault gossip-partition')); return }
      const framed = new FramedStream(stream)
      try {
        await this.#serve(framed)
      } catch (err) {
        this.#o.log.debug({ from: stream.remote, err: toWeftError(err).message }, 'catalog replication stream failed')
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    }, { maxInboundStreams: 64, maxOutboundStreams: 64 })
  }

  /** Sends `entries` to `peer` now. */
  async push (net: NetworkId, peer: DeviceId, entries: Entry[], signal = AbortSignal.timeout(10_000)): Promise<void> {
    this.#checkBlocked(peer)
    const stream = await this.#o.mesh.openStream(peer, replicaProtocol, { signal })
    const framed = new FramedStream(stream)
    await framed.send({ t: 'push', net }, { signal })
    await this.#sendEntries(framed, entries, signal)
    await this.#expectEnd(framed, signal)
    await stream.closeWrite()
  }

  /** Anti-entropy with `peer`: both ends end up with the newer of every entry. */
  async sync (net: NetworkId, peer: DeviceId, signal = AbortSignal.timeout(30_000)): Promise<void> {
    this.#checkBlocked(peer)
    const stream = await this.#o.mesh.openStream(peer, replicaProtocol, { signal })
    const framed = new FramedStream(stream)
    const items = this.#o.store.digest(net).map((d) => [d.key, d.stamp.ms, d.stamp.c, d.stamp.device] as [string, number, number, string])
    await framed.send({ t: 'sync', net, items }, { signal })
    const want = await this.#receive(framed, signal)
    if (want.t !== 'want') throw new WeftError('PROTOCOL_ERROR', 'expected the keys the member wants')
    await this.#receiveEntries(framed, net, peer, signal)
    const ours = want.keys.map((k) => this.#o.store.get(net, k)).filter((e): e is NonNullable<typeof e> => e !== undefined)
    await this.#sendEntries(framed, ours, signal)
    await stream.closeWrite()
  }

  #checkBlocked (peer: DeviceId): void {
    if (this.#o.blocked?.(peer) === true) throw new WeftError('PEER_UNREACHABLE', 'test fault gossip-partition: this member is cut off')
  }

  async #serve (framed: FramedStream): Promise<void> {
    const from = framed.stream.remote
    const signal = AbortSignal.timeout(60_000)
    const first = await this.#receive(framed, signal)
    if (first.t !== 'push' && first.t !== 'sync') throw new WeftError('PROTOCOL_ERROR', 'expected push or sync')
    const net = first.net as NetworkId
    if (!this.#o.isMember(net, from)) {
      this.stats.streamsRefused++
      throw new WeftError('NOT_MEMBER', 'not a member')
    }
    if (first.t === 'push') {
      await this.#receiveEntries(framed, net, from, signal)
      await framed.send({ t: 'end' }, { signal })
      return
    }
    const theirs = new Map(first.items.map(([k, ms, c, d]) => [k, { ms, c, device: d }]))
    const mine = this.#o.store.digest(net)
    const want = new Set(first.items.map(([k]) => k))
    const send: Entry[] = []
    for (const { key, stamp } of mine) {
      const t = theirs.get(key)
      const order = t === undefined ? 1 : compareStamps(stamp, t)
      if (order >= 0) want.delete(key)
      if (order > 0) {
        const e = this.#o.store.get(net, key)
        if (e !== undefined) send.push(e)
      }
    }
    await framed.send({ t: 'want', keys: [...want] }, { signal })
    await this.#sendEntries(framed, send, signal)
    await this.#receiveEntries(framed, net, from, signal)
  }

  async #sendEntries (framed: FramedStream, entries: Entry[], signal: AbortSignal): Promise<void> {
    let batch: WireEntry[] = []
    let size = 0
    for (const e of entries) {
      const w = toWire(e)
      batch.push(w)
      size += (w.v?.length ?? 0) + w.k.length + 64
      if (size >= batchBytes || batch.length >= 10_000) {
        await framed.send({ t: 'entries', entries: batch }, { signal })
        batch = []
        size = 0
      }
    }
    if (batch.length > 0) await framed.send({ t: 'entries', entries: batch }, { signal })
    await framed.send({ t: 'end' }, { signal })
  }

  async #receiveEntries (framed: FramedStream, net: NetworkId, from: DeviceId, signal: AbortSignal): Promise<void> {
    for (;;) {
      const m = await this.#receive(framed, signal)
      if (m.t === 'end') return
      if (m.t !== 'entries') throw new WeftError('PROTOCOL_ERROR', `unexpected ${m.t}`)
      const applied: Entry[] = []
      for (const w of m.entries) {
        this.stats.entriesReceived++
        const e = this.#accept(net, w)
        if (e === undefined) { this.stats.entriesRejected++; continue }
        this.#o.clock.observe(e.stamp)
        if (this.#o.store.merge(net, e)) { applied.push(e); this.stats.entriesApplied++ }
      }
      if (applied.length > 0) this.#o.onMerged(net, applied)
      void from
    }
  }

  async #expectEnd (framed: FramedStream, signal: AbortSignal): Promise<void> {
    const m = await this.#receive(framed, signal)
    if (m.t !== 'end') throw new WeftError('PROTOCOL_ERROR', 'expected end')
  }

  async #receive (framed: FramedStream, signal: AbortSignal): Promise<Message> {
    const raw = await framed.expect({ signal })
    const parsed = message.safeParse(raw)
    if (!parsed.success) throw new WeftError('PROTOCOL_ERROR', 'malformed catalog message')
    return parsed.data
  }

  /** The entry a wire entry stands for, if it passes the checks. */
  #accept (net: NetworkId, w: WireEntry): Entry | undefined {
    if (w.ms > Date.now() + maxClockSkewMs) return undefined
    if (w.k.startsWith(nodeKeyPrefix) && w.k.slice(nodeKeyPrefix.length) !== w.d) return undefined
    let value: Buffer | null = null
    if (w.v !== null) {
      value = Buffer.from(w.v, 'base64')
      if (value.length > maxValueBytes || value.toString('base64') !== w.v) return undefined
    }
    return { key: w.k, value, stamp: { ms: w.ms, c: w.c, device: w.d } }
  }
}
