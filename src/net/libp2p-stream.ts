/**
 * Adapts a libp2p 3.x stream to {@link MeshStream}. Writes honour backpressure through
 * {@link sendWithBackpressure} (libp2p's own `onDrain()` resolves only once, and Yamux fires
 * `drain` on every small window update, so neither bounds the write buffer by itself).
 *
 * Reads push back too. Yamux grants the sender more window for every frame it receives, not
 * for every byte the application reads, and libp2p's own iterator queues without bound: a
 * slow reader let the writer run ahead by any amount (or, before anyone iterated, had the
 * stream reset once 4 MiB waited). Here the stream's messages go to a queue of our own from
 * the moment it is wrapped; above {@link readHighWaterMark} the stream is paused (Yamux stops
 * granting window, so the sender's writes wait) and it resumes once the reader emptied the
 * queue. The behaviour suite in src/testing/mesh-contract.ts holds this mesh and the
 * in-memory one to the same bound.
 *
 * Reads end cleanly only when the remote closed its side (a Yamux FIN). libp2p also ends a
 * stream's reads without an error when the connection under it closes, e.g. when a relay cuts
 * or drops the circuit: that becomes an error here, so a truncated stream never looks complete
 * (a forwarded TCP connection is reset, not closed). A read that fails because the other end
 * reset the stream or the connection died fails with `PEER_UNREACHABLE`, as the in-memory
 * mesh's do; an end this side aborted fails its own reads with the error it was aborted with.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import type { DeviceId } from '../core/ids.js'
import { WeftError } from '../core/errors.js'
import type { MeshStream } from './types.js'
import { sendWithBackpressure } from './native-tls/send.js'

/** Bytes read from the stream and not yet taken by the reader before the stream is paused. */
export const readHighWaterMark = 1024 * 1024

/** Wraps `stream` (opened with or by `remote`). */
export function toMeshStream (stream: Stream, remote: DeviceId): MeshStream {
  // A FIN processed before we got the stream (an inbound stream during protocol negotiation)
  // left the remote's write side closed on a stream that is still open.
  let remoteEnded = stream.remoteWriteStatus === 'closed' && stream.status === 'open'
  let abortedHere = false
  let closed = false
  let failure: Error | undefined
  const queue: Uint8Array[] = []
  let queued = 0
  let wake: (() => void) | undefined
  const notify = (): void => {
    const w = wake
    wake = undefined
    w?.()
  }
  const readable = (): boolean => stream.readStatus === 'readable' || stream.readStatus === 'paused'
  // Paused on a later microtask: pausing inside `resume()`'s own dispatch would leave Yamux
  // granting window to a stream libp2p believes paused.
  let pausing = false
  const pauseIfFull = (): void => {
    if (pausing || queued <= readHighWaterMark) return
    pausing = true
    queueMicrotask(() => {
      pausing = false
      if (queued > readHighWaterMark && stream.readStatus === 'readable') stream.pause()
    })
  }
  stream.addEventListener('message', (evt: StreamMessageEvent) => {
    // A list of buffers is queued buffer by buffer: `subarray()` would copy them into one.
    const data = evt.data
    for (const chunk of data instanceof Uint8Array ? [data] : data) {
      queue.push(chunk)
      queued += chunk.byteLength
    }
    pauseIfFull()
    notify()
  })
  stream.addEventListener('remoteCloseWrite', () => { remoteEnded = true; notify() }, { once: true })
  stream.addEventListener('close', (evt: StreamCloseEvent) => {
    closed = true
    failure ??= evt.error
    notify()
  }, { once: true })
  return {
    remote,
    protocol: stream.protocol,
    async write (data, options) {
      options?.signal?.throwIfAborted()
      if (stream.writeStatus !== 'writable') throw new WeftError('PROTOCOL_ERROR', `stream is ${stream.writeStatus}`)
      await sendWithBackpressure(stream, data, { signal: options?.signal })
    },
    async closeWrite (options) {
      await stream.close(options)
    },
    abort (err) {
      abortedHere = true
      stream.abort(err)
    },
    async * [Symbol.asyncIterator] () {
      for (;;) {
        const chunk = queue.shift()
        if (chunk !== undefined) {
          queued -= chunk.byteLength
          yield chunk
          continue
        }
        if (failure !== undefined && abortedHere) throw failure
        // The queue is empty: what the stream held back while paused comes now (synchronously).
        if (stream.readStatus === 'paused') {
          stream.resume()
          continue
        }
        // Everything up to the remote's FIN was read: the read side is complete, whatever
        // happens to the connection afterwards (a relay cut after a tunnel moved off it).
        if (remoteEnded && (stream.readBufferLength === 0 || !readable())) return
        if (failure !== undefined) {
          if (failure instanceof WeftError) throw failure
          throw new WeftError('PEER_UNREACHABLE', `the stream from the member failed: ${failure.message}`, { cause: failure })
        }
        if (closed) throw new WeftError('PEER_UNREACHABLE', 'the connection to the member closed before the stream ended')
        await new Promise<void>((resolve) => { wake = resolve })
      }
    }
  }
}
