/**
 * Keeping forwarded connections and pipes alive when the path to a member gets better: a
 * connection opened while the member was reachable only through a relay is a {@link Tunnel} with an ID;
 * when a direct path opens (a hole punch replaced the relay), the opener moves it onto a
 * stream of that path with `resume` (tunnel.ts has the switch and why it loses no byte), so
 * the connection outlives the relayed one and the relay's per-circuit limits.
 *
 * The server accepts a `resume` only from the device that opened the tunnel, on an
 * authenticated stream of its own, for a tunnel that is open and not already switching.
 */
import { randomBytes } from 'node:crypto'
import type { DeviceId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import { FramedStream } from '../../net/framed.js'
import type { Mesh, MeshStream } from '../../net/types.js'
import { connectAnswer, maxReachMessageBytes, reachProtocol } from './protocol.js'
import type { Tunnel } from './tunnel.js'
import { WeftError } from '../../core/errors.js'

const answerTimeoutMs = 10_000

/** A fresh tunnel ID (128 random bits, base64url). */
export function newTunnelId (): string {
  return randomBytes(16).toString('base64url')
}

/** Counters of `weft doctor`. */
export interface TunnelStats {
  /** Connections open now over a relay that move once a direct path opens. */
  relayed: number
  /** Connections moved from a relay to a direct path since the daemon started. */
  moved: number
  /** Moves that failed (the connection stayed relayed, or ended with an error). */
  failed: number
}

/** The opener's relayed tunnels of one protocol, moved onto a better path when one opens. */
export class TunnelMover {
  readonly #mesh: Mesh
  readonly #log: Logger
  readonly #protocol: string
  readonly #byDevice = new Map<DeviceId, Map<string, Tunnel>>()
  readonly #stats = { moved: 0, failed: 0 }
  readonly #moving = new Set<Tunnel>()

  /** Moves tunnels of `protocol`, whose server answers `resume` with a {@link TunnelDesk}. */
  constructor (mesh: Mesh, log: Logger, protocol = reachProtocol) {
    this.#mesh = mesh
    this.#log = log
    this.#protocol = protocol
  }

  #sweep?: NodeJS.Timeout

  /**
   * Also looks every `intervalMs` for relayed tunnels whose member now has a better path: a
   * `peer:path` event can come before the new connection is the one streams take, and a move
   * refused for a moment (limits) is worth another try.
   */
  start (intervalMs = 5000): void {
    this.#sweep ??= setInterval(() => { for (const device of this.#byDevice.keys()) void this.upgrade(device) }, intervalMs)
    this.#sweep.unref()
  }

  stop (): void {
    clearInterval(this.#sweep)
    this.#sweep = undefined
  }

  /** Watches `tunnel` (opened as `id` to its remote) until `untrack` is called. */
  track (id: string, tunnel: Tunnel): () => void {
    const tunnels = this.#byDevice.get(tunnel.remote) ?? new Map<string, Tunnel>()
    this.#byDevice.set(tunnel.remote, tunnels)
    tunnels.set(id, tunnel)
    return () => {
      tunnels.delete(id)
      if (tunnels.size === 0 && this.#byDevice.get(tunnel.remote) === tunnels) this.#byDevice.delete(tunnel.remote)
    }
  }

  stats (): TunnelStats {
    let relayed = 0
    for (const tunnels of this.#byDevice.values()) relayed += tunnels.size
    return { relayed, ...this.#stats }
  }

  /** The path to `device` changed: move its relayed tunnels if the new path is not a relay. */
  async upgrade (device: DeviceId): Promise<void> {
    const tunnels = this.#byDevice.get(device)
    if (tunnels === undefined || this.#mesh.link(device).path === 'relay') return
    await Promise.all([...tunnels].map(async ([id, tunnel]) => {
      // One move at a time per tunnel (path events can come in bursts).
      if (tunnel.switching || tunnel.failed || this.#moving.has(tunnel)) return
      this.#moving.add(tunnel)
      const moved = await this.#move(device, id, tunnel).catch((err: unknown) => {
        this.#log.info({ device, err: (err as Error).message }, 'could not move a connection off the relay')
        return false
      })
      this.#moving.delete(tunnel)
      if (moved) {
        this.#stats.moved++
        tunnels.delete(id)
      } else {
        this.#stats.failed++
      }
    }))
  }

  async #move (device: DeviceId, id: string, tunnel: Tunnel): Promise<boolean> {
    const signal = AbortSignal.timeout(answerTimeoutMs)
    // A stream of the new connection, not a direct stream: libp2p's protocol negotiation says
    // the member's handler took the stream before `resume` is sent, while a direct stream's
    // listener may refuse it (limits) without a word, which would look like a failure after
    // the server switched and cost the connection. A refusal here leaves the tunnel as it was.
    if (this.#mesh.link(device).path === 'relay') return false
    const stream = await this.#mesh.openStream(device, this.#protocol, { signal })
    const moved = await moveTunnel(tunnel, id, stream, { signal, log: this.#log })
    if (moved) this.#log.info({ device, protocol: this.#protocol }, 'moved a connection off the relay')
    return moved
  }
}

/**
 * Opener's side of `resume`: moves `tunnel` (opened as `id`) onto `stream`. False when the
 * server refused (the tunnel stays where it was) or the handshake failed (the tunnel was torn
 * down, since the server may have switched).
 */
export async function moveTunnel (tunnel: Tunnel, id: string, stream: MeshStream, options: { signal?: AbortSignal, log?: Logger } = {}): Promise<boolean> {
  const framed = new FramedStream(stream, maxReachMessageBytes)
  return await tunnel.switchAsOpener(stream, async () => {
    await framed.send({ op: 'resume', tunnel: id }, options)
    const answer = connectAnswer.safeParse(await framed.expect(options))
    if (!answer.success) throw new WeftError('PROTOCOL_ERROR', 'member sent a malformed resume answer')
    if (!answer.data.ok) {
      options.log?.info({ device: tunnel.remote, code: answer.data.code, err: answer.data.message }, 'member refused to move a connection')
      return undefined
    }
    return framed.rest()
  })
}

/** The server's tunnels, by opener and ID, while their connections are open. */
export class TunnelDesk {
  readonly #tunnels = new Map<string, Tunnel>()

  /** Registers `tunnel` as `id` of its remote; false if that ID is taken. */
  add (id: string, tunnel: Tunnel): boolean {
    const key = `${tunnel.remote}/${id}`
    if (this.#tunnels.has(key)) return false
    this.#tunnels.set(key, tunnel)
    return true
  }

  remove (id: string, tunnel: Tunnel): void {
    const key = `${tunnel.remote}/${id}`
    if (this.#tunnels.get(key) === tunnel) this.#tunnels.delete(key)
  }

  /**
   * Answers a `resume` on `stream` (whose further bytes are `incoming`): switches the tunnel
   * when `stream` comes from the tunnel's opener, else refuses. Never throws.
   */
  async resume (id: string, framed: FramedStream): Promise<void> {
    const stream: MeshStream = framed.stream
    const tunnel = this.#tunnels.get(`${stream.remote}/${id}`)
    if (tunnel === undefined || tunnel.switching || tunnel.failed) {
      await framed.send({ ok: false, code: 'NOT_FOUND', message: 'no such connection to move' }).then(async () => { await stream.closeWrite() }, () => { stream.abort(new Error('refused')) })
      return
    }
    await tunnel.switchAsServer(stream, framed.rest(), async () => { await framed.send({ ok: true }) }).catch(() => {})
  }
}
