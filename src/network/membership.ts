/**
 * Membership as a pure function of a set of signed entries. Every member holds the same set
 * after replication, so every member computes the same members, roles and removals, whatever
 * order the entries arrived in. No I/O here.
 *
 * Rules: the genesis entry founds the network (its ID is derived from the creator's key and a
 * nonce, so nobody can forge another genesis); entries apply in (clock, id) order; an add or a
 * remove counts only if its signer is an admin at that point (a device may always remove
 * itself: leaving); entries signed by a removed device before its removal count only if the
 * removal kept them; names are made unique within the network.
 */
import { createHash } from 'node:crypto'
import type { DeviceId, NetworkId } from '../core/ids.js'
import { parseDeviceId } from '../identity/device-id.js'
import { verifyByDevice } from '../identity/device-key.js'
import type { DeviceKey } from '../identity/device-key.js'
import { canonicalJson } from './canonical.js'
import type { AddEntry, EntryBody, GenesisEntry, Member, MembershipState, RemoveEntry, Role, SignedEntry } from './types.js'

/** The network ID founded by `creator` with `nonce` (hex): 16 bytes of SHA-256, as hex. */
export function deriveNetworkId (creator: DeviceId, nonce: string): NetworkId {
  const { publicKey } = parseDeviceId(creator)
  return createHash('sha256').update('weft-network-v1\0').update(publicKey).update(Buffer.from(nonce, 'hex')).digest('hex').slice(0, 32) as NetworkId
}

function signingBytes (body: EntryBody): Buffer {
  return Buffer.from(canonicalJson(body), 'utf8')
}

/** The entry's ID: hex SHA-256 over its canonical form including the signature. */
export function entryId (entry: SignedEntry): string {
  return createHash('sha256').update(canonicalJson(entry)).digest('hex')
}

/** Signs an entry body with the device key (which must be the body's `by`). */
export function signEntry<T extends EntryBody> (body: T, key: DeviceKey): T & { sig: string } {
  if (body.by !== key.deviceId) throw new Error('entry signer does not match the key')
  return { ...body, sig: Buffer.from(key.sign(signingBytes(body))).toString('base64url') }
}

/** True when the entry's signature is valid for its `by`. */
export function verifyEntry (entry: SignedEntry): boolean {
  const { sig, ...body } = entry
  return verifyByDevice(entry.by, signingBytes(body), Buffer.from(sig, 'base64url'))
}

function compareEntries (a: { e: SignedEntry, id: string }, b: { e: SignedEntry, id: string }): number {
  return a.e.clock - b.e.clock || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

function uniqueName (wanted: string, members: Map<DeviceId, Member>, self: DeviceId): string {
  const taken = new Set([...members.values()].filter((m) => m.deviceId !== self).map((m) => m.name))
  if (!taken.has(wanted)) return wanted
  for (let i = 2; ; i++) {
    const candidate = `${wanted}-${i}`
    if (!taken.has(candidate)) return candidate
  }
}

interface Pass { state: MembershipState, voided: Set<string> }

function runPass (networkId: NetworkId, genesis: { e: GenesisEntry, id: string }, rest: Array<{ e: SignedEntry, id: string }>, voided: Set<string>): Pass {
  const members = new Map<DeviceId, Member>()
  members.set(genesis.e.device, { deviceId: genesis.e.device, name: genesis.e.name, role: 'admin', addedBy: genesis.e.by, addedAt: genesis.e.at })
  const removed = new Set<DeviceId>()
  const validIds = new Set([genesis.id])
  const removals: Array<{ entry: RemoveEntry, id: string }> = []
  let clock = genesis.e.clock
  for (const item of rest) {
    const { e, id } = item
    if (voided.has(id)) continue
    const signer = members.get(e.by)
    if (e.kind === 'add') {
      if (signer?.role !== 'admin') continue
      members.set(e.device, { deviceId: e.device, name: uniqueName(e.name, members, e.device), role: e.role, addedBy: e.by, addedAt: e.at })
      removed.delete(e.device)
    } else if (e.kind === 'remove') {
      const selfRemoval = e.by === e.device && signer !== undefined
      if (signer?.role !== 'admin' && !selfRemoval) continue
      if (!members.has(e.device)) continue
      members.delete(e.device)
      removed.add(e.device)
      removals.push({ entry: e, id })
    } else {
      continue
    }
    validIds.add(id)
    clock = Math.max(clock, e.clock)
  }
  const nextVoided = new Set<string>()
  for (const removal of removals) {
    const keep = new Set(removal.entry.keep)
    for (const item of rest) {
      // Up to and including the removal's own clock: an entry signed with the same clock is not
      // ordered before the removal by anything but its hash, which the signer can grind.
      if (item.e.by === removal.entry.device && item.e.clock <= removal.entry.clock && item.id !== removal.id && !keep.has(item.id)) nextVoided.add(item.id)
    }
  }
  return {
    state: { networkId, networkName: genesis.e.networkName, creator: genesis.e.device, members, removed, clock, validIds },
    voided: nextVoided
  }
}

/**
 * Computes membership from entries. Entries with bad signatures, for another network, or
 * not founded by a valid genesis are ignored. Returns undefined when no valid genesis exists.
 */
export function computeMembership (networkId: NetworkId, entries: readonly SignedEntry[]): MembershipState | undefined {
  const verified = entries
    .filter((e) => e.net === networkId && verifyEntry(e))
    .map((e) => ({ e, id: entryId(e) }))
    .sort(compareEntries)
  const genesis = verified.find((x): x is { e: GenesisEntry & { sig: string }, id: string } =>
    x.e.kind === 'genesis' && x.e.by === x.e.device && deriveNetworkId(x.e.device, x.e.nonce) === networkId)
  if (genesis === undefined) return undefined
  const rest = verified.filter((x) => x !== genesis)
  let voided = new Set<string>()
  let pass = runPass(networkId, genesis, rest, voided)
  // Voiding an entry can change which removals count; iterate to a fixed point (bounded).
  for (let i = 0; i < 8 && !sameSet(pass.voided, voided); i++) {
    voided = pass.voided
    pass = runPass(networkId, genesis, rest, voided)
  }
  return pass.state
}

function sameSet (a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x))
}

/** Creates and signs the genesis entry of a new network. */
export function createGenesis (key: DeviceKey, deviceName: string, networkName: string, nonce: string, now = Date.now()): { networkId: NetworkId, entry: SignedEntry } {
  const networkId = deriveNetworkId(key.deviceId, nonce)
  const body: GenesisEntry = { v: 1, kind: 'genesis', net: networkId, clock: 0, by: key.deviceId, at: now, device: key.deviceId, name: deviceName, networkName, nonce }
  return { networkId, entry: signEntry(body, key) }
}

/** Creates and signs the admission of `device`. */
export function createAdd (key: DeviceKey, state: MembershipState, device: DeviceId, name: string, role: Role, now = Date.now()): SignedEntry {
  const body: AddEntry = { v: 1, kind: 'add', net: state.networkId, clock: state.clock + 1, by: key.deviceId, at: now, device, name, role }
  return signEntry(body, key)
}

/** Creates and signs the removal of `device`, keeping the entries it signed that are valid now. */
export function createRemove (key: DeviceKey, state: MembershipState, entries: readonly SignedEntry[], device: DeviceId, now = Date.now()): SignedEntry {
  const keep = entries.filter((e) => e.by === device).map(entryId).filter((id) => state.validIds.has(id)).sort()
  const body: RemoveEntry = { v: 1, kind: 'remove', net: state.networkId, clock: state.clock + 1, by: key.deviceId, at: now, device, keep }
  return signEntry(body, key)
}

/** Union of two entry sets by entry ID (signature-checked later by {@link computeMembership}). */
export function mergeEntries (a: readonly SignedEntry[], b: readonly SignedEntry[]): SignedEntry[] {
  const byId = new Map<string, SignedEntry>()
  for (const e of [...a, ...b]) byId.set(entryId(e), e)
  return [...byId.values()]
}
