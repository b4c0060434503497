/**
 * What js-libp2p 3.x expects from a newer Node than 20: `Promise.withResolvers` (without it every
 * incoming connection fails with ECONNRESET) and a global `WebSocket` for the WebSockets
 * transport. Imported for its side effects before libp2p loads.
 */
import { WebSocket as WsWebSocket } from 'ws'

interface WithResolvers<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

const promiseCtor = Promise as unknown as { withResolvers?: <T>() => WithResolvers<T> }
if (typeof promiseCtor.withResolvers !== 'function') {
  promiseCtor.withResolvers = function withResolvers<T> (): WithResolvers<T> {
    let resolve!: (value: T | PromiseLike<T>) => void
    let reject!: (reason?: unknown) => void
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

const globals = globalThis as unknown as { WebSocket?: unknown }
globals.WebSocket ??= WsWebSocket
