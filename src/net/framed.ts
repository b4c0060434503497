/**
 * Length-prefixed messages over a mesh stream: a u32 big-endian length, then that many bytes
 * of UTF-8 JSON. A length over the limit or a stream that ends mid-message is a PROTOCOL_ERROR,
 * so a misbehaving peer costs at most one message buffer.
 */
import { WeftError } from '../core/errors.js'
import type { AbortOptions } from '../core/lifecycle.js'
import type { MeshStream } from './types.js'

/** Default maximum message size: 4 MiB. */
export const defaultMaxMessageBytes = 4 * 1024 * 1024

/** Reads and writes JSON messages on a stream. */
export class FramedStream {
  readonly stream: MeshStream
  readonly #maxBytes: number
  readonly #iterator: AsyncIterator<Uint8Array>
  #buffer: Buffer = Buffer.alloc(0)

  constructor (stream: MeshStream, maxBytes = defaultMaxMessageBytes) {
    this.stream = stream
    this.#maxBytes = maxBytes
    this.#iterator = stream[Symbol.asyncIterator]()
  }

  /** Sends one message. */
  async send (message: unknown, options?: AbortOptions): Promise<void> {
    const body = Buffer.from(JSON.stringify(message), 'utf8')
    if (body.length > this.#maxBytes) throw new WeftError('PROTOCOL_ERROR', `message of ${body.length} bytes exceeds the ${this.#maxBytes}-byte limit`)
    const header = Buffer.alloc(4)
    header.writeUInt32BE(body.length)
    await this.stream.write(Buffer.concat([header, body]), options)
  }

  /** Receives one message, or undefined when the remote closed cleanly between messages. */
  async receive (options?: AbortOptions): Promise<unknown> {
    const header = await this.#readExactly(4, options)
    if (header === undefined) return undefined
    const length = header.readUInt32BE(0)
    if (length > this.#maxBytes) {
      this.stream.abort(new Error('message too large'))
      throw new WeftError('PROTOCOL_ERROR', `peer sent a ${length}-byte message, over the ${this.#maxBytes}-byte limit`)
    }
    const body = await this.#readExactly(length, options)
    if (body === undefined) throw new WeftError('PROTOCOL_ERROR', 'stream ended in the middle of a message')
    try {
      return JSON.parse(body.toString('utf8'))
    } catch (err) {
      throw new WeftError('PROTOCOL_ERROR', 'peer sent a message that is not JSON', { cause: err })
    }
  }

  /** Receives one message and fails if the stream ended instead. */
  async expect (options?: AbortOptions): Promise<unknown> {
    const message = await this.receive(options)
    if (message === undefined) throw new WeftError('PROTOCOL_ERROR', 'peer closed the stream without answering')
    return message
  }

  /**
   * The rest of the stream as raw bytes: whatever was read past the last message, then every
   * further chunk. For protocols that switch from messages to a byte stream.
   */
  async * rest (): AsyncGenerator<Uint8Array> {
    if (this.#buffer.length > 0) {
      const buffered = this.#buffer
      this.#buffer = Buffer.alloc(0)
      yield buffered
    }
    for (;;) {
      const next = await this.#iterator.next()
      if (next.done === true) return
      yield next.value
    }
  }

  async #readExactly (n: number, options?: AbortOptions): Promise<Buffer | undefined> {
    while (this.#buffer.length < n) {
      options?.signal?.throwIfAborted()
      const next = await this.#iterator.next()
      if (next.done === true) {
        if (this.#buffer.length === 0) return undefined
        throw new WeftError('PROTOCOL_ERROR', 'stream ended in the middle of a message')
      }
      this.#buffer = this.#buffer.length === 0 ? Buffer.from(next.value) : Buffer.concat([this.#buffer, next.value])
      if (this.#buffer.length > this.#maxBytes + 4) throw new WeftError('PROTOCOL_ERROR', 'peer sent more than one message allows')
    }
    const out = this.#buffer.subarray(0, n)
    this.#buffer = this.#buffer.subarray(n)
    return out
  }
}
