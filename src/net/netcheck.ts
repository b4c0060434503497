/**
 * What `weft doctor` asks the observers (relays and bootstrap nodes answer on their TCP
 * listeners, see native-tls/observer.ts): from one local port, which public address and
 * port does each of two observers see? The same port for both means an endpoint-independent
 * ("cone") mapping, which hole punching gets through; different ports mean an
 * endpoint-dependent ("symmetric") one, which only a relay gets through; our own address
 * means no NAT. Then one observer dials our listening port back: are we reachable from outside?
 */
import { networkInterfaces } from 'node:os'
import type { AbortOptions } from '../core/lifecycle.js'
import type { ObservedAddress } from './native-tls/observer.js'
import { observeAddress, requestDialback } from './native-tls/observer.js'
import { freeLocalPort } from './punch/simultaneous-open.js'
import type { NatMapping, NetCheck } from './types.js'

const queryTimeoutMs = 4000

/** Runs the check against `observers` (distinct hosts where possible); `listenPort` is our TCP listener's port. */
export async function netCheck (observers: ObservedAddress[], listenPort: number | undefined, options: AbortOptions = {}): Promise<NetCheck> {
  const localPort = await freeLocalPort()
  const results: NetCheck['observers'] = []
  const seen: ObservedAddress[] = []
  // One at a time, from the same local port: that is what makes the mappings comparable.
  for (const observer of observers.slice(0, 4)) {
    const address = `${observer.host}:${observer.port}`
    try {
      seen.push(await observeAddress(observer, localPort, AbortSignal.any([AbortSignal.timeout(queryTimeoutMs), ...(options.signal === undefined ? [] : [options.signal])])))
      results.push({ address })
    } catch (err) {
      results.push({ address, error: (err as Error).message })
    }
    if (seen.length === 2) break
  }
  let publiclyReachable: boolean | null = null
  const answering = observers.filter((o) => results.some((r) => r.address === `${o.host}:${o.port}` && r.error === undefined))
  if (listenPort !== undefined && answering[0] !== undefined) {
    try {
      publiclyReachable = await requestDialback(answering[0], listenPort, AbortSignal.timeout(queryTimeoutMs * 2)) === 'reachable'
    } catch { /* the observer could not try */ }
  }
  return { mapping: classify(seen, localPort), observed: [...new Set(seen.map((s) => `${s.host}:${s.port}`))], publiclyReachable, observers: results }
}

/** Classifies the mapping from what two observers saw for connections from `localPort`. */
export function classify (seen: ObservedAddress[], localPort: number, localAddresses = interfaceAddresses()): NatMapping {
  const [first, second] = seen
  if (first === undefined) return 'unknown'
  if (localAddresses.has(first.host) && first.port === localPort) return 'none'
  if (second === undefined) return 'unknown'
  return first.host === second.host && first.port === second.port ? 'endpoint-independent' : 'endpoint-dependent'
}

function interfaceAddresses (): Set<string> {
  return new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)))
}
