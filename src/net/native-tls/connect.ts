/**
 * Opens a TCP socket (noDelay, keepAlive) honouring an AbortSignal: what the transport's dials
 * and direct connections share.
 */
import * as net from 'node:net'
import { AbortError } from '@libp2p/interface'

/** Connects to `host:port`; rejects with the socket's error, or an AbortError when `signal` aborts. */
export async function connectTcp (host: string, port: number, signal: AbortSignal, options: { allowHalfOpen?: boolean } = {}): Promise<net.Socket> {
  signal.throwIfAborted()
  return await new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true, keepAlive: true, allowHalfOpen: options.allowHalfOpen === true })
    const done = (err?: Error): void => {
      socket.off('connect', onConnect)
      socket.off('error', onError)
      signal.removeEventListener('abort', onAbort)
      if (err != null) {
        socket.destroy()
        reject(err)
      } else {
        resolve(socket)
      }
    }
    const onConnect = (): void => { done() }
    const onError = (err: Error): void => { done(err) }
    const onAbort = (): void => { done(new AbortError()) }
    socket.once('connect', onConnect)
    socket.once('error', onError)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
