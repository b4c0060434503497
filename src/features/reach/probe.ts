/**
 * Whether something accepts TCP connections at a local address: asked when a service is
 * exposed, so that `weft expose PORT` with nothing listening says so instead of being
 * accepted in silence.
 */
import { connect } from 'node:net'

/** Resolves true when a TCP connection to `host:port` opens within `timeoutMs`. */
export async function acceptsTcp (host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean): void => { clearTimeout(timer); socket.destroy(); resolve(ok) }
    const timer = setTimeout(() => { done(false) }, timeoutMs)
    socket.once('connect', () => { done(true) })
    socket.once('error', () => { done(false) })
  })
}
