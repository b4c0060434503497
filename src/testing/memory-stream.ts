/**
 * In-process stream pairs for the in-memory mesh (see memory-mesh.ts): bytes written on one
 * end are read on the other, `closeWrite` ends the other end's reads, `abort` errors both
 * ends (the other end's reads fail with `PEER_UNREACHABLE`, as over the libp2p mesh). Each direction buffers up to a high-water mark; a writer past it waits until the
 * reader drains, so a fast writer cannot run ahead of a slow reader without bound.
 */
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import { WeftError } from '../core/errors.js'
import type { MeshStream } from '../net/types.js'

/** Bytes one direction buffers before `write` waits for the reader. */
export const memoryStreamHighWaterMark = 64 * 1024

/** One direction of a stream pair: a queue of chunks with its end and error state. */
class Channel {
  readonly chunks: Uint8Array[] = []
  bytes = 0
  ended = false
  error?: Error
  #waiters: Array<() => void> = []

  /** Wakes everything waiting on this channel (readers for data, writers for room). */
  wake (): void {
    for (const w of this.#waiters.splice(0)) w()
  }

  /** Resolves at the next {@link wake}, or rejects when `signal` aborts. */
  async changed (signal?: AbortSignal): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { reject(new WeftError('ABORTED', 'stream operation aborted')) }
      this.#waiters.push(() => { signal?.removeEventListener('abort', onAbort); resolve() })
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}

/** One end of an in-memory stream pair; see {@link createStreamPair}. */
export class MemoryStream implements MeshStream {
  readonly remote: DeviceId
  readonly protocol: string
  /** Chunks this end reads. */
  readonly #inbound: Channel
  /** Chunks this end writes (the other end's inbound). */
  readonly #outbound: Channel
  readonly #onClose: () => void
  #iterated = false

  /** @internal Use {@link createStreamPair}. */
  constructor (remote: DeviceId, protocol: string, inbound: Channel, outbound: Channel, onClose: () => void) {
    this.remote = remote
    this.protocol = protocol
    this.#inbound = inbound
    this.#outbound = outbound
    this.#onClose = onClose
  }

  /** True once both directions ended or the stream was aborted. */
  get closed (): boolean {
    return (this.#inbound.ended && this.#outbound.ended) || this.#inbound.error !== undefined
  }

  async write (data: Uint8Array, options: AbortOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    const out = this.#outbound
    if (out.error !== undefined) throw new WeftError('PROTOCOL_ERROR', `stream is aborted: ${out.error.message}`)
    if (out.ended) throw new WeftError('PROTOCOL_ERROR', 'stream is closed for writing')
    // Copy: the caller may reuse its buffer once write resolves, as with a real transport.
    out.chunks.push(Uint8Array.from(data))
    out.bytes += data.length
    out.wake()
    while (out.bytes > memoryStreamHighWaterMark && out.error === undefined) await out.changed(options.signal)
    // Re-read: an abort may have happened while waiting (TypeScript narrowed it above).
    const failure = out.error as Error | undefined
    if (failure !== undefined) throw new WeftError('PROTOCOL_ERROR', `stream aborted while writing: ${failure.message}`)
  }

  async closeWrite (options: AbortOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    if (this.#outbound.ended || this.#outbound.error !== undefined) return
    this.#outbound.ended = true
    this.#outbound.wake()
    if (this.closed) this.#onClose()
    await Promise.resolve()
  }

  abort (err: Error): void {
    this.#fail(err, new WeftError('PEER_UNREACHABLE', `stream reset by the other end: ${err.message}`))
  }

  /** Fails both ends with `err` (the connection under the stream closed). */
  reset (err: WeftError): void {
    this.#fail(err, err)
  }

  /** Fails this end's reads with `local` and the other end's with `remote`. */
  #fail (local: Error, remote: Error): void {
    if (this.#inbound.error !== undefined) return
    this.#inbound.error = local
    this.#outbound.error = remote
    this.#inbound.wake()
    this.#outbound.wake()
    this.#onClose()
  }

  async * [Symbol.asyncIterator] (): AsyncGenerator<Uint8Array> {
    if (this.#iterated) throw new WeftError('INTERNAL', 'a mesh stream can be read only once')
    this.#iterated = true
    const inbound = this.#inbound
    for (;;) {
      if (inbound.error !== undefined) throw inbound.error
      const chunk = inbound.chunks.shift()
      if (chunk !== undefined) {
        inbound.bytes -= chunk.length
        inbound.wake()
        yield chunk
        continue
      }
      if (inbound.ended) {
        if (this.closed) this.#onClose()
        return
      }
      await inbound.changed()
    }
  }
}

/**
 * Creates the two ends of a stream for `protocol` between `dialer` and `listener`. The first
 * end is the dialer's (its `remote` is the listener), the second the listener's. `onClose`
 * runs (possibly more than once) when the stream is fully closed or aborted.
 */
export function createStreamPair (dialer: DeviceId, listener: DeviceId, protocol: string, onClose: () => void = () => {}): [MemoryStream, MemoryStream] {
  const toListener = new Channel()
  const toDialer = new Channel()
  return [
    new MemoryStream(listener, protocol, toDialer, toListener, onClose),
    new MemoryStream(dialer, protocol, toListener, toDialer, onClose)
  ]
}
