/**
 * One BEP connection with a peer device, over any byte transport. Between weft members it is
 * carried over the mesh: each side opens a stream to the other on `/weft/bep/1.0.0` and sends
 * its BEP messages there (the mesh already authenticated the peer, so there is no Hello), and
 * receives the peer's messages on the peer's stream. With a Syncthing device it is one TLS
 * connection, after the Hello exchange (syncthing/handshake.ts), with keepalive Pings. Requests
 * are matched to responses by ID, bounded in number and time.
 */
import type { DeviceId } from '../../../core/ids.js'
import { WeftError } from '../../../core/errors.js'
import type { Logger } from '../../../core/log.js'
import { BepDecoder, encodeFrame } from '../wire/framing.js'
import type { BepMessage, BepMessageType, BepRequest } from '../wire/messages.js'
import type { BepDeviceId } from '../types.js'
import type { BufferPool } from '../wire/buffer-pool.js'

/** The mesh protocol carrying BEP. */
export const bepProtocol = '/weft/bep/1.0.0'
const requestTimeoutMs = 60_000
const maxPendingRequests = 512
/**
 * Largest BEP message accepted from a peer: a 16 MiB block plus headers, or a big index batch
 * (Syncthing sends at most 1,000 records or about 250 KiB per message, one record only when it
 * alone is larger). BEP itself allows 500 MB; a peer announcing more than this is disconnected
 * as soon as the length is read, before anything is allocated.
 */
export const maxBepMessageBytes = 64 * 1024 * 1024

/** What a link writes to and reads from (a mesh stream or a TLS socket channel). */
export interface BepTransport extends AsyncIterable<Uint8Array> {
  /**
   * Writes bytes; resolves once the transport can take more. `onWritten`, when the transport
   * supports it, is called once it no longer holds `data` (its buffer may then be reused).
   */
  write: (data: Uint8Array, options?: { onWritten?: () => void }) => Promise<void>
  /** Closes both directions abruptly. */
  abort: (err: Error) => void
  /** Writes `last`, then closes gracefully (a TLS socket: Syncthing should read our Close). */
  end?: (last: Uint8Array) => void
}

/** Which kind of peer a link talks to. */
export type LinkKind = 'mesh' | 'syncthing'

/** Receives what a link delivers. */
export interface LinkHandler {
  /** Every message but responses, in order; the next is delivered after this one resolves. */
  onMessage: (link: BepLink, message: BepMessage) => Promise<void>
  onClosed: (link: BepLink) => void
}

/** Counters of one link since it opened (for status, and for tests of delta indexes). */
export interface LinkStats {
  /** Messages received, by type. */
  messagesIn: Partial<Record<BepMessageType, number>>
  /** Messages sent, by type. */
  messagesOut: Partial<Record<BepMessageType, number>>
  /** FileInfo records received in Index and IndexUpdate messages. */
  recordsIn: number
  /** FileInfo records sent in Index and IndexUpdate messages. */
  recordsOut: number
}

/** Keepalive timing (BEP: Ping after 90 s without sending, give up after 300 s without receiving). */
export interface Keepalive {
  pingAfterMs: number
  receiveTimeoutMs: number
}

/** BEP's keepalive timing, as Syncthing uses it. */
export const bepKeepalive: Keepalive = { pingAfterMs: 90_000, receiveTimeoutMs: 300_000 }

/** Options of {@link BepLink}. */
export interface BepLinkOptions {
  kind: LinkKind
  /** The peer: a weft device ID, or a Syncthing device ID (same text form). */
  device: DeviceId
  /** The peer's BEP device ID. */
  bepId: BepDeviceId
  /** This device's BEP device ID on this link (weft key, or Syncthing certificate hash). */
  self: BepDeviceId
  /** Where our messages go. */
  out: BepTransport
  handler: LinkHandler
  log: Logger
  /** Send Pings and drop a silent peer (default: off). */
  keepalive?: Keepalive
  /** The peer's name and software (from its Hello) and where it is, when known. */
  peer?: PeerInfo
  /** Buffers for received blocks, given back by whoever consumes a Response's data. */
  pool?: BufferPool
}

/** What a TLS link knows of its peer. */
export interface PeerInfo {
  /** Device name and client software, from the Hello. */
  name: string
  client: string
  /** `tcp://HOST:PORT` of the other end. */
  address: string
  /** Who dialled: `out` we did, `in` the peer did. */
  direction: 'in' | 'out'
}

interface Pending {
  resolve: (data: Uint8Array) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
  /** Removes the abort listener. */
  detach?: () => void
}

/** A BEP connection to one peer. */
export class BepLink {
  readonly kind: LinkKind
  readonly device: DeviceId
  readonly bepId: BepDeviceId
  readonly self: BepDeviceId
  readonly peer: PeerInfo | undefined
  readonly stats: LinkStats = { messagesIn: {}, messagesOut: {}, recordsIn: 0, recordsOut: 0 }
  readonly openedAt = Date.now()
  readonly #out: BepTransport
  readonly #handler: LinkHandler
  readonly #pool: BufferPool | undefined
  readonly #log: Logger
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  #closed = false
  /** Why the link closed, once it has. */
  closeReason: string | undefined
  #inbound?: BepTransport
  #lastSent = Date.now()
  #lastReceived = Date.now()
  #keepaliveTimer?: NodeJS.Timeout

  constructor (options: BepLinkOptions) {
    this.kind = options.kind
    this.device = options.device
    this.bepId = options.bepId
    this.self = options.self
    this.peer = options.peer
    this.#out = options.out
    this.#handler = options.handler
    this.#pool = options.pool
    this.#log = options.log
    const keepalive = options.keepalive
    if (keepalive !== undefined) {
      const every = Math.max(50, Math.min(keepalive.pingAfterMs, keepalive.receiveTimeoutMs) / 4)
      this.#keepaliveTimer = setInterval(() => { this.#tick(keepalive) }, every)
      this.#keepaliveTimer.unref()
    }
    // Between weft members the peer only ever reads our stream: it ending means the peer's
    // side of the link is gone (it closed, restarted or replaced the stream), even when we
    // have nothing to send that would find out. Unwatched, a half-dead link could hold
    // requests until they time out.
    if (this.kind === 'mesh') void this.#watchOut()
  }

  async #watchOut (): Promise<void> {
    let reason = 'peer closed our stream'
    try {
      for await (const chunk of this.#out) {
        if (chunk.byteLength > 0) throw new WeftError('PROTOCOL_ERROR', 'peer wrote on our stream')
      }
    } catch (err) {
      reason = (err as Error).message
    }
    this.close(reason)
  }

  /** True until the link closed. */
  get open (): boolean {
    return !this.#closed
  }

  #tick (keepalive: Keepalive): void {
    const now = Date.now()
    if (now - this.#lastReceived >= keepalive.receiveTimeoutMs) {
      this.#log.warn({ device: this.device, silentMs: now - this.#lastReceived }, 'BEP peer sent nothing for too long; disconnecting')
      this.close('read timeout')
      return
    }
    if (now - this.#lastSent >= keepalive.pingAfterMs) void this.send({ type: 'ping' }).catch(() => {})
  }

  /** Sends one message. */
  async send (message: BepMessage): Promise<void> {
    if (this.#closed) throw new WeftError('PEER_UNREACHABLE', `link to ${this.device} is closed`)
    const frame = encodeFrame(message, { compression: 'metadata', maxMessageBytes: maxBepMessageBytes })
    this.#count(this.stats.messagesOut, message)
    if (message.type === 'index' || message.type === 'indexUpdate') this.stats.recordsOut += message.files.length
    this.#lastSent = Date.now()
    try {
      await this.#out.write(frame)
    } catch (err) {
      // Our stream is gone (the peer refused or dropped it): the link is over; the service redials.
      this.close()
      throw err
    }
  }

  /**
   * Sends a frame encoded already (a Response built in place around its block); `onWritten` is
   * called once the transport no longer holds it, if the transport can tell.
   */
  async sendFrame (frame: Uint8Array, type: BepMessageType, onWritten?: () => void): Promise<void> {
    if (this.#closed) throw new WeftError('PEER_UNREACHABLE', `link to ${this.device} is closed`)
    this.stats.messagesOut[type] = (this.stats.messagesOut[type] ?? 0) + 1
    this.#lastSent = Date.now()
    try {
      await this.#out.write(frame, onWritten === undefined ? undefined : { onWritten })
    } catch (err) {
      this.close()
      throw err
    }
  }

  #count (table: Partial<Record<BepMessageType, number>>, message: BepMessage): void {
    table[message.type] = (table[message.type] ?? 0) + 1
  }

  /** Sends a Request and resolves with the Response data (rejects on error codes and timeouts). */
  async request (request: Omit<BepRequest, 'type' | 'id'>, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.#pending.size >= maxPendingRequests) throw new WeftError('PEER_UNREACHABLE', `too many requests in flight to ${this.device}`)
    signal?.throwIfAborted()
    const id = this.#nextId
    this.#nextId = this.#nextId >= 0x7fffffff ? 1 : this.#nextId + 1
    const result = new Promise<Uint8Array>((resolve, reject) => {
      const pending: Pending = {
        resolve,
        reject,
        timer: setTimeout(() => { this.#settle(id, new WeftError('TIMEOUT', `block request to ${this.device} timed out`)) }, requestTimeoutMs)
      }
      if (signal !== undefined) {
        // Removed again when the request settles: a signal shared by many requests (one per
        // file being pulled) must not collect a listener per block.
        const onAbort = (): void => { this.#settle(id, new WeftError('ABORTED', 'block request aborted')) }
        signal.addEventListener('abort', onAbort, { once: true })
        pending.detach = () => { signal.removeEventListener('abort', onAbort) }
      }
      this.#pending.set(id, pending)
    })
    await this.send({ type: 'request', id, ...request })
    return await result
  }

  /**
   * Reads the peer's transport until it ends; delivers messages and responses. `decoder` is one
   * already fed with what followed the Hello (TLS links); mesh streams start without a Hello.
   */
  async receive (inbound: BepTransport, decoder = new BepDecoder({ expectHello: false, maxMessageBytes: maxBepMessageBytes, pool: this.#pool })): Promise<void> {
    // A newer stream from the peer replaces an older one (the peer reconnected or raced).
    this.#inbound?.abort(new Error('replaced by a newer stream'))
    this.#inbound = inbound
    let reason = 'peer disconnected'
    try {
      if (await this.#drain(decoder)) return
      for await (const chunk of inbound) {
        this.#lastReceived = Date.now()
        decoder.push(chunk)
        if (await this.#drain(decoder)) return
        if (this.#closed) return
      }
      decoder.end()
    } catch (err) {
      reason = (err as Error).message
      if (this.#inbound === inbound && !this.#closed) {
        this.#log.warn({ device: this.device, kind: this.kind, err: reason }, 'BEP connection failed; disconnecting')
        this.close(reason)
      }
      if (inbound !== this.#out) inbound.abort(err as Error)
    } finally {
      if (this.#inbound === inbound) this.close(reason)
    }
  }

  /** Handles every complete frame; true when the peer sent Close. */
  async #drain (decoder: BepDecoder): Promise<boolean> {
    for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) {
      if (frame.kind !== 'message') throw new WeftError('PROTOCOL_ERROR', 'unexpected Hello after the connection started')
      const message = frame.message
      this.#count(this.stats.messagesIn, message)
      if (message.type === 'index' || message.type === 'indexUpdate') this.stats.recordsIn += message.files.length
      if (message.type === 'response') this.#settle(message.id, message.code === 'noError' ? message.data : new WeftError('NOT_FOUND', `peer answered ${message.code}`))
      else if (message.type === 'close') {
        this.#log.info({ device: this.device, reason: message.reason }, 'peer closed the BEP connection')
        return true
      } else await this.#handler.onMessage(this, message)
    }
    return false
  }

  #settle (id: number, result: Uint8Array | Error): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return
    this.#pending.delete(id)
    clearTimeout(pending.timer)
    pending.detach?.()
    if (result instanceof Error) pending.reject(result)
    else pending.resolve(result)
  }

  /**
   * Closes the link; pending requests fail. With a `reason`, a Syncthing peer is first sent a
   * Close message saying why (best effort: it is not waited for).
   */
  close (reason?: string): void {
    if (this.#closed) return
    this.#closed = true
    this.closeReason = reason ?? 'closed locally'
    clearInterval(this.#keepaliveTimer)
    for (const [id] of this.#pending) this.#settle(id, new WeftError('PEER_UNREACHABLE', `connection to ${this.device} closed`))
    if (reason !== undefined && this.kind === 'syncthing' && this.#out.end !== undefined) this.#out.end(encodeFrame({ type: 'close', reason: reason.slice(0, 1024) }))
    else this.#out.abort(new Error(reason ?? 'link closed'))
    // The peer's stream goes too, so that its side of the link learns at once that this one
    // is over (a direct connection otherwise stays open, unread, until its buffers fill).
    if (this.#inbound !== undefined && this.#inbound !== this.#out) this.#inbound.abort(new Error(reason ?? 'link closed'))
    this.#handler.onClosed(this)
  }
}
