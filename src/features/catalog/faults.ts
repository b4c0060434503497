/**
 * Test faults of the catalog, for integration tests of how members cope with a partition and
 * with a member sending garbage. Inert unless the daemon is started with the fault named in
 * `WEFT_TEST_FAULTS` (see src/daemon/daemon.ts); never set in use.
 *
 * - `gossip-partition`: gossip frames and replication streams to and from the devices listed
 *   in `<home>/test-gossip-blocked` (one device ID a line) are dropped, as if the network lost
 *   them. The file is re-read on each use, so a test cuts a member off by writing it and heals
 *   by removing it. The mesh connection itself stays up: only the catalog's traffic is cut.
 * - `gossip-garbage`: once a second this device opens a fresh gossip stream to every member it
 *   sees alive or suspect and sends malformed frames (see {@link garbageFrames}), ending with a
 *   frame of an impossible length that makes the receiver drop the stream. Its real gossip
 *   travels on its own streams, so it stays a healthy member while it does this.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { DeviceId, NetworkId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import type { Mesh } from '../../net/types.js'
import { encodeFrame, gossipProtocol } from './transport.js'

/** Name of the block list file in the daemon's home (`gossip-partition`). */
export const blockedPeersFile = 'test-gossip-blocked'

/** The catalog's test faults, as the daemon passes them on. */
export interface CatalogFaults {
  /** `gossip-partition`: path of the block list. */
  blockedPeersPath?: string
  /** `gossip-garbage`: send malformed gossip to the members. */
  garbage?: boolean
}

/** A predicate reading the block list at `path` on every call (a missing file blocks nobody). */
export function blockList (path: string): (device: DeviceId) => boolean {
  return (device) => {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch {
      return false
    }
    return text.split('\n').some((line) => line.trim() === device)
  }
}

/**
 * Malformed gossip for network `net`, each caught by a different check of the receiver:
 * packets that do not decode (bad version, truncated, unknown message type, an absurd member
 * count, an empty packet, random bytes), a well-formed "dead" about a device that is no
 * member, a frame for a network the sender is not in, and last a length no frame may have.
 */
export function garbageFrames (net: NetworkId): Buffer[] {
  const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b }
  const packets = [
    Buffer.from([0xff, 0]),
    Buffer.from([1, 5, 2]),
    Buffer.from([1, 1, 0x63]),
    Buffer.concat([Buffer.from([1, 1, 9, 0]), u32(0xffffffff)]),
    Buffer.alloc(0),
    Buffer.concat([Buffer.from([1]), randomBytes(2 + Math.floor(Math.random() * 600))]),
    Buffer.concat([Buffer.from([1, 1, 7]), randomBytes(8), u32(7), randomBytes(8)])
  ]
  return [
    ...packets.map((p) => encodeFrame(net, p)),
    encodeFrame(randomBytes(16).toString('hex') as NetworkId, Buffer.from([1, 1, 2, 0, 0, 0, 1])),
    u32(0xffffffff)
  ]
}

/** Options of {@link GossipGarbage}. */
export interface GossipGarbageOptions {
  mesh: Mesh
  log: Logger
  /** Where to send garbage now: members seen alive or suspect, per network. */
  targets: () => Array<{ net: NetworkId, device: DeviceId }>
  intervalMs?: number
}

/** The `gossip-garbage` fault: sends {@link garbageFrames} to every member, every second. */
export class GossipGarbage {
  readonly #o: GossipGarbageOptions
  #timer?: NodeJS.Timeout
  /** Garbage streams that were written in full. */
  sent = 0

  constructor (options: GossipGarbageOptions) {
    this.#o = options
  }

  start (): void {
    this.#o.log.warn('test fault gossip-garbage: sending malformed gossip to every member')
    this.#timer = setInterval(() => { for (const t of this.#o.targets()) void this.#send(t.net, t.device) }, this.#o.intervalMs ?? 1000)
    this.#timer.unref()
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  async #send (net: NetworkId, device: DeviceId): Promise<void> {
    try {
      const stream = await this.#o.mesh.openStream(device, gossipProtocol, { signal: AbortSignal.timeout(3000) })
      try {
        await stream.write(Buffer.concat(garbageFrames(net)), { signal: AbortSignal.timeout(3000) })
        this.sent++
      } finally {
        // The receiver drops the stream at the last frame; nothing to wait for.
        setTimeout(() => { stream.abort(new Error('garbage sent')) }, 1000).unref()
      }
    } catch (err) {
      this.#o.log.debug({ to: device, err: err instanceof Error ? err.message : String(err) }, 'garbage not sent')
    }
  }
}
