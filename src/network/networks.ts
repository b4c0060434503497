/**
 * The read-only port through which features see the private networks: who this device is,
 * which networks it is in, who the members are and which of them are online, names resolved,
 * and events when any of that changes. Features (sync, reach, catalog, doctor, ping) take this
 * and nothing else of `src/network/` (lint enforces it), so none of them can commit, absorb or
 * gate; NetworkService implements it, and unit tests can hand features a small fake.
 */
import type { DeviceId, NetworkId } from '../core/ids.js'
import type { Emitter } from '../core/emitter.js'
import type { MembershipState, NetworkRecord } from './types.js'
import type { MemberView, NetworkSummary } from './views.js'

export type { MembershipState, NetworkRecord } from './types.js'
export type { MemberView, NetworkSummary } from './views.js'

/** Events of the networks component. */
export interface NetworkEvents extends Record<string, unknown> {
  'network:changed': { networkId: NetworkId }
  'network:removed': { networkId: NetworkId }
  'member:online': { deviceId: DeviceId }
  'member:offline': { deviceId: DeviceId }
}

/** What features may ask of the networks component (read-only). */
export interface Networks {
  /** This device. */
  readonly deviceId: DeviceId
  /** Membership and presence changes. */
  readonly events: Emitter<NetworkEvents>
  /** Networks this device is an active member of. */
  activeNetworks: () => NetworkRecord[]
  /** Computed membership of a network, if this device has it. */
  state: (id: NetworkId) => MembershipState | undefined
  /** True when `device` is a member of the active network `id`. */
  isMember: (id: NetworkId, device: DeviceId) => boolean
  /** Every other device that shares an active network with this one. */
  fellowDevices: () => Set<DeviceId>
  /** The fellows with a live connection now. */
  onlineFellows: () => Set<DeviceId>
  /** A network by name or ID (prefix); NOT_FOUND or INVALID_ARGUMENT (ambiguous) otherwise. */
  resolve: (ref: string) => NetworkRecord
  /** Summary of one network; NOT_FOUND when unknown. */
  summary: (id: NetworkId) => NetworkSummary
  /** Members of one network (by name or ID), this device included. */
  members: (ref: string) => MemberView[]
  /** Every other member of every active network, once each. */
  peers: () => MemberView[]
}
