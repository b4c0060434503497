/**
 * A {@link MeshStream} over one Node socket (a direct connection's TLS socket): writes wait
 * for `drain` when the socket's buffer is full, `closeWrite` half-closes, and reading yields
 * the socket's chunks as they arrive. A connection that breaks under a reader, or that this
 * side destroyed (a disconnect), fails its reads with `PEER_UNREACHABLE`, as a muxed stream's
 * do. Not yet like a muxed stream: the other side of an `abort` sees an end of data, as if
 * complete. A reset would tell it, but Node resets only TCP handles, and resetting the TCP
 * socket under a live TLSSocket crashes the process (segmentation fault, Node 20, seen
 * 2026-12-07); destroying the TLSSocket first closes the handle, so the reset never goes out.
 */
import type { Socket } from 'node:net'
import type { DeviceId } from '../core/ids.js'
import { WeftError } from '../core/errors.js'
import type { MeshStream } from './types.js'

/** Bytes held back in a corked socket before they are written anyway. */
export const maxCorkedBytes = 256 * 1024

/** Wraps `socket`, connected to `remote` for `protocol`. The socket must be half-open capable. */
export function socketMeshStream (socket: Socket, remote: DeviceId, protocol: string): MeshStream {
  // Writes made in one turn of the event loop are encrypted and sent together: the socket is
  // corked at the first and uncorked before the next turn (or once enough is held back).
  let corked = false
  let abortedWith: Error | undefined
  // Writers waiting for the socket to drain share one wait: one pair of listeners on the
  // socket however many write at once (16 Responses being served, say), not one per writer.
  let draining: Promise<void> | undefined
  const drainedShared = async (): Promise<void> => {
    draining ??= drained(socket).finally(() => { draining = undefined })
    await draining
  }
  const flush = (): void => {
    if (!corked) return
    corked = false
    socket.uncork()
  }
  return {
    remote,
    protocol,
    async write (data, options) {
      options?.signal?.throwIfAborted()
      if (socket.destroyed || socket.writableEnded) throw new WeftError('PROTOCOL_ERROR', 'stream is closed')
      if (!corked) {
        corked = true
        socket.cork()
        setImmediate(flush)
      }
      const onWritten = options?.onWritten
      if (onWritten === undefined) socket.write(data)
      else socket.write(data, () => { onWritten() })
      if (socket.writableLength < maxCorkedBytes) return
      flush()
      if (!socket.writableNeedDrain) return
      if (options?.signal === undefined) await drainedShared()
      else await drained(socket, options.signal)
      if (socket.destroyed) throw new WeftError('PROTOCOL_ERROR', 'stream closed while waiting to write')
    },
    closeWrite: async () => {
      flush()
      if (!socket.writableEnded && !socket.destroyed) socket.end()
      await Promise.resolve()
    },
    abort (err) {
      abortedWith ??= err
      socket.destroy()
    },
    async * [Symbol.asyncIterator] () {
      try {
        // Ending this loop early must not destroy the socket: the write side may still be in use.
        for await (const chunk of socket.iterator({ destroyOnReturn: false })) yield chunk as Buffer
      } catch (err) {
        if (abortedWith !== undefined) throw abortedWith
        if (err instanceof WeftError) throw err
        throw new WeftError('PEER_UNREACHABLE', `the direct connection to the member failed: ${(err as Error).message}`, { cause: err })
      }
      if (abortedWith !== undefined) throw abortedWith
      // Destroyed here (the device was disconnected) rather than ended by the other side.
      if (!socket.readableEnded) throw new WeftError('PEER_UNREACHABLE', 'the direct connection to the member closed before the stream ended')
    }
  }
}

/**
 * Resolves when `socket` drained its write buffer or closed; rejects if `signal` aborts. The
 * listeners go away with it: a bare `Promise.race` of two `once()` calls leaves the loser's
 * listeners on the socket, one pair per wait, for as long as the socket lives (and aborting
 * `once()` instead costs an exception object per wait, measurable in a bulk transfer).
 */
export async function drained (socket: Socket, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      socket.off('drain', onDone)
      socket.off('close', onDone)
      signal?.removeEventListener('abort', onAbort)
    }
    const onDone = (): void => { cleanup(); resolve() }
    const onAbort = (): void => { cleanup(); reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted')) }
    socket.on('drain', onDone)
    socket.on('close', onDone)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
