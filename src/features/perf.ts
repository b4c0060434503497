/**
 * A throughput probe between members, like iperf built in (and like libp2p's perf protocol):
 * the client sends N bytes over one stream, the server counts them and answers with the count.
 * The stream is a direct one (a connection of its own, as service reach uses) when the member
 * is on a LAN or direct path, or one of the shared mesh connection (`stream: 'mesh'`, as the
 * other protocols use). Only members of a shared network may open it. Used by `weft perf` and
 * the net benchmark.
 */
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import { WeftError } from '../core/errors.js'
import type { Mesh, MeshStream } from '../net/types.js'

/** The perf protocol. */
export const perfProtocol = '/weft/perf/1.0.0'
/** Largest transfer a client may ask for. */
export const maxPerfBytes = 64 * 1024 ** 3
const chunkBytes = 64 * 1024

/** Result of one measurement. */
export interface PerfResult {
  device: DeviceId
  /** Which kind of stream carried the bytes. */
  stream: 'direct' | 'mesh'
  bytes: number
  seconds: number
  megabytesPerSecond: number
}

/** Who may open the probe. */
export interface PerfAccess {
  /** True if `device` shares a network with this device. */
  isFellow: (device: DeviceId) => boolean
}

/** Serves and runs throughput probes. */
export class Perf {
  readonly #mesh: Mesh
  readonly #access: PerfAccess

  constructor (mesh: Mesh, access: PerfAccess) {
    this.#mesh = mesh
    this.#access = access
  }

  async start (): Promise<void> {
    await this.#mesh.handle(perfProtocol, async (stream) => { await this.#serve(stream) }, { maxInboundStreams: 2, direct: true })
  }

  async stop (): Promise<void> {
    await Promise.resolve()
  }

  async #serve (stream: MeshStream): Promise<void> {
    if (!this.#access.isFellow(stream.remote)) {
      stream.abort(new Error('not a member'))
      return
    }
    let received = 0
    for await (const chunk of stream) received += chunk.byteLength
    const answer = Buffer.alloc(8)
    answer.writeBigUInt64BE(BigInt(received))
    await stream.write(answer)
    await stream.closeWrite()
  }

  /** Sends `bytes` to `device` and measures until the receiver confirms the count. */
  async measure (device: DeviceId, bytes: number, options: AbortOptions & { stream?: 'direct' | 'mesh' } = {}): Promise<PerfResult> {
    if (!Number.isSafeInteger(bytes) || bytes < 1 || bytes > maxPerfBytes) throw new WeftError('INVALID_ARGUMENT', `bytes must be between 1 and ${maxPerfBytes}`)
    if (!this.#access.isFellow(device)) throw new WeftError('NOT_MEMBER', `${device} is not a member of any network of this device`)
    const direct = options.stream === 'mesh' ? undefined : await this.#mesh.openDirect(device, perfProtocol, options)
    const stream = direct ?? await this.#mesh.openStream(device, perfProtocol, options)
    const chunk = Buffer.alloc(chunkBytes, 0x5a)
    const started = process.hrtime.bigint()
    let left = bytes
    while (left > 0) {
      const n = Math.min(left, chunkBytes)
      await stream.write(n === chunkBytes ? chunk : chunk.subarray(0, n), options)
      left -= n
    }
    await stream.closeWrite(options)
    const parts: Uint8Array[] = []
    for await (const part of stream) parts.push(part)
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const answer = Buffer.concat(parts)
    if (answer.length !== 8) throw new WeftError('PROTOCOL_ERROR', 'perf peer sent a malformed answer')
    const confirmed = Number(answer.readBigUInt64BE(0))
    if (confirmed !== bytes) throw new WeftError('PROTOCOL_ERROR', `perf peer received ${confirmed} of ${bytes} bytes`)
    return { device, stream: direct === undefined ? 'mesh' : 'direct', bytes, seconds, megabytesPerSecond: bytes / 1e6 / seconds }
  }
}
