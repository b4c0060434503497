/**
 * The start of a BEP connection with a Syncthing device, as Syncthing does it: TLS 1.3 with
 * ALPN `bep/1.0` and self-signed certificates on both sides, the peer pinned by its device ID
 * (SHA-256 of its certificate) rather than by any CA, then the Hello exchange (magic
 * 0x2EA7D90B, u16 length, Hello) in both directions at once, bounded in size and time.
 */
import type { TLSSocket } from 'node:tls'
import { WeftError } from '../../../core/errors.js'
import type { DeviceId } from '../../../core/ids.js'
import { syncthingDeviceId } from '../../../identity/syncthing-cert.js'
import { BepDecoder, encodeHello } from '../wire/framing.js'
import type { BepHello } from '../wire/messages.js'
import { maxBepMessageBytes } from '../link/bep-link.js'
import type { SocketChannel } from './channel.js'
import type { BufferPool } from '../wire/buffer-pool.js'

/** The ALPN protocol of BEP v1. */
export const bepAlpn = 'bep/1.0'
/** How long the TLS handshake plus the Hello exchange may take. */
export const handshakeTimeoutMs = 20_000

/** Why a connection attempt was refused before BEP started. */
export type HandshakeRefusal =
  | 'alpn' | 'tlsVersion' | 'noCertificate' | 'unknownDevice' | 'wrongDevice' | 'hello' | 'timeout'

/** A refused connection attempt (code FORBIDDEN for identity problems, PROTOCOL_ERROR otherwise). */
export class BepHandshakeError extends WeftError {
  override readonly name: string = 'BepHandshakeError'
  readonly reason: HandshakeRefusal

  constructor (reason: HandshakeRefusal, message: string, options?: { cause?: unknown }) {
    super(reason === 'unknownDevice' || reason === 'wrongDevice' || reason === 'noCertificate' ? 'FORBIDDEN' : reason === 'timeout' ? 'TIMEOUT' : 'PROTOCOL_ERROR', message, options)
    this.reason = reason
  }
}

/** TLS options for both directions: TLS 1.3 only, our certificate, the BEP ALPN, any peer certificate (pinned afterwards). */
export function bepTlsOptions (identity: { certPem: string, keyPem: string }): { cert: string, key: string, ALPNProtocols: string[], minVersion: 'TLSv1.3', rejectUnauthorized: false } {
  return { cert: identity.certPem, key: identity.keyPem, ALPNProtocols: [bepAlpn], minVersion: 'TLSv1.3', rejectUnauthorized: false }
}

/**
 * Checks a secured socket: TLS 1.3, ALPN `bep/1.0`, a peer certificate; returns the peer's
 * device ID. `expected` pins it (outgoing connections); otherwise `known` must accept it.
 */
export function authenticatePeer (socket: TLSSocket, check: { expected?: DeviceId, known?: (device: DeviceId) => boolean }): DeviceId {
  if (socket.getProtocol() !== 'TLSv1.3') throw new BepHandshakeError('tlsVersion', `peer negotiated ${socket.getProtocol() ?? 'no TLS version'}, BEP needs TLSv1.3`)
  if (socket.alpnProtocol !== bepAlpn) throw new BepHandshakeError('alpn', `peer did not negotiate ALPN ${bepAlpn} (got ${socket.alpnProtocol === false ? 'none' : String(socket.alpnProtocol)})`)
  const cert = socket.getPeerX509Certificate()
  if (cert === undefined) throw new BepHandshakeError('noCertificate', 'peer sent no certificate')
  const device = syncthingDeviceId(cert.raw)
  if (check.expected !== undefined && device !== check.expected) throw new BepHandshakeError('wrongDevice', `peer presented device ID ${device}, expected ${check.expected}`)
  if (check.expected === undefined && check.known?.(device) !== true) throw new BepHandshakeError('unknownDevice', `unknown device ${device} (add it with: weft syncthing add ${device} ADDRESS)`)
  return device
}

/**
 * Sends our Hello and reads the peer's; returns it with the decoder, which holds whatever
 * followed the Hello and continues with the BEP messages. Bounded: a Hello is at most 32767
 * bytes and the exchange ends at `signal`.
 */
export async function exchangeHello (channel: SocketChannel, ours: BepHello, signal: AbortSignal, pool?: BufferPool): Promise<{ hello: BepHello, decoder: BepDecoder }> {
  const decoder = new BepDecoder({ expectHello: true, maxMessageBytes: maxBepMessageBytes, pool })
  const sent = channel.write(encodeHello(ours))
  for (;;) {
    let frame
    try {
      frame = decoder.next()
    } catch (err) {
      throw new BepHandshakeError('hello', `bad Hello: ${(err as Error).message}`, { cause: err })
    }
    if (frame?.kind === 'hello') {
      await sent
      return { hello: frame.hello, decoder }
    }
    let chunk: Uint8Array | undefined
    try {
      chunk = await channel.read(signal)
    } catch (err) {
      if (signal.aborted) throw new BepHandshakeError('timeout', 'no Hello from the peer in time')
      throw err
    }
    if (chunk === undefined) throw new BepHandshakeError('hello', 'connection closed before the Hello')
    decoder.push(chunk)
  }
}

/** Our Hello: device name, client weft and its version, one connection, the time in ns. */
export function ourHello (deviceName: string, version: string): BepHello {
  return { deviceName, clientName: 'weft', clientVersion: `v${version}`, numConnections: 0, timestamp: BigInt(Date.now()) * 1_000_000n }
}
