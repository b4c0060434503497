/**
 * UDP services over the mesh: datagrams travel on a reach stream as frames of a u16 length
 * and the payload. The forwarding side keeps one stream per client address (a "flow"), closed
 * after a minute without traffic; the serving side connects one UDP socket per stream to the
 * local service and relays both ways.
 */
import { createSocket } from 'node:dgram'
import type { Socket as UdpSocket } from 'node:dgram'
import { once } from 'node:events'
import type { Logger } from '../../core/log.js'
import type { MeshStream } from '../../net/types.js'
import type { ServiceConnection } from './client.js'

/** Largest datagram carried (IPv4 UDP payload limit). */
export const maxDatagram = 65_507
/** A flow with no datagram either way for this long is closed. */
export const flowIdleMs = 60_000

/** Frames one datagram. */
export function frameDatagram (payload: Uint8Array): Buffer {
  if (payload.length > maxDatagram) throw new RangeError('datagram too large')
  const out = Buffer.allocUnsafe(2 + payload.length)
  out.writeUInt16BE(payload.length, 0)
  out.set(payload, 2)
  return out
}

/** Splits a byte stream back into datagrams (bounded: at most one partial frame is held). */
export async function * readDatagrams (chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let buffer = Buffer.alloc(0)
  for await (const chunk of chunks) {
    buffer = buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffer, chunk])
    while (buffer.length >= 2) {
      const length = buffer.readUInt16BE(0)
      if (buffer.length < 2 + length) break
      yield buffer.subarray(2, 2 + length)
      buffer = buffer.subarray(2 + length)
    }
  }
}

/** Serving side: relays between `stream` and the local UDP service until the stream ends. */
export async function serveUdp (stream: MeshStream, incoming: AsyncIterable<Uint8Array>, host: string, port: number): Promise<void> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4')
  socket.on('error', () => {})
  socket.connect(port, host)
  await once(socket, 'connect')
  socket.on('message', (msg) => { void stream.write(frameDatagram(msg)).catch(() => { socket.close() }) })
  try {
    for await (const datagram of readDatagrams(incoming)) socket.send(datagram)
  } finally {
    try { socket.close() } catch { /* already closed */ }
    await stream.closeWrite().catch(() => {})
  }
}

interface Flow { conn: Promise<ServiceConnection>, timer: NodeJS.Timeout }

/** Forwarding side: a local UDP socket whose clients are carried to a member's UDP service. */
export class UdpForwardListener {
  readonly #socket: UdpSocket
  readonly #flows = new Map<string, Flow>()
  connections = 0

  private constructor (socket: UdpSocket) {
    this.#socket = socket
  }

  static async listen (host: string, port: number, dial: () => Promise<ServiceConnection>, log: Logger): Promise<UdpForwardListener> {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4')
    const listener = new UdpForwardListener(socket)
    socket.on('message', (msg, rinfo) => { listener.#onMessage(msg, rinfo.address, rinfo.port, dial, log) })
    socket.on('error', (err) => { log.debug({ err: err.message }, 'UDP forward socket error') })
    socket.bind({ port, address: host, exclusive: true })
    await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([err]) => { throw err })])
    return listener
  }

  get address (): { host: string, port: number } {
    const a = this.#socket.address()
    return { host: a.address, port: a.port }
  }

  #onMessage (msg: Buffer, address: string, port: number, dial: () => Promise<ServiceConnection>, log: Logger): void {
    const key = `${address}|${port}`
    let flow = this.#flows.get(key)
    if (flow === undefined) {
      this.connections++
      const conn = dial()
      flow = { conn, timer: setTimeout(() => {}, 0) }
      this.#flows.set(key, flow)
      conn.then(async (c) => {
        for await (const datagram of readDatagrams(c.incoming)) {
          this.#touch(key)
          this.#socket.send(datagram, port, address)
        }
      }).catch((err: unknown) => {
        log.info({ err: err instanceof Error ? err.message : String(err) }, 'UDP flow refused or failed')
      }).finally(() => { this.#drop(key) })
    }
    this.#touch(key)
    flow.conn.then(async (c) => { await c.stream.write(frameDatagram(msg)) }).catch(() => { this.#drop(key) })
  }

  #touch (key: string): void {
    const flow = this.#flows.get(key)
    if (flow === undefined) return
    clearTimeout(flow.timer)
    flow.timer = setTimeout(() => { this.#drop(key) }, flowIdleMs)
    flow.timer.unref()
  }

  #drop (key: string): void {
    const flow = this.#flows.get(key)
    if (flow === undefined) return
    this.#flows.delete(key)
    clearTimeout(flow.timer)
    flow.conn.then((c) => { c.stream.abort(new Error('flow closed')) }, () => {})
  }

  async close (): Promise<void> {
    for (const key of [...this.#flows.keys()]) this.#drop(key)
    await new Promise<void>((resolve) => { this.#socket.close(() => { resolve() }) })
  }
}
