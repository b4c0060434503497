/**
 * Joins a TCP socket and a mesh stream: bytes flow both ways with backpressure on each side
 * (the mesh write is awaited; the socket write waits for `drain`), half-closes are passed on,
 * and an error on either side tears both down: the stream is aborted and the socket reset
 * (RST), so the program at the socket sees a failed connection, never an end that passes for
 * a complete one (a plain `destroy()` would send FIN).
 */
import type { Socket } from 'node:net'
import type { MeshStream } from '../../net/types.js'
import { drained } from '../../net/socket-stream.js'

/** Bytes held back in a corked socket before they are written anyway. */
const maxCorkedBytes = 256 * 1024

/** Copies until both directions ended; never rejects. `incoming` defaults to the stream itself. */
export async function splice (socket: Socket, stream: MeshStream, incoming: AsyncIterable<Uint8Array> = stream): Promise<void> {
  const fail = (err: unknown): void => {
    const e = err instanceof Error ? err : new Error(String(err))
    stream.abort(e)
    resetSocket(socket)
  }
  const up = (async () => {
    // The default iterator destroys the socket when the read side ends, which would cut off
    // the other direction of a half-closed connection.
    for await (const chunk of socket.iterator({ destroyOnReturn: false })) await stream.write(chunk as Buffer)
    await stream.closeWrite()
  })()
  const down = (async () => {
    // Chunks that arrive in one turn of the event loop (a TLS socket yields 16 KiB records)
    // go out in one writev: the socket is corked at the first and uncorked before the next turn.
    let corked = false
    const flush = (): void => {
      if (!corked) return
      corked = false
      socket.uncork()
    }
    for await (const chunk of incoming) {
      if (socket.destroyed) throw new Error('socket closed')
      if (!corked) {
        corked = true
        socket.cork()
        setImmediate(flush)
      }
      socket.write(chunk)
      if (socket.writableLength >= maxCorkedBytes) {
        flush()
        if (socket.writableNeedDrain) await drained(socket)
      }
    }
    flush()
    socket.end()
  })()
  // The first failure tears both down at once, so the other direction cannot hang.
  await Promise.allSettled([up.catch(fail), down.catch(fail)])
}

/** Closes `socket` with a TCP RST (a failure the other end cannot take for a clean close). */
export function resetSocket (socket: Socket): void {
  if (socket.destroyed) return
  // resetAndDestroy() errors the socket when it has no TCP handle; that error is expected here.
  socket.on('error', () => {})
  if (socket.connecting || socket.readyState !== 'closed') socket.resetAndDestroy()
  else socket.destroy()
}
