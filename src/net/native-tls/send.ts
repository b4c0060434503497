/**
 * Backpressure-correct writing to a libp2p 3.x stream.
 *
 * Two pitfalls of @libp2p/utils 7.4.1 make the obvious
 * `if (!stream.send(buf)) await stream.onDrain()` loop unsafe:
 * - `onDrain()` resolves only once per stream; later calls return an already
 *   resolved promise, so the writer stops waiting and queues without bound.
 * - a stream emits 'drain' whenever its muxer can send *some* bytes (for Yamux,
 *   on every window update, however small), not when its write buffer is low,
 *   so resuming on every 'drain' still lets the buffer creep up.
 * This helper waits for fresh 'drain'/'idle' events until the stream's write
 * buffer is at or below a low-water mark.
 */
import type { Stream, StreamCloseEvent } from '@libp2p/interface'

/** Options of {@link sendWithBackpressure}. */
export interface SendOptions {
  /** Resume writing once at most this many bytes are queued (default 1 MiB). */
  lowWaterMark?: number
  /** Aborts the wait. */
  signal?: AbortSignal
}

const DEFAULT_LOW_WATER_MARK = 1024 * 1024

/**
 * Sends `data` on `stream`; if the stream asks the writer to wait, resolves
 * once its queued bytes have fallen to `lowWaterMark`. Rejects if the stream
 * closes or `signal` aborts first.
 */
export async function sendWithBackpressure (stream: Stream, data: Uint8Array, options: SendOptions = {}): Promise<void> {
  if (stream.send(data)) {
    return
  }
  const lowWaterMark = options.lowWaterMark ?? DEFAULT_LOW_WATER_MARK
  do {
    await nextWritableEvent(stream, options.signal)
  } while (stream.writeBufferLength > lowWaterMark)
}

async function nextWritableEvent (stream: Stream, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.removeEventListener('drain', onWritable)
      stream.removeEventListener('idle', onWritable)
      stream.removeEventListener('close', onClose)
      signal?.removeEventListener('abort', onAbort)
    }
    const onWritable = (): void => {
      cleanup()
      // let the stream's own drain handler flush its queue first
      queueMicrotask(resolve)
    }
    const onClose = (evt: StreamCloseEvent): void => {
      cleanup()
      reject(evt.error ?? new Error('stream closed while waiting to write'))
    }
    const onAbort = (): void => {
      cleanup()
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    stream.addEventListener('drain', onWritable)
    stream.addEventListener('idle', onWritable)
    stream.addEventListener('close', onClose)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
