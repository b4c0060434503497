/**
 * Types of private networks: members and roles, the signed membership entries that replicate
 * between members, and the record a device keeps of each network it belongs to.
 */
import type { DeviceId, NetworkId } from '../core/ids.js'

/** What a member may do: admins invite and remove; members take part. */
export type Role = 'admin' | 'member'

/** The fields every membership entry signs. */
interface EntryBase {
  v: 1
  net: NetworkId
  /** Lamport clock: one more than the highest clock the signer had seen. */
  clock: number
  /** Signer. */
  by: DeviceId
  /** Wall-clock time of signing (ms since epoch); informational only. */
  at: number
}

/** Founds the network: its creator, the network's name and the nonce its ID derives from. */
export interface GenesisEntry extends EntryBase {
  kind: 'genesis'
  device: DeviceId
  name: string
  networkName: string
  nonce: string
}

/** Admits `device` under `name` with `role`. */
export interface AddEntry extends EntryBase {
  kind: 'add'
  device: DeviceId
  name: string
  role: Role
}

/**
 * Removes `device` (by an admin, or by the device itself when it leaves). `keep` lists the
 * entries signed by the removed device that stay valid; any other entry it signed before the
 * removal is void, so a removed admin cannot back-date new admissions.
 */
export interface RemoveEntry extends EntryBase {
  kind: 'remove'
  device: DeviceId
  keep: string[]
}

/** Any unsigned membership entry. */
export type EntryBody = GenesisEntry | AddEntry | RemoveEntry

/** An entry with its Ed25519 signature by `by` (base64url). */
export type SignedEntry = EntryBody & { sig: string }

/** A member as the computed state sees it. */
export interface Member {
  deviceId: DeviceId
  name: string
  role: Role
  addedBy: DeviceId
  /** Wall-clock time of admission (ms). */
  addedAt: number
}

/** Membership computed from a set of entries. */
export interface MembershipState {
  networkId: NetworkId
  networkName: string
  creator: DeviceId
  members: Map<DeviceId, Member>
  /** Devices removed and not admitted again. */
  removed: Set<DeviceId>
  /** Highest clock among valid entries. */
  clock: number
  /** IDs of the entries that counted. */
  validIds: Set<string>
}

/** An invite this device issued, as kept by the issuer (the token itself is never stored). */
export interface IssuedInvite {
  /** Hex SHA-256 of the invite token. */
  tokenHash: string
  role: Role
  createdAt: number
  expiresAt: number
  usesLeft: number
}

/** What a device stores about one network it belongs to. */
export interface NetworkRecord {
  id: NetworkId
  /** 32-byte shared secret (hex), given to members at join; keys network-scoped discovery. */
  secret: string
  entries: SignedEntry[]
  invites: IssuedInvite[]
  /** Last known addresses of members (cached for restarts and LAN-only operation). */
  addresses: Record<string, string[]>
  /** Set when this device learned it was removed. */
  removedAt?: number
}
