/**
 * Pipes by topic (like airpipe): two ends that name the same topic in the same network are
 * joined into one byte stream through the mesh, whichever starts first. An end that starts
 * asks each online member of the network, one at a time, whether it holds an unmatched end
 * of the topic (`/weft/pipe/1.0.0`); the first that does answers `ok` and the stream becomes
 * the pipe. Otherwise the end waits to be asked. When two ends ask each other at once, the
 * device with the lower ID keeps its outgoing request, so exactly one pipe forms. A pipe joined
 * through a relay is a tunnel that moves to the direct path once one opens (migration.ts).
 */
import { WeftError } from '../../core/errors.js'
import type { DeviceId, NetworkId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import { FramedStream } from '../../net/framed.js'
import type { Mesh, MeshStream } from '../../net/types.js'
import { z } from 'zod'
import { newTunnelId, TunnelDesk, TunnelMover } from './migration.js'
import { tunnelId } from './protocol.js'
import { Tunnel } from './tunnel.js'

/** Protocol ID on the mesh. */
export const pipeProtocol = '/weft/pipe/1.0.0'

const joinRequest = z.union([
  z.object({ topic: z.string().min(1).max(256), network: z.string().min(1).max(128), tunnel: tunnelId.optional() }).strict(),
  z.object({ op: z.literal('resume'), tunnel: tunnelId }).strict()
])
const joinAnswer = z.object({ ok: z.boolean() }).strict()

/** One end of a joined pipe. */
export interface PipeEnd {
  peer: DeviceId
  stream: MeshStream
  incoming: AsyncIterable<Uint8Array>
}

interface Waiting {
  network: NetworkId
  /** Members we are asking right now. */
  asking: Set<DeviceId>
  matched: boolean
  resolve: (end: PipeEnd) => void
}

/** What pipes need from the rest of the daemon. */
export interface PipeContext {
  mesh: Mesh
  isMember: (network: NetworkId, device: DeviceId) => boolean
  /** Online members of a network, other than this device. */
  onlineMembers: (network: NetworkId) => DeviceId[]
  log: Logger
}

/** Matches local pipe ends with remote ones. */
export class PipeBroker {
  readonly #ctx: PipeContext
  readonly #waiting = new Map<string, Waiting>()
  /** Moves pipes joined through a relay (the asking end's). */
  readonly mover: TunnelMover
  readonly #desk = new TunnelDesk()

  constructor (ctx: PipeContext) {
    this.#ctx = ctx
    this.mover = new TunnelMover(ctx.mesh, ctx.log, pipeProtocol)
  }

  async start (): Promise<void> {
    await this.#ctx.mesh.handle(pipeProtocol, async (stream) => { await this.#onJoin(stream) }, { maxInboundStreams: 64, maxOutboundStreams: 64 })
  }

  /** Waits until another member opens the same topic (or `signal` fires); ALREADY_EXISTS if this device already waits on it. */
  async open (topic: string, network: NetworkId, signal: AbortSignal): Promise<PipeEnd> {
    if (topic.length === 0 || topic.length > 256) throw new WeftError('INVALID_ARGUMENT', 'a topic is 1 to 256 characters')
    const key = `${network}\0${topic}`
    if (this.#waiting.has(key)) throw new WeftError('ALREADY_EXISTS', `this device already has an open end of pipe ${JSON.stringify(topic)}`)
    signal.throwIfAborted()
    return await new Promise<PipeEnd>((resolve, reject) => {
      const waiting: Waiting = { network, asking: new Set(), matched: false, resolve: (end) => { cleanup(); resolve(end) } }
      const onAbort = (): void => { cleanup(); reject(new WeftError('ABORTED', 'the pipe was closed before another end joined')) }
      const cleanup = (): void => {
        waiting.matched = true
        if (this.#waiting.get(key) === waiting) this.#waiting.delete(key)
        signal.removeEventListener('abort', onAbort)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiting.set(key, waiting)
      void this.#ask(topic, waiting, signal)
    })
  }

  async #ask (topic: string, waiting: Waiting, signal: AbortSignal): Promise<void> {
    for (const device of this.#ctx.onlineMembers(waiting.network)) {
      if (waiting.matched || signal.aborted) return
      waiting.asking.add(device)
      let stream: MeshStream | undefined
      try {
        const tunnel = this.#ctx.mesh.link(device).path === 'relay' ? newTunnelId() : undefined
        stream = await this.#ctx.mesh.openStream(device, pipeProtocol, { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) })
        const framed = new FramedStream(stream, 4096)
        await framed.send({ topic, network: waiting.network, ...(tunnel === undefined ? {} : { tunnel }) })
        const answer = joinAnswer.safeParse(await framed.expect({ signal: AbortSignal.timeout(10_000) }))
        if (answer.success && answer.data.ok && !waiting.matched) {
          if (tunnel === undefined) {
            waiting.resolve({ peer: device, stream, incoming: framed.rest() })
            return
          }
          const wrapped = new Tunnel(stream, framed.rest())
          wrapped.onClose(this.mover.track(tunnel, wrapped))
          waiting.resolve({ peer: device, stream: wrapped, incoming: wrapped })
          if (this.#ctx.mesh.link(device).path !== 'relay') void this.mover.upgrade(device)
          return
        }
        stream.abort(new Error('not joined'))
      } catch (err) {
        stream?.abort(err instanceof Error ? err : new Error(String(err)))
        this.#ctx.log.debug({ device, err: err instanceof Error ? err.message : String(err) }, 'pipe join request failed')
      } finally {
        waiting.asking.delete(device)
      }
    }
  }

  async #onJoin (stream: MeshStream): Promise<void> {
    const framed = new FramedStream(stream, 4096)
    let tunnel: Tunnel | undefined
    try {
      const parsed = joinRequest.safeParse(await framed.expect({ signal: AbortSignal.timeout(10_000) }))
      if (!parsed.success) throw new WeftError('PROTOCOL_ERROR', 'malformed pipe request')
      const request = parsed.data
      if ('op' in request) {
        await this.#desk.resume(request.tunnel, framed)
        return
      }
      const network = request.network as NetworkId
      const waiting = this.#waiting.get(`${network}\0${request.topic}`)
      const admitted = waiting !== undefined && !waiting.matched && this.#ctx.isMember(network, stream.remote) &&
        // Both ends asking each other: the lower device ID's own request wins.
        !(waiting.asking.has(stream.remote) && this.#ctx.mesh.deviceId < stream.remote)
      // A pipe asked for through a relay is a tunnel (its ID must be new for that device).
      const id = request.tunnel
      tunnel = admitted && id !== undefined ? new Tunnel(stream, framed.rest()) : undefined
      const accept = admitted && (tunnel === undefined || id === undefined || this.#desk.add(id, tunnel))
      if (accept && tunnel !== undefined && id !== undefined) {
        const registered = tunnel
        tunnel.onClose(() => { this.#desk.remove(id, registered) })
      }
      await framed.send({ ok: accept })
      if (!accept || waiting === undefined) {
        await stream.closeWrite()
        return
      }
      if (tunnel === undefined || id === undefined) {
        waiting.resolve({ peer: stream.remote, stream, incoming: framed.rest() })
        return
      }
      waiting.resolve({ peer: stream.remote, stream: tunnel, incoming: tunnel })
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err))
      tunnel?.abort(e)
      stream.abort(e)
    }
  }
}
