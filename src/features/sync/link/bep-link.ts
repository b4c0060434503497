/**
 * One BEP connection with a peer device, carried over the mesh: each side opens a stream to
 * the other on `/weft/bep/1.0.0` and sends its BEP messages there, framed as BEP frames
 * (header, length, body, LZ4 for metadata); it receives the peer's messages on the peer's
 * stream. The mesh already authenticated the peer, so there is no Hello. Requests are matched
 * to responses by ID, bounded in number and time.
 */
import type { DeviceId } from '../../../core/ids.js'
import { WeftError } from '../../../core/errors.js'
import type { Logger } from '../../../core/log.js'
import type { MeshStream } from '../../../net/types.js'
import { BepDecoder, encodeFrame } from '../wire/framing.js'
import type { BepMessage, BepRequest } from '../wire/messages.js'
import type { BepDeviceId } from '../types.js'

/** The mesh protocol carrying BEP. */
export const bepProtocol = '/weft/bep/1.0.0'
const requestTimeoutMs = 60_000
const maxPendingRequests = 512
/** Largest BEP message accepted from a peer (a 16 MiB block plus headers, or a big index batch). */
export const maxBepMessageBytes = 64 * 1024 * 1024

/** Receives what a link delivers. */
export interface LinkHandler {
  /** Every message but responses, in order; the next is delivered after this one resolves. */
  onMessage: (link: BepLink, message: BepMessage) => Promise<void>
  onClosed: (link: BepLink) => void
}

interface Pending {
  resolve: (data: Uint8Array) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

/** A BEP connection to one peer. */
export class BepLink {
  readonly device: DeviceId
  readonly bepId: BepDeviceId
  readonly #out: MeshStream
  readonly #handler: LinkHandler
  readonly #log: Logger
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  #closed = false
  #inbound?: MeshStream

  constructor (device: DeviceId, bepId: BepDeviceId, out: MeshStream, handler: LinkHandler, log: Logger) {
    this.device = device
    this.bepId = bepId
    this.#out = out
    this.#handler = handler
    this.#log = log
  }

  /** True until the link closed. */
  get open (): boolean {
    return !this.#closed
  }

  /** Sends one message. */
  async send (message: BepMessage): Promise<void> {
    if (this.#closed) throw new WeftError('PEER_UNREACHABLE', `link to ${this.device} is closed`)
    try {
      await this.#out.write(encodeFrame(message, { compression: 'metadata', maxMessageBytes: maxBepMessageBytes }))
    } catch (err) {
      // Our stream is gone (the peer refused or dropped it): the link is over; the service redials.
      this.close()
      throw err
    }
  }

  /** Sends a Request and resolves with the Response data (rejects on error codes and timeouts). */
  async request (request: Omit<BepRequest, 'type' | 'id'>, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.#pending.size >= maxPendingRequests) throw new WeftError('PEER_UNREACHABLE', `too many requests in flight to ${this.device}`)
    const id = this.#nextId
    this.#nextId = this.#nextId >= 0x7fffffff ? 1 : this.#nextId + 1
    const result = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new WeftError('TIMEOUT', `block request to ${this.device} timed out`))
      }, requestTimeoutMs)
      this.#pending.set(id, { resolve, reject, timer })
      signal?.addEventListener('abort', () => {
        if (this.#pending.delete(id)) {
          clearTimeout(timer)
          reject(new WeftError('ABORTED', 'block request aborted'))
        }
      }, { once: true })
    })
    await this.send({ type: 'request', id, ...request })
    return await result
  }

  /** Reads the peer's stream until it ends; delivers messages and responses. */
  async receive (inbound: MeshStream): Promise<void> {
    // A newer stream from the peer replaces an older one (the peer reconnected or raced).
    this.#inbound?.abort(new Error('replaced by a newer stream'))
    this.#inbound = inbound
    const decoder = new BepDecoder({ expectHello: false, maxMessageBytes: maxBepMessageBytes })
    try {
      for await (const chunk of inbound) {
        for (const frame of decoder.feed(chunk)) {
          if (frame.kind !== 'message') throw new WeftError('PROTOCOL_ERROR', 'unexpected Hello on a mesh BEP stream')
          const message = frame.message
          if (message.type === 'response') this.#settle(message.id, message.code === 'noError' ? message.data : new WeftError('NOT_FOUND', `peer answered ${message.code}`))
          else if (message.type === 'close') { this.#log.info({ device: this.device, reason: message.reason }, 'peer closed the BEP connection'); return }
          else await this.#handler.onMessage(this, message)
        }
      }
    } catch (err) {
      if (this.#inbound === inbound) this.#log.warn({ device: this.device, err: (err as Error).message }, 'BEP connection failed')
      inbound.abort(err as Error)
    } finally {
      if (this.#inbound === inbound) this.close()
    }
  }

  #settle (id: number, result: Uint8Array | Error): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return
    this.#pending.delete(id)
    clearTimeout(pending.timer)
    if (result instanceof Error) pending.reject(result)
    else pending.resolve(result)
  }

  /** Closes the link; pending requests fail. */
  close (): void {
    if (this.#closed) return
    this.#closed = true
    for (const [id] of this.#pending) this.#settle(id, new WeftError('PEER_UNREACHABLE', `connection to ${this.device} closed`))
    this.#out.abort(new Error('link closed'))
    this.#handler.onClosed(this)
  }
}
