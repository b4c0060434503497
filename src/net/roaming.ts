/**
 * Roaming: noticing that this device moved to another network, and that a peer's old
 * connection died with its move. Node tells us nothing when an interface address goes away,
 * and a TCP connection on a vanished address fails only after minutes of retransmissions, so:
 *
 * - {@link InterfaceWatcher} polls the interface addresses once a second; when one disappears
 *   the mesh closes its connections (they ran over the old network) and redials at once;
 * - {@link checkConnection} pings over one given connection, so that when a peer reconnects
 *   from a new place, the connections it left behind are found dead and closed.
 */
import { networkInterfaces } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { Connection } from '@libp2p/interface'

const pollMs = 1000
const pingProtocol = '/ipfs/ping/1.0.0'

/** The non-internal interface addresses of this machine. */
export function currentAddresses (): Set<string> {
  return new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((i) => !i.internal).map((i) => i.address)))
}

/** Calls back when interface addresses come or go. */
export class InterfaceWatcher {
  readonly #onChange: (change: { added: string[], removed: string[] }) => void
  #known = currentAddresses()
  #timer?: NodeJS.Timeout

  constructor (onChange: (change: { added: string[], removed: string[] }) => void) {
    this.#onChange = onChange
  }

  start (): void {
    this.#timer = setInterval(() => { this.check() }, pollMs)
    this.#timer.unref()
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  /** Compares with the last poll (also callable directly, e.g. from tests). */
  check (): void {
    const now = currentAddresses()
    const added = [...now].filter((a) => !this.#known.has(a))
    const removed = [...this.#known].filter((a) => !now.has(a))
    this.#known = now
    if (added.length > 0 || removed.length > 0) this.#onChange({ added, removed })
  }
}

/** True if a ping over `connection` comes back within `timeoutMs`. */
export async function checkConnection (connection: Connection, timeoutMs: number): Promise<boolean> {
  return await pingConnection(connection, AbortSignal.timeout(timeoutMs)) !== undefined
}

/** Round trip (ms) of one ping over `connection`, or undefined if none came back before `signal`. */
export async function pingConnection (connection: Connection, signal: AbortSignal): Promise<number | undefined> {
  try {
    const stream = await connection.newStream(pingProtocol, { signal, runOnLimitedConnection: true })
    const payload = randomBytes(32)
    const started = performance.now()
    const onAbort = (): void => { stream.abort(new Error('ping timed out')) }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      stream.send(payload)
      let got = Buffer.alloc(0)
      for await (const chunk of stream) {
        got = Buffer.concat([got, chunk.subarray()])
        if (got.length >= 32) break
        signal.throwIfAborted()
      }
      return got.subarray(0, 32).equals(payload) ? performance.now() - started : undefined
    } finally {
      signal.removeEventListener('abort', onAbort)
      void stream.close().catch(() => {})
    }
  } catch {
    return undefined
  }
}
