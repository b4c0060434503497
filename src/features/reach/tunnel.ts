/**
 * A forwarded TCP connection's way through the mesh that can move to a better path (from a
 * relayed stream to a direct one) without losing, duplicating or reordering a byte, and with
 * no framing on the data path.
 *
 * Each side switches its output by half-closing the old stream after its last byte and
 * writing everything after to the new one; each reader drains the old stream to its end and
 * goes on with the new one. The handshake on the new stream (see migration.ts) fixes the order
 * that makes an end of the old stream unambiguous:
 *
 * 1. The opener registers the switch (its reader will go on with the new stream) and sends
 *    `resume`.
 * 2. The server registers the switch the same way, then switches its output and answers `ok`.
 * 3. The opener, on `ok`, switches its output.
 *
 * So an end of the old stream that is a switch always reaches a reader that knows about the
 * switch; one that reaches a reader with no switch registered is the connection's own
 * half-close. A side whose output had already ended closes the new stream's output at once.
 * If the new stream fails while a switch is under way, the tunnel is torn down: an error,
 * never a silent truncation.
 */
import { WeftError } from '../../core/errors.js'
import type { DeviceId } from '../../core/ids.js'
import type { AbortOptions } from '../../core/lifecycle.js'
import type { MeshStream } from '../../net/types.js'

/** Where the reader goes on after the old stream ends: the new stream's bytes, or undefined (no switch after all). */
type NextInput = Promise<AsyncIterable<Uint8Array> | undefined>

/** A byte stream to a member whose underlying mesh stream can be replaced while in use. */
export class Tunnel implements MeshStream {
  readonly remote: DeviceId
  readonly protocol: string
  /** Times the tunnel moved to another stream. */
  switches = 0
  #output: MeshStream
  readonly #streams = new Set<MeshStream>()
  readonly #input: AsyncIterable<Uint8Array>
  /** Where the reader goes on when its current input ends (set by a switch, taken by the reader). */
  #next?: NextInput
  #busy = false
  #writeEnded = false
  #readDone = false
  #writes: Promise<unknown> = Promise.resolve()
  #error?: Error
  #closeListeners: Array<() => void> = []

  /** Wraps `stream`, whose bytes (after any handshake) are `incoming`. */
  constructor (stream: MeshStream, incoming: AsyncIterable<Uint8Array> = stream) {
    this.remote = stream.remote
    this.protocol = stream.protocol
    this.#output = stream
    this.#streams.add(stream)
    this.#input = incoming
  }

  /** Calls `listener` once both directions ended or the tunnel was torn down. */
  onClose (listener: () => void): void {
    this.#closeListeners.push(listener)
  }

  /**
   * True while a switch is under way, or done but not yet taken up by the reader (still
   * draining the old stream): another switch then would skip the stream in between.
   */
  get switching (): boolean {
    return this.#busy || this.#next !== undefined
  }

  /** True once the tunnel was torn down. */
  get failed (): boolean {
    return this.#error !== undefined
  }

  async write (data: Uint8Array, options?: AbortOptions): Promise<void> {
    await this.#serial(async () => { await this.#output.write(data, options) })
  }

  async closeWrite (options?: AbortOptions): Promise<void> {
    await this.#serial(async () => {
      if (this.#writeEnded) return
      this.#writeEnded = true
      await this.#output.closeWrite(options)
      this.#maybeClosed()
    })
  }

  abort (err: Error): void {
    this.#error ??= err
    for (const stream of this.#streams) stream.abort(err)
    this.#maybeClosed()
  }

  #maybeClosed (): void {
    if (this.#error === undefined && !(this.#readDone && this.#writeEnded)) return
    for (const listener of this.#closeListeners.splice(0)) listener()
  }

  async * [Symbol.asyncIterator] (): AsyncGenerator<Uint8Array> {
    let input: AsyncIterable<Uint8Array> | undefined = this.#input
    try {
      while (input !== undefined) {
        yield * input
        // The stream ended: the connection's half-close, unless a switch is registered.
        const next = this.#next
        this.#next = undefined
        input = next === undefined ? undefined : await next
      }
    } finally {
      this.#readDone = true
      this.#maybeClosed()
    }
  }

  /**
   * Opener's side: moves onto `stream` once `handshake` (which sends `resume` and reads the
   * answer) resolves with the new stream's bytes; undefined means the server refused and the
   * tunnel stays where it was; so does a tunnel already switching or torn down (`stream` is
   * then closed). A handshake that fails tears the tunnel down, since the server may have
   * switched already.
   */
  async switchAsOpener (stream: MeshStream, handshake: () => Promise<AsyncIterable<Uint8Array> | undefined>): Promise<boolean> {
    if (this.switching || this.#error !== undefined) {
      stream.abort(new WeftError('ABORTED', 'tunnel is already switching or closed'))
      return false
    }
    this.#busy = true
    this.#streams.add(stream)
    const next = (async () => {
      const incoming = await handshake()
      if (incoming === undefined) return undefined
      await this.#switchOutput(stream)
      return incoming
    })()
    this.#next = next
    try {
      const incoming = await next
      if (incoming === undefined) {
        if (this.#next === next) this.#next = undefined
        this.#streams.delete(stream)
        stream.abort(new WeftError('ABORTED', 'switch refused'))
        return false
      }
      this.#switched(incoming)
      return true
    } catch (err) {
      this.abort(err instanceof Error ? err : new Error(String(err)))
      return false
    } finally {
      this.#busy = false
    }
  }

  /**
   * Server's side: registers `stream` as where the opener's bytes go on (`incoming`), then
   * switches this side's output after `answer` (which sends `ok`) went out.
   */
  async switchAsServer (stream: MeshStream, incoming: AsyncIterable<Uint8Array>, answer: () => Promise<void>): Promise<void> {
    if (this.switching || this.#error !== undefined) throw new WeftError('PROTOCOL_ERROR', 'tunnel is already switching or closed')
    this.#busy = true
    this.#streams.add(stream)
    this.#next = Promise.resolve(incoming)
    try {
      await this.#serial(async () => {
        await answer()
        await this.#switchOutputLocked(stream)
      })
      this.#switched(incoming)
    } catch (err) {
      this.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    } finally {
      this.#busy = false
    }
  }

  async #switchOutput (stream: MeshStream): Promise<void> {
    await this.#serial(async () => { await this.#switchOutputLocked(stream) })
  }

  /** Ends the old output after its last byte; the new stream takes the rest (or ends at once). */
  async #switchOutputLocked (stream: MeshStream): Promise<void> {
    const old = this.#output
    this.#output = stream
    if (this.#writeEnded) await stream.closeWrite()
    else await old.closeWrite()
  }

  #switched (incoming: AsyncIterable<Uint8Array>): void {
    this.switches++
    // A reader that had already returned (the connection's half-close came before the switch)
    // never takes the new stream, which then carries nothing but its end: drain it here.
    if (this.#readDone) {
      this.#next = undefined
      void this.#drain(incoming)
    }
  }

  async #drain (incoming: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of incoming) {
        if (chunk.byteLength > 0) throw new WeftError('PROTOCOL_ERROR', 'bytes after the end of a tunnel')
      }
    } catch (err) {
      this.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Runs output operations one at a time, in order, so a switch falls between two writes. */
  async #serial (op: () => Promise<void>): Promise<void> {
    const run = this.#writes.then(async () => {
      if (this.#error !== undefined) throw this.#error
      await op()
    })
    this.#writes = run.catch(() => {})
    await run
  }
}
