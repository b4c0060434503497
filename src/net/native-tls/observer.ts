/**
 * Address observer on weft's TCP listener (the role STUN servers play for UDP): a client
 * that opens a plain TCP connection and proposes `/weft/observe/1.0.0` with
 * multistream-select is told the address and port its connection came from, which is how a
 * device behind a NAT learns its public mapping for one local port before a hole punch.
 * `/weft/dialback/1.0.0` asks the observer to connect back to a port of the asker's own
 * public address and say whether a weft listener answered there (is this device publicly
 * reachable?). Both are answered in one message and the socket is closed: no state, bounded
 * cost. A dial-back only ever goes to the address the request came from, at most a few at a
 * time, so an observer cannot be used to probe third parties.
 */
import * as net from 'node:net'
import { encodeMessage, readMessage, selectProtocol } from './multistream.js'
import { TLS_PROTOCOL } from './handshake.js'

/** Ask for the address the observer sees. */
export const OBSERVE_PROTOCOL = '/weft/observe/1.0.0'
/** Ask the observer to dial back a port of our public address. */
export const DIALBACK_PROTOCOL = '/weft/dialback/1.0.0'
/** Protocols the listener answers besides TLS. */
export const observerProtocols: readonly string[] = [OBSERVE_PROTOCOL, DIALBACK_PROTOCOL]

const dialbackTimeoutMs = 3000
const maxConcurrentDialbacks = 4
let dialbacksInFlight = 0

/** An IP address and port as an observer saw it. */
export interface ObservedAddress {
  host: string
  port: number
}

/** Listener side: answers an observer query on `socket` and closes it. */
export async function answerObserver (protocol: string, socket: net.Socket, signal: AbortSignal): Promise<void> {
  const host = normalizeHost(socket.remoteAddress ?? '')
  try {
    if (protocol === OBSERVE_PROTOCOL) {
      socket.end(encodeMessage(`${host}:${socket.remotePort ?? 0}`))
      return
    }
    const port = Number(await readMessage(socket, signal))
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      socket.end(encodeMessage('bad-port'))
      return
    }
    if (dialbacksInFlight >= maxConcurrentDialbacks) {
      socket.end(encodeMessage('busy'))
      return
    }
    dialbacksInFlight++
    try {
      const reachable = await probeWeftListener(host, port, AbortSignal.any([signal, AbortSignal.timeout(dialbackTimeoutMs)]))
      socket.end(encodeMessage(reachable ? 'reachable' : 'unreachable'))
    } finally {
      dialbacksInFlight--
    }
  } catch {
    socket.destroy()
  }
}

/** True when a multistream-select listener (weft's, or any libp2p TCP one) answers at host:port. */
async function probeWeftListener (host: string, port: number, signal: AbortSignal): Promise<boolean> {
  let socket: net.Socket | undefined
  try {
    socket = await connect({ host, port }, signal)
    socket.write(Buffer.concat([encodeMessage('/multistream/1.0.0'), encodeMessage(TLS_PROTOCOL)]))
    return await readMessage(socket, signal) === '/multistream/1.0.0'
  } catch {
    return false
  } finally {
    socket?.destroy()
  }
}

function normalizeHost (host: string): string {
  return host.startsWith('::ffff:') ? host.slice(7) : host
}

/** Connects a TCP socket, optionally from a given local port (reused address). */
export async function connect (target: ObservedAddress & { localPort?: number }, signal: AbortSignal): Promise<net.Socket> {
  signal.throwIfAborted()
  return await new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, localPort: target.localPort, noDelay: true, keepAlive: true })
    const done = (err?: Error): void => {
      socket.off('connect', onConnect)
      socket.off('error', onError)
      signal.removeEventListener('abort', onAbort)
      if (err === undefined) {
        resolve(socket)
      } else {
        socket.destroy()
        reject(err)
      }
    }
    const onConnect = (): void => { done() }
    const onError = (err: Error): void => { done(err) }
    const onAbort = (): void => { done(signal.reason instanceof Error ? signal.reason : new Error('aborted')) }
    socket.once('connect', onConnect)
    socket.once('error', onError)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Client side: the address `observer` sees for a connection from `localPort` (0: any). */
export async function observeAddress (observer: ObservedAddress, localPort: number, signal: AbortSignal): Promise<ObservedAddress> {
  const socket = await connect({ ...observer, localPort: localPort === 0 ? undefined : localPort }, signal)
  try {
    await selectProtocol(socket, OBSERVE_PROTOCOL, signal)
    const answer = await readMessage(socket, signal)
    const colon = answer.lastIndexOf(':')
    const port = Number(answer.slice(colon + 1))
    if (colon < 1 || !Number.isInteger(port) || port < 1 || port > 65535 || net.isIP(answer.slice(0, colon)) === 0) throw new Error(`bad observer answer "${answer.slice(0, 64)}"`)
    return { host: answer.slice(0, colon), port }
  } finally {
    socket.destroy()
  }
}

/** Client side: whether `observer` reached a weft listener at our public address on `port`. */
export async function requestDialback (observer: ObservedAddress, port: number, signal: AbortSignal): Promise<'reachable' | 'unreachable'> {
  const socket = await connect(observer, signal)
  try {
    await selectProtocol(socket, DIALBACK_PROTOCOL, signal)
    socket.write(encodeMessage(String(port)))
    const answer = await readMessage(socket, signal)
    if (answer === 'reachable' || answer === 'unreachable') return answer
    throw new Error(`observer answered "${answer.slice(0, 64)}"`)
  } finally {
    socket.destroy()
  }
}
