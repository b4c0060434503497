/**
 * The relay a daemon serves when configured (`weft daemon --relay`, `p2p.relay.enabled`):
 * libp2p circuit relay v2, for fellow members only (the mesh's connection gater refuses
 * reservations from anyone else and circuits between devices that share none of our
 * networks, with PERMISSION_DENIED), with limits on reservations, circuits per peer, and
 * bytes and time per circuit. Unlike public libp2p relays (2 minutes, 128 KiB: signalling
 * only), a weft relay carries data for its own networks, since relayed is the fallback path
 * when hole punching fails; traffic through it stays end-to-end encrypted (Noise).
 */
import type { CircuitRelayServerInit } from '@libp2p/circuit-relay-v2'

/** Limits of a relay. */
export interface RelayServerOptions {
  /** Devices that may hold a reservation at once. */
  maxReservations: number
  /** Relayed connections one peer may open through us at once. */
  maxCircuitsPerPeer: number
  /** Bytes one relayed connection may carry (both directions) before it is closed. */
  maxCircuitBytes: number
  /** Seconds one relayed connection may last before it is closed (members reconnect). */
  maxCircuitSeconds: number
}

/** Circuit relay server options for these limits. */
export function relayServerInit (limits: RelayServerOptions): CircuitRelayServerInit {
  return {
    reservations: {
      maxReservations: limits.maxReservations,
      applyDefaultLimit: true,
      defaultDataLimit: BigInt(limits.maxCircuitBytes),
      defaultDurationLimit: limits.maxCircuitSeconds * 1000,
      reservationTtl: 30 * 60_000
    },
    // Hop streams are per connection, so per peer: a connect request each.
    maxInboundHopStreams: limits.maxCircuitsPerPeer,
    maxOutboundStopStreams: limits.maxReservations * limits.maxCircuitsPerPeer
  }
}
