/**
 * `nativeTlsTcp()`: a libp2p 3.x Transport for TCP whose security layer is
 * Node's native TLS 1.3 instead of a JavaScript connection encrypter.
 *
 * On the wire it is a standard libp2p TCP connection secured with the libp2p
 * TLS spec (`/tls/1.0.0` via multistream-select, libp2p certificate, muxer via
 * ALPN), so it interoperates with peers using `@libp2p/tcp` + `@libp2p/tls`
 * (and go/rust libp2p). The difference is local: OpenSSL encrypts straight on
 * the socket, and the connection is handed to the libp2p upgrader with
 * `skipEncryption: true` and the authenticated `remotePeer`, so only the muxer
 * runs in JavaScript. Use it instead of `@libp2p/tcp` (both claim /tcp
 * addresses); peers that only speak Noise cannot connect to it.
 */
import type * as net from 'node:net'
import { serviceCapabilities, transportSymbol } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { getNetConfig } from '@libp2p/utils'
import { CODE_P2P } from '@multiformats/multiaddr'
import { TCP as TCPMatcher } from '@multiformats/multiaddr-matcher'
import { createLibp2pSecureContext, muxerProtocols, secureSocket, TLS_PROTOCOL } from './handshake.js'
import { NativeTlsListener } from './listener.js'
import { selectProtocol } from './multistream.js'
import { NativeTlsConnection } from './socket-connection.js'
import { connectTcp } from './connect.js'
import type { NativeTlsContext, NativeTlsTcpInit } from './context.js'
import type { ComponentLogger, Connection, CreateListenerOptions, DialTransportOptions, Listener, PeerId, PrivateKey, Transport, Upgrader } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { SecureContext } from 'node:tls'

/** Components the transport needs from libp2p. */
export interface NativeTlsTcpComponents {
  privateKey: PrivateKey
  logger: ComponentLogger
  /** libp2p's upgrader, for sockets adopted from a hole punch (libp2p passes it). */
  upgrader?: Upgrader
}

/** The transport; exported so the hole puncher can hand it sockets ({@link NativeTlsTcp.adopt}). */
export class NativeTlsTcp implements Transport {
  readonly [transportSymbol] = true as const
  readonly [Symbol.toStringTag] = '@weft/native-tls-tcp'
  readonly [serviceCapabilities]: string[] = ['@libp2p/transport']
  private readonly ctx: NativeTlsContext
  private secureContext?: Promise<SecureContext>
  private readonly upgrader?: Upgrader

  constructor (components: NativeTlsTcpComponents, init: NativeTlsTcpInit) {
    this.upgrader = components.upgrader
    this.ctx = {
      log: components.logger.forComponent('weft:native-tls-tcp'),
      logger: components.logger,
      init,
      getSecureContext: async () => {
        this.secureContext ??= createLibp2pSecureContext(components.privateKey)
        return this.secureContext
      }
    }
  }

  async dial (ma: Multiaddr, options: DialTransportOptions): Promise<Connection> {
    const socket = await connectSocket(ma, options.signal)
    return await this.upgradeOutbound(socket, ma, options)
  }

  /**
   * Takes over a TCP socket connected by someone else (a hole punch) and upgrades it to a
   * libp2p connection: as the dialer (`outbound`: multistream-select and TLS client) or as
   * the listener (`inbound`). The connection is tracked by libp2p like any other.
   */
  async adopt (socket: net.Socket, init: { direction: 'inbound' | 'outbound', remoteAddr: Multiaddr, signal: AbortSignal }): Promise<void> {
    const upgrader = this.upgrader
    if (upgrader === undefined) throw new Error('transport has no upgrader')
    if (init.direction === 'outbound') {
      await this.upgradeOutbound(socket, init.remoteAddr, { upgrader, signal: init.signal })
      return
    }
    try {
      await new NativeTlsListener(this.ctx, upgrader).upgradeSocket(socket, init.remoteAddr, init.signal, false)
    } catch (err) {
      socket.destroy()
      throw err
    }
  }

  private async upgradeOutbound (socket: net.Socket, ma: Multiaddr, options: Pick<DialTransportOptions, 'upgrader' | 'signal'>): Promise<Connection> {
    const { log } = this.ctx
    const peerIdStr = ma.getComponents().findLast(c => c.code === CODE_P2P)?.value
    const expectedPeer: PeerId | undefined = peerIdStr != null ? peerIdFromString(peerIdStr) : undefined
    try {
      const secureContext = await this.ctx.getSecureContext()
      await selectProtocol(socket, TLS_PROTOCOL, options.signal)
      const muxers = muxerProtocols(options.upgrader)
      const secured = await secureSocket(socket, {
        isServer: false,
        secureContext,
        muxers,
        expectedPeer,
        signal: options.signal,
        log
      })
      const maConn = new NativeTlsConnection({
        tlsSocket: secured.tlsSocket,
        rawSocket: socket,
        remoteAddr: ma,
        direction: 'outbound',
        inactivityTimeout: this.ctx.init.inactivityTimeout,
        log: log.newScope('connection')
      })
      try {
        return await options.upgrader.upgradeOutbound(maConn, {
          signal: options.signal,
          skipEncryption: true,
          remotePeer: secured.remotePeer,
          muxerFactory: secured.muxer != null ? options.upgrader.getStreamMuxers().get(secured.muxer) : undefined
        })
      } catch (err) {
        maConn.abort(err as Error)
        throw err
      }
    } catch (err) {
      log.error('dial to %a failed - %e', ma, err)
      socket.destroy()
      throw err
    }
  }

  createListener (options: CreateListenerOptions): Listener {
    return new NativeTlsListener(this.ctx, options.upgrader)
  }

  listenFilter (multiaddrs: Multiaddr[]): Multiaddr[] {
    return multiaddrs.filter(ma => TCPMatcher.exactMatch(ma))
  }

  dialFilter (multiaddrs: Multiaddr[]): Multiaddr[] {
    return this.listenFilter(multiaddrs)
  }
}

/** Opens a TCP socket (noDelay, keepAlive) to `ma`, honouring `signal`. */
async function connectSocket (ma: Multiaddr, signal: AbortSignal): Promise<net.Socket> {
  const config = getNetConfig(ma)
  return await connectTcp(config.host, Number(config.port), signal)
}

/**
 * libp2p transport factory: TCP + native TLS 1.3 (libp2p TLS spec).
 *
 * @example
 * ```ts
 * createLibp2p({
 *   transports: [nativeTlsTcp()],
 *   connectionEncrypters: [noise()], // unused by this transport
 *   streamMuxers: [yamux()]
 * })
 * ```
 */
export function nativeTlsTcp (init: NativeTlsTcpInit = {}): (components: NativeTlsTcpComponents) => Transport {
  return (components) => new NativeTlsTcp(components, init)
}
