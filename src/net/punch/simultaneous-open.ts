/**
 * The socket half of a TCP hole punch: both devices connect at once, each from a chosen local
 * port to the other's public mapping of its chosen port. Each side's outgoing SYN opens its own
 * NAT for the other's; whichever SYN arrives second finds the hole open, and TCP's simultaneous
 * open (both ends in SYN-SENT) completes the handshake. A SYN dropped by the far router is
 * retransmitted by the kernel, so the two sides need only start at about the same time.
 */
import * as net from 'node:net'
import type { ObservedAddress } from '../native-tls/observer.js'
import { connect } from '../native-tls/observer.js'

/** A free local TCP port (asked of the kernel, then released for the punch to bind). */
export async function freeLocalPort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen({ port: 0, host: '0.0.0.0', exclusive: true }, () => {
      const address = server.address()
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port)
        else reject(new Error('no port'))
      })
    })
  })
}

/**
 * Connects from `localPort` to one of `targets` until one succeeds or `signal` fires; failed
 * attempts (refused, reset, unreachable) are retried after a short pause.
 */
export async function simultaneousOpen (localPort: number, targets: ObservedAddress[], signal: AbortSignal): Promise<net.Socket> {
  let last: Error | undefined
  while (!signal.aborted) {
    for (const target of targets) {
      try {
        return await connect({ ...target, localPort }, signal)
      } catch (err) {
        last = err as Error
        if (signal.aborted) break
        await new Promise((resolve) => setTimeout(resolve, 150))
      }
    }
  }
  throw new Error(`no direct connection: ${last?.message ?? 'timed out'}`)
}
