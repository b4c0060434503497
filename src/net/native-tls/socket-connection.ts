/**
 * MultiaddrConnection over an already-authenticated native `node:tls` socket.
 *
 * This is the object handed to the libp2p upgrader with `skipEncryption: true`:
 * bytes written here go straight into Node's native TLS (OpenSSL) record layer,
 * so the only JavaScript on the data path is the stream muxer.
 *
 * Modelled on `@libp2p/tcp`'s `socket-to-conn.ts` (libp2p 3.x), with two
 * differences: multi-buffer writes are corked so that a muxer frame header and
 * its payload become one TLS record, and reset/close act on both the TLS socket
 * and the raw TCP socket beneath it.
 */
import { TimeoutError } from '@libp2p/interface'
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import type { AbortOptions, CounterGroup, Logger, MessageStreamDirection } from '@libp2p/interface'
import type { SendResult } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Options for {@link NativeTlsConnection}. */
export interface NativeTlsConnectionInit {
  /** The TLS socket, after a completed and verified handshake. */
  tlsSocket: TLSSocket
  /** The raw TCP socket the TLS socket runs on (used for RST on abort). */
  rawSocket: Socket
  /** Address of the remote end. */
  remoteAddr: Multiaddr
  /** Whether we dialed (`outbound`) or accepted (`inbound`) this connection. */
  direction: MessageStreamDirection
  /** Logger scoped to this connection. */
  log: Logger
  /** Close the socket after this many ms without traffic (default 2 minutes). */
  inactivityTimeout?: number
  /** Optional counter group for connection events. */
  metrics?: CounterGroup
  /** Prefix for metric labels. */
  metricPrefix?: string
}

/**
 * A libp2p `MultiaddrConnection` whose bytes are encrypted by native TLS.
 */
export class NativeTlsConnection extends AbstractMultiaddrConnection {
  private readonly tlsSocket: TLSSocket
  private readonly rawSocket: Socket

  constructor (init: NativeTlsConnectionInit) {
    super({
      remoteAddr: init.remoteAddr,
      direction: init.direction,
      log: init.log,
      inactivityTimeout: init.inactivityTimeout,
      metrics: init.metrics,
      metricPrefix: init.metricPrefix
    })
    this.tlsSocket = init.tlsSocket
    this.rawSocket = init.rawSocket
    const socket = this.tlsSocket

    socket.on('data', (buf: Buffer) => {
      this.onData(buf)
    })
    socket.on('error', (err: Error) => {
      this.log('tls socket error %a - %e', this.remoteAddr, err)
      this.abort(err)
    })
    socket.setTimeout(init.inactivityTimeout ?? 2 * 60 * 1_000)
    socket.once('timeout', () => {
      this.log('tls socket timeout %a', this.remoteAddr)
      this.abort(new TimeoutError())
    })
    socket.once('end', () => {
      // remote sent close_notify/FIN; allowHalfOpen is false so 'close' follows
      this.onTransportClosed()
    })
    socket.once('close', (hadError: boolean) => {
      if (hadError) {
        this.abort(new Error('TLS transmission error'))
        return
      }
      this.onTransportClosed()
    })
    socket.on('drain', () => {
      this.safeDispatchEvent('drain')
    })
  }

  /** Write muxer output; several buffers are corked into one TLS write. */
  sendData (data: Uint8ArrayList): SendResult {
    const socket = this.tlsSocket
    let sentBytes = 0
    let canSendMore = true
    // corked writes reach TLSWrap as one writev, which OpenSSL seals as one
    // record: a muxer header and its payload do not become two records
    socket.cork()
    try {
      for (const buf of data) {
        sentBytes += buf.byteLength
        canSendMore = socket.write(buf)
        if (!canSendMore) {
          break
        }
      }
    } finally {
      socket.uncork()
    }
    return { sentBytes, canSendMore }
  }

  /** Graceful close: flush, send close_notify and FIN, wait for 'close'. */
  async sendClose (options?: AbortOptions): Promise<void> {
    const socket = this.tlsSocket
    if (socket.destroyed) {
      return
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        socket.destroy()
        reject(options?.signal?.reason instanceof Error ? options.signal.reason : new Error('Close aborted'))
      }
      socket.once('close', () => {
        options?.signal?.removeEventListener('abort', onAbort)
        resolve()
      })
      options?.signal?.addEventListener('abort', onAbort, { once: true })
      socket.end()
    })
  }

  /** Abortive close: RST the TCP connection. */
  sendReset (): void {
    this.tlsSocket.destroy()
    if (!this.rawSocket.destroyed) {
      if (this.rawSocket.writableEnded) {
        this.rawSocket.destroy()
      } else {
        this.rawSocket.resetAndDestroy()
      }
    }
  }

  sendPause (): void {
    this.tlsSocket.pause()
  }

  sendResume (): void {
    this.tlsSocket.resume()
  }
}
