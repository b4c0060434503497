/**
 * Direct connections: one TCP connection with its own TLS 1.3 session for one stream, beside
 * the libp2p connection, for bulk byte streams (service reach) that would otherwise share the
 * peer's Yamux connection. On the wire: multistream-select `/weft/direct/1.0.0` on the TCP
 * socket (so weft's listener tells it from a libp2p dial), the libp2p TLS handshake with the
 * same certificates and checks as a libp2p connection (both ends authenticated, the dialer
 * pins the peer it expects), then, inside TLS, one multistream-style message naming the weft
 * protocol, then that protocol's bytes until either end closes. Bytes go socket to socket
 * through OpenSSL with no muxer framing, no window updates and no JavaScript copy.
 */
import type * as net from 'node:net'
import type { TLSSocket, SecureContext } from 'node:tls'
import type { Logger, PeerId } from '@libp2p/interface'
import { encodeMessage, readMessage, selectProtocol } from './multistream.js'
import { secureSocket } from './handshake.js'
import { connectTcp } from './connect.js'

/** Protocol the dialer proposes on the raw TCP socket. */
export const DIRECT_PROTOCOL = '/weft/direct/1.0.0'

/** Accepts a direct connection once its TLS handshake authenticated `remotePeer` (the listener side). */
export type DirectAcceptor = (tlsSocket: TLSSocket, remotePeer: PeerId) => void

/** What {@link dialDirect} needs. */
export interface DialDirectOptions {
  host: string
  port: number
  /** The only peer accepted at the other end. */
  expectedPeer: PeerId
  /** The weft protocol the connection carries. */
  protocol: string
  secureContext: SecureContext
  /** Budget for the TCP connect alone (the path answers or not). */
  connectTimeoutMs: number
  /** Aborts the whole dial (connect and handshake). */
  signal: AbortSignal
  log: Logger
}

/** The TCP connect of a direct dial failed or timed out: the path does not work. */
export class DirectPathError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DirectPathError'
  }
}

/**
 * Dials a direct connection and names the protocol; resolves with the TLS socket once the
 * remote is authenticated as `expectedPeer`. The socket is half-open capable: `end()` sends
 * the remote the end of its reads and reading goes on.
 */
export async function dialDirect (options: DialDirectOptions): Promise<TLSSocket> {
  const { signal } = options
  signal.throwIfAborted()
  let socket: net.Socket
  try {
    socket = await connectTcp(options.host, options.port, AbortSignal.any([signal, AbortSignal.timeout(Math.ceil(options.connectTimeoutMs))]), { allowHalfOpen: true })
  } catch (err) {
    if (signal.aborted) throw err
    throw new DirectPathError(`TCP connect to ${options.host}:${options.port} failed or did not answer within ${options.connectTimeoutMs} ms: ${(err as Error).message}`, { cause: err })
  }
  try {
    await selectProtocol(socket, DIRECT_PROTOCOL, signal)
    const { tlsSocket } = await secureSocket(socket, { isServer: false, secureContext: options.secureContext, muxers: [], expectedPeer: options.expectedPeer, signal, log: options.log })
    tlsSocket.setNoDelay(true)
    tlsSocket.write(encodeMessage(options.protocol))
    return tlsSocket
  } catch (err) {
    socket.destroy()
    throw err
  }
}

/**
 * Listener side, after multistream-select chose {@link DIRECT_PROTOCOL}: runs the TLS server
 * handshake and hands the authenticated socket to `accept`, which decides (gate, protocol)
 * before reading anything else.
 */
export async function acceptDirect (socket: net.Socket, secureContext: SecureContext, accept: DirectAcceptor, signal: AbortSignal, log: Logger): Promise<void> {
  // The listener's sockets close on a remote end; a direct connection passes half-closes on.
  socket.allowHalfOpen = true
  const { tlsSocket, remotePeer } = await secureSocket(socket, { isServer: true, secureContext, muxers: [], signal, log })
  tlsSocket.setNoDelay(true)
  accept(tlsSocket, remotePeer)
}

/** Reads the protocol a direct connection carries (the first message inside TLS). */
export async function readDirectProtocol (tlsSocket: TLSSocket, signal: AbortSignal): Promise<string> {
  return await readMessage(tlsSocket, signal)
}
