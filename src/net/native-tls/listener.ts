/**
 * Listener for the native-TLS TCP transport: accepts TCP sockets, negotiates
 * `/tls/1.0.0`, runs the native TLS 1.3 server handshake with a required
 * client certificate, authenticates the remote libp2p peer and passes the
 * connection to the upgrader with `skipEncryption: true`.
 */
import * as net from 'node:net'
import { AlreadyStartedError } from '@libp2p/interface'
import { getNetConfig, getThinWaistAddresses, ipPortToMultiaddr } from '@libp2p/utils'
import { TypedEventEmitter } from 'main-event'
import { muxerProtocols, secureSocket, TLS_PROTOCOL } from './handshake.js'
import { handleProtocol } from './multistream.js'
import { NativeTlsConnection } from './socket-connection.js'
import { answerObserver, observerProtocols } from './observer.js'
import { acceptDirect, DIRECT_PROTOCOL } from './direct.js'
import type { NativeTlsContext } from './context.js'
import type { Listener, ListenerEvents, Upgrader } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Upper bound for one inbound handshake (TCP accept to upgraded connection). */
const HANDSHAKE_TIMEOUT_MS = 10_000

/** A TCP listener whose connections are secured by native TLS. */
export class NativeTlsListener extends TypedEventEmitter<ListenerEvents> implements Listener {
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private readonly shutdown = new AbortController()
  private listeningAddr?: Multiaddr

  constructor (private readonly ctx: NativeTlsContext, private readonly upgrader: Upgrader) {
    super()
    this.server = net.createServer({ noDelay: true, keepAlive: true }, socket => { this.onSocket(socket) })
    this.server.on('listening', () => { this.safeDispatchEvent('listening') })
    this.server.on('error', err => { this.safeDispatchEvent('error', { detail: err }) })
    this.server.on('close', () => { this.safeDispatchEvent('close') })
  }

  private onSocket (socket: net.Socket): void {
    const { log } = this.ctx
    if (socket.remoteAddress == null || socket.remotePort == null) {
      socket.destroy()
      return
    }
    const remoteAddr = ipPortToMultiaddr(socket.remoteAddress, socket.remotePort)
    this.sockets.add(socket)
    socket.once('close', () => { this.sockets.delete(socket) })
    socket.on('error', err => { log.trace('inbound socket error %a - %e', remoteAddr, err) })
    const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS)])

    this.negotiate(socket, remoteAddr, signal).catch(err => {
      log.error('inbound connection from %a failed - %e', remoteAddr, err)
      socket.destroy()
    })
  }

  /** The first protocol picks the path: libp2p TLS, a direct connection, or one of the address-observer queries. */
  private async negotiate (socket: net.Socket, remoteAddr: Multiaddr, signal: AbortSignal): Promise<void> {
    const direct = this.ctx.init.direct
    const protocol = await handleProtocol(socket, [TLS_PROTOCOL, ...(direct === undefined ? [] : [DIRECT_PROTOCOL]), ...observerProtocols], signal)
    if (protocol === TLS_PROTOCOL) await this.upgradeSocket(socket, remoteAddr, signal)
    else if (protocol === DIRECT_PROTOCOL && direct !== undefined) await acceptDirect(socket, await this.ctx.getSecureContext(), direct, signal, this.ctx.log)
    else await answerObserver(protocol, socket, signal)
  }

  /** Runs the TLS server handshake on a socket past multistream-select (or adopted from a punch) and upgrades it. */
  async upgradeSocket (socket: net.Socket, remoteAddr: Multiaddr, signal: AbortSignal, negotiated = true): Promise<void> {
    const { log, init } = this.ctx
    const secureContext = await this.ctx.getSecureContext()
    if (!negotiated) await handleProtocol(socket, TLS_PROTOCOL, signal)
    const secured = await secureSocket(socket, {
      isServer: true,
      secureContext,
      muxers: muxerProtocols(this.upgrader),
      signal,
      log
    })
    const maConn = new NativeTlsConnection({
      tlsSocket: secured.tlsSocket,
      rawSocket: socket,
      remoteAddr,
      direction: 'inbound',
      inactivityTimeout: init.inactivityTimeout,
      log: log.newScope('connection')
    })
    try {
      await this.upgrader.upgradeInbound(maConn, {
        signal: this.shutdown.signal,
        skipEncryption: true,
        remotePeer: secured.remotePeer,
        muxerFactory: secured.muxer != null ? this.upgrader.getStreamMuxers().get(secured.muxer) : undefined
      })
    } catch (err) {
      maConn.abort(err as Error)
      throw err
    }
  }

  getAddrs (): Multiaddr[] {
    const address = this.server.address()
    if (address == null || typeof address === 'string' || this.listeningAddr == null) {
      return []
    }
    return getThinWaistAddresses(this.listeningAddr, address.port)
  }

  updateAnnounceAddrs (): void {}

  async listen (ma: Multiaddr): Promise<void> {
    if (this.server.listening) {
      throw new AlreadyStartedError('server is already listening')
    }
    const config = getNetConfig(ma)
    this.listeningAddr = ma
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen({
        host: config.host,
        port: Number(config.port ?? 0),
        ipv6Only: config.type === 'ip6',
        backlog: this.ctx.init.backlog
      }, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
  }

  async close (): Promise<void> {
    this.shutdown.abort()
    const closed = this.server.listening
      ? new Promise<void>(resolve => { this.server.close(() => { resolve() }) })
      : Promise.resolve()
    for (const socket of this.sockets) {
      socket.destroy()
    }
    await closed
  }
}
