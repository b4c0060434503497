/**
 * The client side of the reach protocol: open a connection to a member's service, ask a
 * member for its service list, tell a member that ours changed.
 */
import { WeftError } from '../../core/errors.js'
import type { ErrorCode } from '../../core/errors.js'
import type { DeviceId } from '../../core/ids.js'
import type { AbortOptions } from '../../core/lifecycle.js'
import { FramedStream } from '../../net/framed.js'
import type { Mesh, MeshStream } from '../../net/types.js'
import { newTunnelId } from './migration.js'
import type { TunnelMover } from './migration.js'
import { connectAnswer, listAnswer, maxReachMessageBytes, reachProtocol } from './protocol.js'
import type { ListAnswer } from './protocol.js'
import { Tunnel } from './tunnel.js'

/** An open connection to a remote service: write to `stream`, read from `incoming`. */
export interface ServiceConnection {
  stream: MeshStream
  incoming: AsyncIterable<Uint8Array>
}

/**
 * Opens a byte stream to service `name` on `device`; the server's refusal becomes a WeftError.
 * A TCP service is reached over a direct connection of its own when the member is on a LAN or
 * direct path (no multiplexer between the two sockets); if that cannot be opened, or fails
 * before the member answered, over a stream of the mesh connection. A TCP connection that
 * goes through a relay is a tunnel `mover` moves onto the direct path once one opens.
 */
export async function connectService (mesh: Mesh, device: DeviceId, name: string, options: AbortOptions & { udp?: boolean, mover?: TunnelMover } = {}): Promise<ServiceConnection> {
  if (options.udp !== true) {
    const direct = await mesh.openDirect(device, reachProtocol, options).catch(() => undefined)
    if (direct !== undefined) {
      const result = await request(direct, name, options)
      if (result.connection !== undefined) return result.connection
      if (result.refusal !== undefined) throw result.refusal
      options.signal?.throwIfAborted()
    }
  }
  const tunnel = options.udp !== true && options.mover !== undefined && mesh.link(device).path === 'relay' ? newTunnelId() : undefined
  const result = await request(await mesh.openStream(device, reachProtocol, options), name, { ...options, tunnel })
  if (result.connection === undefined) throw result.refusal ?? result.failure
  if (tunnel === undefined || options.mover === undefined) return result.connection
  const wrapped = new Tunnel(result.connection.stream, result.connection.incoming)
  wrapped.onClose(options.mover.track(tunnel, wrapped))
  // The direct path may have opened while we asked.
  if (mesh.link(device).path !== 'relay') void options.mover.upgrade(device)
  return { stream: wrapped, incoming: wrapped }
}

/** Asks for `name` on `stream`: the connection, the member's refusal, or a failure before any answer. */
async function request (stream: MeshStream, name: string, options: AbortOptions & { udp?: boolean, tunnel?: string }): Promise<{ connection?: ServiceConnection, refusal?: WeftError, failure?: unknown }> {
  const framed = new FramedStream(stream, maxReachMessageBytes)
  let answer: unknown
  try {
    await framed.send({ op: 'connect', service: name, udp: options.udp === true, ...(options.tunnel === undefined ? {} : { tunnel: options.tunnel }) }, options)
    answer = await framed.expect(options)
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    return { failure: err }
  }
  const parsed = connectAnswer.safeParse(answer)
  const refusal = !parsed.success
    ? new WeftError('PROTOCOL_ERROR', 'member sent a malformed reach answer')
    : !parsed.data.ok ? new WeftError(asCode(parsed.data.code), parsed.data.message) : undefined
  if (refusal !== undefined) {
    stream.abort(refusal)
    return { refusal }
  }
  return { connection: { stream, incoming: framed.rest() } }
}

/** Asks `device` which services it exposes to this device. */
export async function listServices (mesh: Mesh, device: DeviceId, options: AbortOptions = {}): Promise<ListAnswer> {
  const stream = await mesh.openStream(device, reachProtocol, options)
  const framed = new FramedStream(stream, maxReachMessageBytes)
  try {
    await framed.send({ op: 'list' }, options)
    const parsed = listAnswer.safeParse(await framed.expect(options))
    if (!parsed.success) throw new WeftError('PROTOCOL_ERROR', 'member sent a malformed service list')
    await stream.closeWrite(options)
    return parsed.data
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

/** Tells `device` that this device's services changed (it lists them again). */
export async function notifyChanged (mesh: Mesh, device: DeviceId, options: AbortOptions = {}): Promise<void> {
  const stream = await mesh.openStream(device, reachProtocol, options)
  const framed = new FramedStream(stream, maxReachMessageBytes)
  await framed.send({ op: 'changed' }, options)
  await stream.closeWrite(options)
}

const knownCodes = new Set<string>(['NOT_FOUND', 'FORBIDDEN', 'NOT_MEMBER', 'PEER_UNREACHABLE', 'INVALID_ARGUMENT', 'PROTOCOL_ERROR', 'TIMEOUT'])

function asCode (code: string): ErrorCode {
  return knownCodes.has(code) ? code as ErrorCode : 'PEER_UNREACHABLE'
}
