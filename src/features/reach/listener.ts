/**
 * A local TCP listener whose connections are carried to a member's service through the mesh:
 * the building block of stable member addresses and of `weft forward`.
 */
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { once } from 'node:events'
import type { Logger } from '../../core/log.js'
import type { ServiceConnection } from './client.js'
import { resetSocket, splice } from './splice.js'

/** Opens the remote end for one accepted connection. */
export type Dialer = () => Promise<ServiceConnection>

/** A listening forwarder. */
export class ForwardListener {
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  connections = 0
  bytes = 0

  private constructor (server: Server) {
    this.#server = server
  }

  /** Listens on `host:port` (port 0: any); EADDRINUSE and friends surface as errors. */
  static async listen (host: string, port: number, dial: Dialer, log: Logger): Promise<ForwardListener> {
    const server = createServer({ noDelay: true, allowHalfOpen: true })
    const listener = new ForwardListener(server)
    server.on('connection', (socket) => { listener.#accept(socket, dial, log) })
    server.listen({ host, port, exclusive: true })
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => { throw err })])
    return listener
  }

  get address (): { host: string, port: number } {
    const a = this.#server.address() as AddressInfo
    return { host: a.address, port: a.port }
  }

  #accept (socket: Socket, dial: Dialer, log: Logger): void {
    this.connections++
    this.#sockets.add(socket)
    socket.once('close', () => { this.#sockets.delete(socket) })
    socket.pause()
    dial().then(async (conn) => {
      await splice(socket, conn.stream, conn.incoming)
    }, (err: unknown) => {
      log.info({ err: err instanceof Error ? err.message : String(err) }, 'forwarded connection refused')
      resetSocket(socket)
    })
  }

  /** Stops listening and closes every open connection. */
  async close (): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => { this.#server.close(() => { resolve() }) })
  }
}
