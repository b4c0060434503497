/**
 * TCP+TLS connections with Syncthing devices: an optional BEP listener, and a dialer that
 * calls every known device with an address while it is not connected (1 s backoff doubling to
 * 60 s, with jitter). Each connection is authenticated (handshake.ts) before it is handed on;
 * everything refused is logged with its reason and costs at most a handshake: unauthenticated
 * connections are limited in number and time.
 */
import { connect, createServer } from 'node:tls'
import type { Server, TLSSocket } from 'node:tls'
import type { Socket } from 'node:net'
import type { DeviceId } from '../../../core/ids.js'
import type { Logger } from '../../../core/log.js'
import type { Startable } from '../../../core/lifecycle.js'
import { WeftError } from '../../../core/errors.js'
import type { BepDecoder } from '../wire/framing.js'
import type { BepHello } from '../wire/messages.js'
import { SocketChannel } from './channel.js'
import { authenticatePeer, bepTlsOptions, exchangeHello, handshakeTimeoutMs, ourHello } from './handshake.js'
import { parseBepAddress } from './devices.js'
import type { BepAddress, SyncthingDeviceConfig } from './devices.js'
import type { BufferPool } from '../wire/buffer-pool.js'

/** Connections being set up at once, at most (more are dropped at accept). */
const maxHandshakes = 32
const minBackoffMs = 1000
const maxBackoffMs = 60_000
/** A connection that lasted this long resets the device's backoff. */
const healthyMs = 10_000

/** An authenticated connection, Hello exchanged, ready for BEP messages. */
export interface SyncthingConnection {
  device: DeviceId
  hello: BepHello
  channel: SocketChannel
  /** Holds what arrived after the Hello. */
  decoder: BepDecoder
  /** The peer's address as `tcp://HOST:PORT`. */
  address: string
  direction: 'in' | 'out'
}

/** Options of {@link SyncthingConnections}. */
export interface SyncthingConnectionsOptions {
  identity: { certPem: string, keyPem: string, deviceId: DeviceId }
  /** Where to listen for Syncthing devices, or null (dial out only). */
  listen: BepAddress | null
  deviceName: string
  version: string
  /** The devices to accept and dial. */
  devices: () => readonly SyncthingDeviceConfig[]
  /** Whether a live BEP link with the device exists (then it is not dialled). */
  connected: (device: DeviceId) => boolean
  /** Takes over an authenticated connection (and closes it if it is not wanted). */
  onConnection: (connection: SyncthingConnection) => void
  logger: Logger
  /** Buffers for received blocks (see BufferPool). */
  pool?: BufferPool
}

/** A device that called us but is not configured (shown to the user, like Syncthing's pending devices). */
export interface PendingDevice { device: DeviceId, name: string, address: string, at: number }

/** Listener and dialer for Syncthing devices. */
export class SyncthingConnections implements Startable {
  readonly #o: SyncthingConnectionsOptions
  readonly #dialing = new Set<DeviceId>()
  readonly #backoff = new Map<DeviceId, { due: number, delay: number }>()
  readonly #pending = new Map<DeviceId, PendingDevice>()
  readonly #sockets = new Set<TLSSocket>()
  #handshakes = 0
  #server?: Server
  #timer?: NodeJS.Timeout
  #stopped = false

  constructor (options: SyncthingConnectionsOptions) {
    this.#o = options
  }

  /** The address the listener is bound to (`tcp://HOST:PORT`), if listening. */
  get listenAddress (): string | undefined {
    const a = this.#server?.address()
    if (a === null || a === undefined || typeof a === 'string') return undefined
    return `tcp://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
  }

  /** Devices that called and were refused as unknown (most recent last, at most 20). */
  pending (): PendingDevice[] {
    return [...this.#pending.values()]
  }

  async start (): Promise<void> {
    this.#stopped = false
    const listen = this.#o.listen
    if (listen !== null) {
      const server = createServer({ ...bepTlsOptions(this.#o.identity), requestCert: true, handshakeTimeout: handshakeTimeoutMs })
      server.on('secureConnection', (socket) => { void this.#accept(socket) })
      server.on('tlsClientError', (err, socket) => {
        this.#o.logger.warn({ remote: remoteOf(socket), reason: 'tls', err: err.message }, 'refused a Syncthing connection: TLS handshake failed')
        socket.destroy()
      })
      server.on('connection', (socket: Socket) => {
        if (this.#handshakes >= maxHandshakes) {
          this.#o.logger.warn({ remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}` }, 'refused a Syncthing connection: too many handshakes at once')
          socket.destroy()
          return
        }
        this.#handshakes++
        let counted = true
        const release = (): void => { if (counted) { counted = false; this.#handshakes-- } }
        socket.once('close', release)
        socket.once('secure', release)
      })
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(listen.port, listen.host, () => { server.off('error', reject); resolve() })
      })
      this.#server = server
      this.#o.logger.info({ listen: this.listenAddress }, 'listening for Syncthing devices')
    }
    this.#timer = setInterval(() => { this.#dialDue() }, 1000)
    this.#timer.unref()
    this.#dialDue()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    for (const s of this.#sockets) s.destroy()
    const server = this.#server
    this.#server = undefined
    if (server !== undefined) await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
  }

  /** Dials a device now (e.g. right after it was added), whatever its backoff. */
  dialNow (device: DeviceId): void {
    this.#backoff.delete(device)
    this.#dialDue()
  }

  /**
   * A connection ended after `livedMs`: dial the device again soon if it had been up for a while,
   * else after its (growing) backoff, so a device that accepts and then drops us (paused, not
   * sharing) is not called every second.
   */
  noteDisconnected (device: DeviceId, livedMs: number): void {
    if (livedMs >= healthyMs) this.#backoff.set(device, { due: Date.now() + minBackoffMs, delay: minBackoffMs })
  }

  #dialDue (): void {
    if (this.#stopped) return
    const now = Date.now()
    for (const d of this.#o.devices()) {
      if (this.#dialing.has(d.id) || this.#o.connected(d.id)) continue
      const addresses = d.addresses.map((a) => parseBepAddress(a)).filter((a): a is BepAddress => a !== undefined)
      if (addresses.length === 0) continue
      const b = this.#backoff.get(d.id)
      if (b !== undefined && b.due > now) continue
      const delay = Math.min(maxBackoffMs, (b?.delay ?? minBackoffMs / 2) * 2)
      this.#backoff.set(d.id, { due: now + delay * (0.75 + Math.random() / 2), delay })
      this.#dialing.add(d.id)
      void this.#dial(d.id, addresses).finally(() => { this.#dialing.delete(d.id) })
    }
  }

  async #dial (device: DeviceId, addresses: BepAddress[]): Promise<void> {
    for (const address of addresses) {
      if (this.#stopped || this.#o.connected(device)) return
      const where = `tcp://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`
      const socket = connect({ ...bepTlsOptions(this.#o.identity), host: address.host, port: address.port, servername: '' })
      try {
        await this.#setUp(socket, where, 'out', { expected: device })
        return
      } catch (err) {
        socket.destroy()
        this.#o.logger.info({ device, address: where, err: (err as Error).message }, 'could not connect to Syncthing device')
      }
    }
  }

  async #accept (socket: TLSSocket): Promise<void> {
    const where = remoteOf(socket)
    try {
      await this.#setUp(socket, where, 'in', { known: (d) => this.#o.devices().some((c) => c.id === d) })
    } catch (err) {
      socket.destroy()
      this.#o.logger.warn({ remote: where, reason: (err as { reason?: string }).reason, err: (err as Error).message }, 'refused a Syncthing connection')
    }
  }

  /** Authenticates a socket (waiting for TLS on outgoing ones), exchanges Hellos, hands it on. */
  async #setUp (socket: TLSSocket, address: string, direction: 'in' | 'out', check: { expected?: DeviceId, known?: (d: DeviceId) => boolean }): Promise<void> {
    this.#sockets.add(socket)
    socket.once('close', () => { this.#sockets.delete(socket) })
    const signal = AbortSignal.timeout(handshakeTimeoutMs)
    const channel = new SocketChannel(socket)
    if (direction === 'out') {
      await new Promise<void>((resolve, reject) => {
        const fail = (err: Error): void => { reject(err) }
        socket.once('secureConnect', () => { socket.off('error', fail); resolve() })
        socket.once('error', fail)
        signal.addEventListener('abort', () => { reject(new WeftError('TIMEOUT', 'TLS handshake timed out')) }, { once: true })
      })
    }
    let device: DeviceId
    try {
      device = authenticatePeer(socket, check)
    } catch (err) {
      const unknown = (err as { reason?: string }).reason === 'unknownDevice'
      if (unknown) this.#notePending(socket, address)
      throw err
    }
    const { hello, decoder } = await exchangeHello(channel, ourHello(this.#o.deviceName, this.#o.version), signal, this.#o.pool)
    if (this.#stopped) throw new WeftError('ABORTED', 'stopping')
    this.#o.logger.info({ device, address, direction, client: `${hello.clientName} ${hello.clientVersion}`, name: hello.deviceName }, 'Syncthing device connected')
    this.#o.onConnection({ device, hello, channel, decoder, address, direction })
  }

  #notePending (socket: TLSSocket, address: string): void {
    const cert = socket.getPeerX509Certificate()
    if (cert === undefined) return
    try {
      const device = authenticatePeer(socket, { known: () => true })
      this.#pending.delete(device)
      this.#pending.set(device, { device, name: '', address, at: Date.now() })
      while (this.#pending.size > 20) this.#pending.delete(this.#pending.keys().next().value as DeviceId)
    } catch {
      // Not TLS 1.3 or no ALPN: nothing worth showing as pending.
    }
  }
}

function remoteOf (socket: { remoteAddress?: string, remotePort?: number }): string {
  const host = socket.remoteAddress ?? '?'
  return `tcp://${host.includes(':') ? `[${host}]` : host}:${socket.remotePort ?? 0}`
}
