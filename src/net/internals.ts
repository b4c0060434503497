/**
 * The few js-libp2p internals weft's relay keeper and hole puncher reach into, in one place
 * so an upgrade has one file to re-check (libp2p 3.3.11, @libp2p/circuit-relay-v2 4.2.13,
 * both pinned): the node's components (address manager, transport manager, upgrader), the
 * circuit transport's reservation store, and our own native-TLS transport instance.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { WeftError } from '../core/errors.js'
import type { NativeTlsTcp } from './native-tls/transport.js'

/** What a circuit-relay reservation looks like to us. */
export interface RelayReservationInfo {
  /** Expiry, seconds since the epoch. */
  expire: bigint
  limit?: { duration?: number, data?: bigint }
}

/** The reservation store of `@libp2p/circuit-relay-v2`'s transport (client side). */
export interface ReservationStoreLike {
  addRelay: (peer: PeerId, type: 'configured' | 'discovered') => Promise<{ relay: PeerId, details: { reservation: RelayReservationInfo } }>
  hasReservation: (peer: PeerId) => boolean
  addEventListener: (type: 'relay:removed', listener: (evt: CustomEvent<{ relay: PeerId }>) => void) => void
  removeEventListener: (type: 'relay:removed', listener: (evt: CustomEvent<{ relay: PeerId }>) => void) => void
}

/** The node internals weft uses. */
export interface NodeInternals {
  addressManager: {
    confirmObservedAddr: (addr: Multiaddr, options?: { type?: 'transport' | 'observed' | 'ip-mapping' | 'dns-mapping', ttl?: number }) => void
    removeObservedAddr: (addr: Multiaddr) => void
    getAddressesWithMetadata: () => Array<{ multiaddr: Multiaddr, verified: boolean, type: string }>
  }
  reservationStore: ReservationStoreLike
  tcp: NativeTlsTcp
}

interface TransportLike {
  [Symbol.toStringTag]?: string
  reservationStore?: ReservationStoreLike
}

/** Finds the internals in a started node; INTERNAL if the libp2p version moved them. */
export function nodeInternals (node: Libp2p): NodeInternals {
  const components = (node as unknown as { components?: { addressManager?: NodeInternals['addressManager'], transportManager?: { getTransports: () => TransportLike[] } } }).components
  const transports = components?.transportManager?.getTransports() ?? []
  const circuit = transports.find((t) => t[Symbol.toStringTag] === '@libp2p/circuit-relay-v2-transport')
  const tcp = transports.find((t) => t[Symbol.toStringTag] === '@weft/native-tls-tcp') as unknown as NativeTlsTcp | undefined
  if (components?.addressManager === undefined || circuit?.reservationStore === undefined || tcp === undefined) {
    throw new WeftError('INTERNAL', 'libp2p internals not where weft expects them (check src/net/internals.ts against the libp2p version)')
  }
  return { addressManager: components.addressManager, reservationStore: circuit.reservationStore, tcp }
}
