/**
 * Read-only views of networks and members, as the API and CLI show them.
 */
import type { DeviceId, NetworkId } from '../core/ids.js'
import type { PathKind } from '../net/types.js'
import type { Role } from './types.js'

/** One network in `weft net ls`. */
export interface NetworkSummary {
  id: NetworkId
  name: string
  role: Role | 'removed'
  members: number
  online: number
  creator: DeviceId
}

/** One member in `weft net members` and `weft peers`. */
export interface MemberView {
  deviceId: DeviceId
  name: string
  role: Role
  self: boolean
  online: boolean
  path: PathKind | null
  /** For a relayed path: the relay's device ID. */
  relay: DeviceId | null
  addresses: string[]
  rttMs: number | null
  /** Last time a connection was seen open (ms since epoch), if ever since start. */
  lastSeen: number | null
  /** The weft version the member runs (what it announced when it connected; null when offline or unknown). */
  version: string | null
  /** Names of the networks this member shares with this device (in `weft peers`). */
  networks: string[]
}

/** Result of `weft net invite`. */
export interface InviteView {
  code: string
  network: string
  expiresAt: number
  uses: number
}
