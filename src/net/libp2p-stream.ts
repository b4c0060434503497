/**
 * Adapts a libp2p 3.x stream to {@link MeshStream}. Writes honour backpressure through
 * {@link sendWithBackpressure} (libp2p's own `onDrain()` resolves only once, and Yamux fires
 * `drain` on every small window update, so neither bounds the write buffer by itself).
 *
 * Reads end cleanly only when the remote closed its side (a Yamux FIN). libp2p also ends a
 * stream's reads without an error when the connection under it closes, e.g. when a relay cuts
 * or drops the circuit: that becomes an error here, so a truncated stream never looks complete
 * (a forwarded TCP connection is reset, not closed).
 */
import type { Stream } from '@libp2p/interface'
import type { DeviceId } from '../core/ids.js'
import { WeftError } from '../core/errors.js'
import type { MeshStream } from './types.js'
import { sendWithBackpressure } from './native-tls/send.js'

/** Wraps `stream` (opened with or by `remote`). */
export function toMeshStream (stream: Stream, remote: DeviceId): MeshStream {
  // A FIN processed before we got the stream (an inbound stream during protocol negotiation)
  // left the remote's write side closed on a stream that is still open.
  let remoteEnded = stream.remoteWriteStatus === 'closed' && stream.status === 'open'
  stream.addEventListener('remoteCloseWrite', () => { remoteEnded = true }, { once: true })
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
      stream.abort(err)
    },
    async * [Symbol.asyncIterator] () {
      for await (const chunk of stream) {
        // A list of buffers is yielded buffer by buffer: `subarray()` would copy them into one.
        if (chunk instanceof Uint8Array) yield chunk
        else yield * chunk
      }
      if (!remoteEnded) throw new WeftError('PEER_UNREACHABLE', 'the connection to the member closed before the stream ended')
    }
  }
}
