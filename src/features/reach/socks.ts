/**
 * A SOCKS5 proxy (RFC 1928: no authentication, CONNECT only) on loopback, so that
 * `curl --socks5-hostname 127.0.0.1:PORT http://DEVICE.NET.weft:8080/` reaches a member's
 * service, like Tailscale's userspace networking. Destinations are the names DNS answers
 * (names.ts): a member name `DEVICE.NET.weft` or a stable address, where the port picks the
 * member's exposed service, or a service name `NAME.svc.NET.weft` (or its alias
 * `NAME.service.NET.weft`), where the name picks the service and a member exposing it.
 * Anything else is refused with the matching SOCKS reply code. The handshake is bounded in
 * size and time.
 */
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { once } from 'node:events'
import type { DeviceId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import type { ServiceConnection } from './client.js'
import { splice } from './splice.js'

/** What the proxy needs: find the member and service, and connect. */
export interface SocksTargets {
  /** The member a `.weft` name or a stable address stands for, and the service when the name is a service name. */
  resolve: (host: string) => { device: DeviceId, service?: string } | undefined
  /** The name of the member's service on `port`, if it exposes one to us. */
  serviceOn: (device: DeviceId, port: number) => string | undefined
  connect: (device: DeviceId, service: string) => Promise<ServiceConnection>
}

/** SOCKS5 reply codes used here. */
const reply = { ok: 0, failure: 1, notAllowed: 2, hostUnreachable: 4, refused: 5, commandNotSupported: 7, addressNotSupported: 8 } as const

const handshakeTimeoutMs = 10_000

/** Reads exactly `n` bytes from a paused socket, within the handshake deadline. */
class HandshakeReader {
  #buffer = Buffer.alloc(0)
  constructor (private readonly socket: Socket, private readonly signal: AbortSignal) {}

  async read (n: number): Promise<Buffer> {
    while (this.#buffer.length < n) {
      this.signal.throwIfAborted()
      const chunk = this.socket.read() as Buffer | null
      if (chunk !== null) { this.#buffer = Buffer.concat([this.#buffer, chunk]); continue }
      if (this.socket.readableEnded || this.socket.destroyed) throw new Error('client closed')
      await Promise.race([once(this.socket, 'readable', { signal: this.signal }), once(this.socket, 'end', { signal: this.signal })])
    }
    const out = this.#buffer.subarray(0, n)
    this.#buffer = this.#buffer.subarray(n)
    return out
  }

  /** Bytes read past the handshake (the client may send data right after CONNECT). */
  leftover (): Buffer {
    return this.#buffer
  }
}

/** The SOCKS5 server. */
export class SocksServer {
  readonly #server: Server
  readonly #sockets = new Set<Socket>()

  private constructor (server: Server) {
    this.#server = server
  }

  static async listen (host: string, port: number, targets: SocksTargets, log: Logger): Promise<SocksServer> {
    const server = createServer({ noDelay: true, pauseOnConnect: true, allowHalfOpen: true })
    const socks = new SocksServer(server)
    server.on('connection', (socket) => {
      socks.#sockets.add(socket)
      socket.once('close', () => { socks.#sockets.delete(socket) })
      socket.on('error', () => {})
      void socks.#handle(socket, targets, log)
    })
    server.listen({ host, port })
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => { throw err })])
    return socks
  }

  get address (): { host: string, port: number } {
    const a = this.#server.address() as AddressInfo
    return { host: a.address, port: a.port }
  }

  async #handle (socket: Socket, targets: SocksTargets, log: Logger): Promise<void> {
    const answer = (code: number): void => { socket.write(Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0])) }
    const reader = new HandshakeReader(socket, AbortSignal.timeout(handshakeTimeoutMs))
    let device: DeviceId | undefined
    let service: string | undefined
    try {
      const [version, methods] = await reader.read(2)
      if (version !== 5) throw new Error(`SOCKS version ${version ?? '?'}`)
      const offered = await reader.read(methods ?? 0)
      if (!offered.includes(0)) {
        socket.end(Buffer.from([5, 0xff]))
        return
      }
      socket.write(Buffer.from([5, 0]))
      const [v, command, , atyp] = await reader.read(4)
      if (v !== 5) throw new Error('bad request version')
      let host: string
      if (atyp === 1) host = [...await reader.read(4)].join('.')
      else if (atyp === 3) host = (await reader.read((await reader.read(1))[0] ?? 0)).toString('latin1')
      else if (atyp === 4) { await reader.read(16); answer(reply.addressNotSupported); socket.end(); return } else throw new Error(`address type ${atyp ?? '?'}`)
      const port = (await reader.read(2)).readUInt16BE(0)
      if (command !== 1) { answer(reply.commandNotSupported); socket.end(); return }
      const target = targets.resolve(host)
      if (target === undefined) { answer(host.toLowerCase().replace(/\.$/, '').endsWith('.weft') ? reply.hostUnreachable : reply.notAllowed); socket.end(); return }
      device = target.device
      service = target.service ?? targets.serviceOn(device, port)
      if (service === undefined) { answer(reply.refused); socket.end(); return }
    } catch (err) {
      log.debug({ err: err instanceof Error ? err.message : String(err) }, 'SOCKS handshake failed')
      socket.destroy()
      return
    }
    let conn: ServiceConnection
    try {
      conn = await targets.connect(device, service)
    } catch (err) {
      log.info({ device, service, err: err instanceof Error ? err.message : String(err) }, 'SOCKS connection refused')
      answer(reply.refused)
      socket.end()
      return
    }
    answer(reply.ok)
    const early = reader.leftover()
    if (early.length > 0) socket.unshift(early)
    socket.resume()
    await splice(socket, conn.stream, conn.incoming)
  }

  async close (): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => { this.#server.close(() => { resolve() }) })
  }
}
