/**
 * Datagrams over mesh streams for gossip (`/weft/gossip/1.0.0`): one long-lived outgoing
 * stream per peer carries frames of u32 length · 16-byte network ID · packet. Sending never
 * waits: while a stream opens, a few frames queue; if it cannot open or a write fails, the
 * frames are dropped and counted, which is what SWIM expects of a lossy datagram network.
 * Frames from devices the caller does not accept (non-members) are dropped and counted.
 * The test fault `gossip-partition` (faults.ts) plugs in as `blocked`.
 */
import { WeftError } from '../../core/errors.js'
import type { DeviceId, NetworkId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import type { Mesh, MeshStream } from '../../net/types.js'

/** The gossip protocol name. */
export const gossipProtocol = '/weft/gossip/1.0.0'
/** Largest frame accepted (a full-state sync of a big network). */
export const maxFrameBytes = 4 * 1024 * 1024
const queueLimit = 64

/** Counters of the transport. */
export interface TransportStats {
  framesSent: number
  framesReceived: number
  /** Frames dropped on send (stream would not open, write failed, queue full). */
  sendDropped: number
  /** Frames or streams refused because the sender is not a member. */
  fromNonMembers: number
  /** Frames that were not well formed. */
  malformed: number
  /** Frames dropped to or from a device the `gossip-partition` test fault blocks (0 in use). */
  faultDropped: number
}

/** Options of {@link GossipTransport}. */
export interface GossipTransportOptions {
  mesh: Mesh
  log: Logger
  /** True when `from` may send gossip about network `net` (null: any network of ours). */
  accepts: (from: DeviceId, net: NetworkId | null) => boolean
  /** A frame that passed the checks. */
  onPacket: (net: NetworkId, from: DeviceId, packet: Uint8Array) => void
  /** Test fault only: true for devices whose frames are dropped both ways, as if lost. */
  blocked?: (device: DeviceId) => boolean
}

/** One frame on the wire: u32 length · 16-byte network ID · packet. */
export function encodeFrame (net: NetworkId, packet: Uint8Array): Buffer {
  const frame = Buffer.alloc(4 + 16 + packet.length)
  frame.writeUInt32BE(16 + packet.length, 0)
  frame.write(net, 4, 'hex')
  frame.set(packet, 20)
  return frame
}

interface Peer { stream?: MeshStream, opening: boolean, queue: Uint8Array[], writing: Promise<void> }

/** The gossip datagram layer over the mesh. */
export class GossipTransport {
  readonly stats: TransportStats = { framesSent: 0, framesReceived: 0, sendDropped: 0, fromNonMembers: 0, malformed: 0, faultDropped: 0 }
  readonly #o: GossipTransportOptions
  readonly #peers = new Map<DeviceId, Peer>()
  readonly #inbound = new Set<MeshStream>()
  #stopped = false

  constructor (options: GossipTransportOptions) {
    this.#o = options
  }

  async start (): Promise<void> {
    await this.#o.mesh.handle(gossipProtocol, async (stream) => { await this.#serve(stream) }, { maxInboundStreams: 8, maxOutboundStreams: 8 })
  }

  async stop (): Promise<void> {
    this.#stopped = true
    for (const p of this.#peers.values()) p.stream?.abort(new Error('gossip stopped'))
    for (const s of this.#inbound) s.abort(new Error('gossip stopped'))
    this.#peers.clear()
    await Promise.resolve()
  }

  /** Sends one packet to `to` for network `net`, or drops it (never throws, never waits). */
  send (to: DeviceId, net: NetworkId, packet: Uint8Array): void {
    if (this.#stopped) return
    if (this.#o.blocked?.(to) === true) { this.stats.faultDropped++; return }
    const frame = encodeFrame(net, packet)
    let peer = this.#peers.get(to)
    if (peer === undefined) {
      peer = { opening: false, queue: [], writing: Promise.resolve() }
      this.#peers.set(to, peer)
    }
    if (peer.queue.length >= queueLimit) { this.stats.sendDropped++; return }
    peer.queue.push(frame)
    this.#pump(to, peer)
  }

  #pump (to: DeviceId, peer: Peer): void {
    if (peer.stream === undefined) {
      if (peer.opening) return
      peer.opening = true
      this.#o.mesh.openStream(to, gossipProtocol, { signal: AbortSignal.timeout(3000) }).then((stream) => {
        peer.opening = false
        if (this.#stopped) { stream.abort(new Error('gossip stopped')); return }
        peer.stream = stream
        // Nothing comes back on our outgoing stream; reading it notices when it closes.
        void (async () => { try { for await (const chunk of stream) void chunk } catch { /* closed */ } if (peer.stream === stream) peer.stream = undefined })()
        this.#pump(to, peer)
      }, () => {
        peer.opening = false
        this.stats.sendDropped += peer.queue.length
        peer.queue = []
      })
      return
    }
    const stream = peer.stream
    const frames = peer.queue.splice(0)
    if (frames.length === 0) return
    peer.writing = peer.writing.then(async () => {
      await stream.write(frames.length === 1 ? frames[0] as Uint8Array : Buffer.concat(frames), { signal: AbortSignal.timeout(5000) })
      this.stats.framesSent += frames.length
    }).catch(() => {
      this.stats.sendDropped += frames.length
      if (peer.stream === stream) peer.stream = undefined
      stream.abort(new Error('gossip write failed'))
    })
  }

  async #serve (stream: MeshStream): Promise<void> {
    const from = stream.remote
    if (!this.#o.accepts(from, null)) {
      this.stats.fromNonMembers++
      stream.abort(new WeftError('NOT_MEMBER', 'not a member'))
      return
    }
    this.#inbound.add(stream)
    let buf: Buffer = Buffer.alloc(0)
    try {
      for await (const chunk of stream) {
        buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk])
        while (buf.length >= 4) {
          const length = buf.readUInt32BE(0)
          if (length < 16 || length > maxFrameBytes) {
            this.stats.malformed++
            throw new WeftError('PROTOCOL_ERROR', `gossip frame of ${length} bytes`)
          }
          if (buf.length < 4 + length) break
          const net = buf.subarray(4, 20).toString('hex') as NetworkId
          const packet = buf.subarray(20, 4 + length)
          buf = buf.subarray(4 + length)
          this.stats.framesReceived++
          if (!this.#o.accepts(from, net)) { this.stats.fromNonMembers++; continue }
          if (this.#o.blocked?.(from) === true) { this.stats.faultDropped++; continue }
          this.#o.onPacket(net, from, packet)
        }
      }
    } catch (err) {
      this.#o.log.debug({ from, err: err instanceof Error ? err.message : String(err) }, 'gossip stream from a member closed')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      this.#inbound.delete(stream)
    }
  }
}
