/**
 * The serving side of the reach protocol: answers `list` with the services exposed to the
 * asking member, and `connect` by checking, at this daemon, that the service is exposed to a
 * network the member belongs to and that the member is on its allow list, then connecting to
 * the local port and splicing. Everything else is refused here, not merely hidden.
 */
import { connect as tcpConnect } from 'node:net'
import type { Socket } from 'node:net'
import { once } from 'node:events'
import { WeftError, toWeftError } from '../../core/errors.js'
import type { DeviceId, NetworkId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import { FramedStream } from '../../net/framed.js'
import type { MeshStream } from '../../net/types.js'
import { maxReachMessageBytes, reachRequest } from './protocol.js'
import type { ListAnswer } from './protocol.js'
import type { TunnelDesk } from './migration.js'
import { resetSocket, splice } from './splice.js'
import { Tunnel } from './tunnel.js'
import { serveUdp } from './udp.js'
import type { ExposedService } from './types.js'

/** What serving needs to know. */
export interface ServeContext {
  deviceName: string
  services: () => ExposedService[]
  isMember: (network: NetworkId, device: DeviceId) => boolean
  /** A member listed us again after a `changed` notice. */
  onChanged: (device: DeviceId) => void
  log: Logger
  /** Open tunnels (connections opened over a relay), for `resume`. */
  tunnels: TunnelDesk
  /** Connection timeout to the local service. */
  connectTimeoutMs?: number
}

/** True when `device` may use `service`. */
export function mayUse (ctx: Pick<ServeContext, 'isMember'>, service: ExposedService, device: DeviceId): boolean {
  return ctx.isMember(service.network, device) && (service.allow.length === 0 || service.allow.includes(device))
}

/** Handles one incoming reach stream; never throws. */
export async function serveReach (ctx: ServeContext, stream: MeshStream): Promise<void> {
  const framed = new FramedStream(stream, maxReachMessageBytes)
  let socket: Socket | undefined
  try {
    const parsed = reachRequest.safeParse(await framed.expect({ signal: AbortSignal.timeout(10_000) }))
    if (!parsed.success) throw new WeftError('PROTOCOL_ERROR', 'malformed reach request')
    const request = parsed.data
    if (request.op === 'changed') {
      ctx.onChanged(stream.remote)
      await stream.closeWrite()
      return
    }
    if (request.op === 'list') {
      const answer: ListAnswer = {
        deviceName: ctx.deviceName,
        services: ctx.services().filter((s) => mayUse(ctx, s, stream.remote)).map((s) => ({ name: s.name, port: s.port, udp: s.udp, network: s.network }))
      }
      await framed.send(answer)
      await stream.closeWrite()
      return
    }
    if (request.op === 'resume') {
      await ctx.tunnels.resume(request.tunnel, framed)
      return
    }
    const service = ctx.services().find((s) => s.name === request.service)
    // Not exposed and not allowed look the same to the asker: no probing for hidden names.
    if (service === undefined || !mayUse(ctx, service, stream.remote)) {
      ctx.log.info({ device: stream.remote, service: request.service }, 'refused a connection to a service not exposed to that member')
      await framed.send({ ok: false, code: 'FORBIDDEN', message: `service ${JSON.stringify(request.service)} is not exposed to this device` })
      await stream.closeWrite()
      return
    }
    if (service.udp !== request.udp) {
      await framed.send({ ok: false, code: 'INVALID_ARGUMENT', message: `service ${JSON.stringify(service.name)} is ${service.udp ? 'UDP' : 'TCP'}` })
      await stream.closeWrite()
      return
    }
    if (service.udp) {
      await framed.send({ ok: true })
      await serveUdp(stream, framed.rest(), service.host, service.port)
      return
    }
    socket = tcpConnect({ host: service.host, port: service.port, allowHalfOpen: true })
    await Promise.race([
      once(socket, 'connect'),
      new Promise((_resolve, reject) => setTimeout(() => { reject(new WeftError('TIMEOUT', 'the local service did not accept in time')) }, ctx.connectTimeoutMs ?? 10_000).unref())
    ])
    socket.setNoDelay(true)
    if (request.tunnel === undefined) {
      await framed.send({ ok: true })
      await splice(socket, stream, framed.rest())
      return
    }
    const tunnel = new Tunnel(stream, framed.rest())
    if (!ctx.tunnels.add(request.tunnel, tunnel)) throw new WeftError('PROTOCOL_ERROR', 'tunnel ID already in use')
    const id = request.tunnel
    tunnel.onClose(() => { ctx.tunnels.remove(id, tunnel) })
    await framed.send({ ok: true })
    await splice(socket, tunnel, tunnel)
  } catch (err) {
    const e = toWeftError(err)
    if (socket !== undefined) resetSocket(socket)
    ctx.log.debug({ device: stream.remote, err: e.message }, 'reach stream failed')
    try {
      await framed.send({ ok: false, code: e.code === 'INTERNAL' ? 'PEER_UNREACHABLE' : e.code, message: e.message.slice(0, 500) })
      await stream.closeWrite()
    } catch {
      stream.abort(e)
    }
  }
}
