/**
 * A TLS (or any net) socket as a BEP transport: reads are queued as they arrive and the socket
 * is paused while more than a small amount waits unread, so a peer that sends faster than we
 * handle its messages is held back by TCP instead of filling memory; writes wait for `drain`.
 * Unlike Node's own socket iterator, leaving a `for await` loop early does not destroy the
 * socket, so the Hello can be read first and the BEP link take over the same channel.
 */
import type { Socket } from 'node:net'
import { WeftError } from '../../../core/errors.js'
import type { BepTransport } from '../link/bep-link.js'

/** Unread bytes above which the socket is paused. */
const highWater = 1024 * 1024
/** How long a graceful end may take before the socket is destroyed. */
const endGraceMs = 2000

/** One socket as a BEP transport. */
export class SocketChannel implements BepTransport {
  readonly socket: Socket
  readonly #queue: Uint8Array[] = []
  #queued = 0
  #ended = false
  #error: Error | undefined
  #wake: (() => void) | undefined
  #draining: Promise<void> | undefined

  constructor (socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#queue.push(chunk)
      this.#queued += chunk.length
      if (this.#queued > highWater) socket.pause()
      this.#notify()
    })
    socket.once('end', () => { this.#ended = true; this.#notify() })
    socket.once('close', () => { this.#ended = true; this.#notify() })
    socket.on('error', (err) => { this.#error ??= err; this.#notify() })
  }

  #notify (): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  /** The next chunk received, or undefined at the end of the stream. Throws on socket errors. */
  async read (signal?: AbortSignal): Promise<Uint8Array | undefined> {
    for (;;) {
      const chunk = this.#queue.shift()
      if (chunk !== undefined) {
        this.#queued -= chunk.length
        if (this.#queued <= highWater / 2 && this.socket.isPaused()) this.socket.resume()
        return chunk
      }
      if (this.#error !== undefined) throw this.#error
      if (this.#ended) return undefined
      if (signal?.aborted === true) throw new WeftError('ABORTED', 'read aborted')
      // The abort listener lives for this wait only: one added per wait and never removed
      // piled up on a long-lived signal (MaxListenersExceededWarning, and a leak).
      const onAbort = (): void => { this.#notify() }
      signal?.addEventListener('abort', onAbort, { once: true })
      try {
        await new Promise<void>((resolve) => { this.#wake = resolve })
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    }
  }

  [Symbol.asyncIterator] (): AsyncIterator<Uint8Array> {
    return {
      next: async () => {
        const value = await this.read()
        return value === undefined ? { done: true, value: undefined } : { done: false, value }
      },
      // Leaving a loop early keeps the socket open (the caller decides when to close it).
      return: async () => await Promise.resolve({ done: true, value: undefined })
    }
  }

  /** Writes `data`; `onWritten` is called once the socket no longer holds it. */
  async write (data: Uint8Array, options?: { onWritten?: () => void }): Promise<void> {
    const socket = this.socket
    if (socket.destroyed || socket.writableEnded) throw new WeftError('PEER_UNREACHABLE', 'connection closed')
    const onWritten = options?.onWritten
    if (onWritten === undefined ? socket.write(data) : socket.write(data, () => { onWritten() })) return
    // Writers waiting at once (Responses served in parallel) share one wait: one pair of
    // listeners on the socket, not one per writer.
    this.#draining ??= this.#drained().finally(() => { this.#draining = undefined })
    await this.#draining
  }

  #drained (): Promise<void> {
    const socket = this.socket
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        socket.off('drain', onDrain)
        socket.off('close', onClose)
        if (err === undefined) resolve()
        else reject(err)
      }
      const onDrain = (): void => { done() }
      const onClose = (): void => { done(new WeftError('PEER_UNREACHABLE', 'connection closed')) }
      socket.on('drain', onDrain)
      socket.on('close', onClose)
    })
  }

  abort (err: Error): void {
    this.#error ??= err
    this.socket.destroy()
    this.#notify()
  }

  end (last: Uint8Array): void {
    if (this.socket.destroyed) return
    this.socket.end(last)
    setTimeout(() => { this.socket.destroy() }, endGraceMs).unref()
  }
}
