/**
 * Adapts a libp2p 3.x stream to {@link MeshStream}. Writes wait for a fresh `drain` event
 * when the stream's buffer is full (`onDrain()` in @libp2p/utils 7.4.1 resolves only once,
 * so it cannot be used in a loop).
 */
import type { Stream } from '@libp2p/interface'
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import { WeftError } from '../core/errors.js'
import type { MeshStream } from './types.js'

async function waitForDrain (stream: Stream, options?: AbortOptions): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.removeEventListener('drain', onDrain)
      stream.removeEventListener('close', onClose)
      options?.signal?.removeEventListener('abort', onAbort)
    }
    const onDrain = (): void => { cleanup(); resolve() }
    const onClose = (): void => { cleanup(); reject(new WeftError('PROTOCOL_ERROR', 'stream closed while writing')) }
    const onAbort = (): void => { cleanup(); reject(new WeftError('ABORTED', 'write aborted')) }
    stream.addEventListener('drain', onDrain)
    stream.addEventListener('close', onClose)
    options?.signal?.addEventListener('abort', onAbort)
  })
}

/** Wraps `stream` (opened with or by `remote`). */
export function toMeshStream (stream: Stream, remote: DeviceId): MeshStream {
  return {
    remote,
    protocol: stream.protocol,
    async write (data, options) {
      options?.signal?.throwIfAborted()
      if (stream.writeStatus !== 'writable') throw new WeftError('PROTOCOL_ERROR', `stream is ${stream.writeStatus}`)
      if (!stream.send(data)) await waitForDrain(stream, options)
    },
    async closeWrite (options) {
      await stream.close(options)
    },
    abort (err) {
      stream.abort(err)
    },
    async * [Symbol.asyncIterator] () {
      for await (const chunk of stream) {
        yield chunk instanceof Uint8Array ? chunk : chunk.subarray()
      }
    }
  }
}
