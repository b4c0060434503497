/**
 * libp2p TLS handshake (https://github.com/libp2p/specs/blob/master/tls/tls.md)
 * run by Node's native TLS 1.3 directly on a TCP socket.
 *
 * Certificates follow the libp2p spec (a self-signed ECDSA certificate whose
 * extension 1.3.6.1.4.1.53594.1.1 carries the libp2p public key and its
 * signature over the certificate key), generated and verified with the
 * exported helpers of `@libp2p/tls/utils`. Node is told to accept the
 * self-signed chain (`rejectUnauthorized: false`) and the peer certificate is
 * verified here, after the handshake and before any application byte is
 * exchanged: a certificate that does not carry a valid signature by the
 * claimed libp2p key, or a key other than the expected one, fails the dial.
 * TLS itself proves possession of the certificate's private key.
 */
import { connect, createSecureContext, TLSSocket } from 'node:tls'
import { generateCertificate, verifyPeerCertificate } from '@libp2p/tls/utils'
import type { Logger, PeerId, PrivateKey, Upgrader } from '@libp2p/interface'
import type { Socket } from 'node:net'
import type { SecureContext } from 'node:tls'

/** The security protocol id negotiated with multistream-select. */
export const TLS_PROTOCOL = '/tls/1.0.0'

/** ALPN value meaning "no early muxer negotiation" in the libp2p TLS spec. */
export const ALPN_LIBP2P = 'libp2p'

/** Muxer protocol ids to offer via ALPN, in the upgrader's order. */
export function muxerProtocols (upgrader: Upgrader): string[] {
  return [...upgrader.getStreamMuxers().keys()]
}

/** Thrown when the remote peer's certificate fails libp2p verification. */
export class PeerAuthenticationError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PeerAuthenticationError'
  }
}

/**
 * Creates the TLS 1.3 secure context carrying a libp2p certificate for
 * `privateKey`. One context is reused for every connection.
 */
export async function createLibp2pSecureContext (privateKey: PrivateKey): Promise<SecureContext> {
  const { cert, key } = await generateCertificate(privateKey)
  return createSecureContext({ cert, key, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' })
}

/** Inputs of {@link secureSocket}. */
export interface SecureSocketOptions {
  /** `true` on the accepting side. */
  isServer: boolean
  /** From {@link createLibp2pSecureContext}. */
  secureContext: SecureContext
  /** Muxer protocol ids offered for early (ALPN) negotiation, in preference order. */
  muxers: string[]
  /** If known (dialing a `/p2p/` address), the only peer id accepted. */
  expectedPeer?: PeerId
  /** Aborts the handshake. */
  signal: AbortSignal
  log: Logger
}

/** Result of {@link secureSocket}. */
export interface SecuredSocket {
  tlsSocket: TLSSocket
  /** The authenticated remote peer. */
  remotePeer: PeerId
  /** Muxer agreed via ALPN, or undefined to negotiate it with multistream-select. */
  muxer?: string
}

/**
 * Runs the TLS 1.3 handshake on `socket` and authenticates the remote libp2p
 * peer. On failure the socket is destroyed and the promise rejects.
 */
export async function secureSocket (socket: Socket, opts: SecureSocketOptions): Promise<SecuredSocket> {
  const { isServer, secureContext, muxers, signal, log } = opts
  const alpn = [...muxers, ALPN_LIBP2P]
  let tlsSocket: TLSSocket
  if (isServer) {
    tlsSocket = new TLSSocket(socket, {
      isServer: true,
      secureContext,
      requestCert: true,
      rejectUnauthorized: false,
      ALPNCallback: ({ protocols }) => {
        // prefer the client's order, as @libp2p/tls does
        return protocols.find(p => muxers.includes(p)) ?? (protocols.includes(ALPN_LIBP2P) ? ALPN_LIBP2P : undefined)
      }
    })
  } else {
    tlsSocket = connect({
      socket,
      secureContext,
      rejectUnauthorized: false,
      ALPNProtocols: alpn
    })
  }

  try {
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        tlsSocket.off('secure', onSecure)
        tlsSocket.off('error', onError)
        tlsSocket.off('close', onClose)
        signal.removeEventListener('abort', onAbort)
      }
      const onSecure = (): void => { cleanup(); resolve() }
      const onError = (err: Error): void => { cleanup(); reject(err) }
      const onClose = (): void => { cleanup(); reject(new PeerAuthenticationError('connection closed during TLS handshake')) }
      const onAbort = (): void => { cleanup(); reject(signal.reason instanceof Error ? signal.reason : new Error('TLS handshake aborted')) }
      tlsSocket.once('secure', onSecure)
      tlsSocket.once('error', onError)
      tlsSocket.once('close', onClose)
      signal.addEventListener('abort', onAbort, { once: true })
    })

    if (tlsSocket.getProtocol() !== 'TLSv1.3') {
      throw new PeerAuthenticationError(`negotiated ${String(tlsSocket.getProtocol())}, need TLSv1.3`)
    }
    const raw = tlsSocket.getPeerCertificate()?.raw
    if (raw == null || raw.byteLength === 0) {
      throw new PeerAuthenticationError('remote presented no certificate')
    }
    let remotePeer: PeerId
    try {
      remotePeer = await verifyPeerCertificate(new Uint8Array(raw), opts.expectedPeer, log)
    } catch (err) {
      throw new PeerAuthenticationError(`remote certificate rejected: ${(err as Error).message}`, { cause: err })
    }
    signal.throwIfAborted()
    const selected = tlsSocket.alpnProtocol
    const muxer = typeof selected === 'string' && muxers.includes(selected) ? selected : undefined
    log('authenticated %p over native TLS 1.3 (%s), alpn %s', remotePeer, tlsSocket.getCipher().name, selected)
    return { tlsSocket, remotePeer, muxer }
  } catch (err) {
    tlsSocket.destroy()
    socket.destroy()
    throw err
  }
}
