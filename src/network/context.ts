/**
 * What the parts of the networks component (invites, membership replication, the reconnect
 * loop, DHT discovery) need of the service that owns them: the mesh, the device key, the log,
 * membership queries and, for the parts that change membership, the one-writer mutations.
 * Each part takes the slice it uses (a `Pick` of this), so none holds the whole NetworkService
 * and the service's file imports them without a cycle back.
 */
import type { DeviceId, NetworkId } from '../core/ids.js'
import type { Logger } from '../core/log.js'
import type { DeviceKey } from '../identity/device-key.js'
import type { Mesh } from '../net/types.js'
import type { MembershipState, NetworkRecord, SignedEntry } from './types.js'

/** The networks service as its own parts see it. */
export interface NetworkContext {
  readonly mesh: Mesh
  readonly key: DeviceKey
  readonly log: Logger
  readonly deviceName: string
  activeNetworks: () => NetworkRecord[]
  fellowDevices: () => Set<DeviceId>
  isMember: (id: NetworkId, device: DeviceId) => boolean
  state: (id: NetworkId) => MembershipState | undefined
  record: (id: NetworkId) => NetworkRecord | undefined
  /** Runs `task` after every earlier mutation finished (one writer at a time). */
  serialize: <T>(task: () => Promise<T>) => Promise<T>
  /** Stores a new or changed record and recomputes membership. */
  commit: (record: NetworkRecord, options?: { enforceGate?: boolean }) => Promise<MembershipState>
  /** Merges entries a member sent; true when anything changed. */
  absorb: (id: NetworkId, entries: SignedEntry[], addresses: Record<string, string[]>, from: DeviceId) => Promise<boolean>
  /** Takes over a record received when joining. */
  adopt: (record: NetworkRecord) => Promise<void>
  /** Tells members (and `extra`) about a network's current record. */
  announce: (id: NetworkId, extra?: DeviceId[]) => Promise<void>
}

/** What the reconnect loop uses. */
export type ConnectorContext = Pick<NetworkContext, 'mesh' | 'log' | 'activeNetworks' | 'fellowDevices'>
/** What DHT discovery uses. */
export type DiscoveryContext = Pick<NetworkContext, 'mesh' | 'log' | 'key' | 'activeNetworks' | 'isMember'>
/** What membership replication uses. */
export type ReplicationContext = Pick<NetworkContext, 'mesh' | 'log' | 'key' | 'isMember' | 'state' | 'record' | 'absorb'>
/** What the invite desk uses. */
export type InviteContext = Pick<NetworkContext, 'mesh' | 'log' | 'key' | 'deviceName' | 'isMember' | 'state' | 'record' | 'serialize' | 'commit' | 'adopt' | 'announce'>
