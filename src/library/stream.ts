/**
 * A byte stream to another member as an embedding application sees it: one object to write
 * to, end, abort and iterate, over the mesh stream and the reader the reach features hand out
 * (a pipe end, a connection to a member's service).
 */
import type { DeviceId } from '../core/ids.js'
import type { MeshStream } from '../net/types.js'

/**
 * A bidirectional, end-to-end encrypted byte stream with another member. Iterate it (`for await`)
 * to read what the other end writes; the iteration ends when the other end calls {@link WeftStream.end}.
 *
 * @example
 * ```ts
 * await stream.write('hello')
 * await stream.end()
 * console.log(await stream.text()) // everything the other end wrote, until it ended
 * ```
 */
export class WeftStream implements AsyncIterable<Uint8Array> {
  /** The member at the other end. */
  readonly peer: DeviceId
  readonly #stream: MeshStream
  readonly #incoming: AsyncIterable<Uint8Array>

  /** @internal Built by the node; applications get streams from `node.streams` and `node.services`. */
  constructor (peer: DeviceId, stream: MeshStream, incoming: AsyncIterable<Uint8Array>) {
    this.peer = peer
    this.#stream = stream
    this.#incoming = incoming
  }

  /** Sends bytes (a string is sent as UTF-8); resolves once the stream can take more. */
  async write (data: Uint8Array | string): Promise<void> {
    await this.#stream.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
  }

  /** Half-closes: no more writes; the other end's reading ends. Reading here goes on. */
  async end (): Promise<void> {
    await this.#stream.closeWrite()
  }

  /** Closes both directions at once; the other end sees an error, not an end. */
  abort (reason: Error = new Error('aborted')): void {
    this.#stream.abort(reason)
  }

  /** Reads chunks as they arrive, until the other end ends its writing. */
  [Symbol.asyncIterator] (): AsyncIterator<Uint8Array> {
    return this.#incoming[Symbol.asyncIterator]()
  }

  /** Reads everything until the other end ends its writing. */
  async bytes (): Promise<Buffer> {
    const chunks: Uint8Array[] = []
    for await (const chunk of this.#incoming) chunks.push(chunk)
    return Buffer.concat(chunks)
  }

  /** Reads everything until the other end ends its writing, as UTF-8 text. */
  async text (): Promise<string> {
    return (await this.bytes()).toString('utf8')
  }
}
