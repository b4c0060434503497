/**
 * Membership replication: when two members connect, and whenever a member's entry set grows,
 * it pushes its whole state (signed entries and known addresses) to the others, who merge and
 * answer with theirs. Entries are self-authenticating (signatures and membership rules are
 * checked in computeMembership), so merging is safe from any source; what is guarded is who
 * may *read* a network's state: only its members.
 */
import type { DeviceId, NetworkId } from '../core/ids.js'
import { WeftError, toWeftError } from '../core/errors.js'
import { FramedStream } from '../net/framed.js'
import type { MeshStream } from '../net/types.js'
import { entryId, verifyEntry, computeMembership } from './membership.js'
import type { NetworkRecord, SignedEntry } from './types.js'
import { errorSchema, maxAddressesPerDevice, maxEntries, membershipProtocol, parseWire, stateSchema } from './wire.js'
import type { StateMessage } from './wire.js'
import type { ReplicationContext } from './context.js'

const exchangeTimeoutMs = 15_000

/** Result of merging a peer's state into a record. */
export interface MergeResult {
  record: NetworkRecord
  newEntries: boolean
  /** The sender's own addresses changed (it moved, or reserved a relay): worth passing on. */
  senderMoved: boolean
}

/** Runs the membership protocol (push, merge, answer) for the networks service. */
export class MembershipReplicator {
  readonly #svc: ReplicationContext

  constructor (svc: ReplicationContext) {
    this.#svc = svc
  }

  async start (): Promise<void> {
    await this.#svc.mesh.handle(membershipProtocol, async (stream) => { await this.#serve(stream) }, { maxInboundStreams: 8 })
  }

  /** The state message this device sends for a network. */
  stateMessage (record: NetworkRecord): StateMessage {
    const addresses: Record<string, string[]> = { ...record.addresses, [this.#svc.key.deviceId]: this.#svc.mesh.listenAddresses().slice(0, maxAddressesPerDevice) }
    return { type: 'state', net: record.id, entries: record.entries, addresses }
  }

  /** Exchanges state with one member. */
  async push (id: NetworkId, device: DeviceId): Promise<void> {
    const record = this.#svc.record(id)
    if (record === undefined) return
    const signal = AbortSignal.timeout(exchangeTimeoutMs)
    const stream = new FramedStream(await this.#svc.mesh.openStream(device, membershipProtocol, { signal }))
    try {
      await stream.send(this.stateMessage(record), { signal })
      await stream.stream.closeWrite({ signal })
      const reply = await stream.expect({ signal })
      if ((reply as { type?: unknown }).type === 'error') {
        const err = parseWire(errorSchema, reply, 'error')
        this.#svc.log.debug({ device, code: err.code }, 'peer refused membership sync')
        return
      }
      const state = parseWire(stateSchema, reply, 'membership state')
      if (state.net !== id) throw new WeftError('PROTOCOL_ERROR', 'peer answered for another network')
      await this.#svc.absorb(id, state.entries, state.addresses, device)
    } catch (err) {
      stream.stream.abort(err as Error)
      throw err
    }
  }

  /** Pushes to every online member (and to `extra` devices, e.g. one just removed). */
  async pushToAll (id: NetworkId, extra: DeviceId[] = [], except?: DeviceId): Promise<void> {
    const state = this.#svc.state(id)
    if (state === undefined) return
    const targets = new Set([...state.members.keys(), ...extra])
    targets.delete(this.#svc.key.deviceId)
    if (except !== undefined) targets.delete(except)
    await Promise.allSettled([...targets].filter((d) => this.#svc.mesh.link(d).online).map(async (d) => { await this.push(id, d) }))
  }

  async #serve (mesh: MeshStream): Promise<void> {
    const stream = new FramedStream(mesh)
    const signal = AbortSignal.timeout(exchangeTimeoutMs)
    const message = parseWire(stateSchema, await stream.expect({ signal }), 'membership state')
    if (!this.#svc.isMember(message.net, mesh.remote)) {
      // Same answer whether the network exists or not: a stranger learns nothing.
      await stream.send({ type: 'error', code: 'NOT_MEMBER', message: 'not a member' }, { signal })
      await mesh.closeWrite({ signal })
      return
    }
    let grew = false
    try {
      grew = await this.#svc.absorb(message.net, message.entries, message.addresses, mesh.remote)
    } catch (err) {
      this.#svc.log.warn({ err: toWeftError(err), from: mesh.remote }, 'could not merge membership state')
    }
    const record = this.#svc.record(message.net)
    if (record !== undefined) await stream.send(this.stateMessage(record), { signal })
    await mesh.closeWrite({ signal })
    if (grew) void this.pushToAll(message.net, [], mesh.remote)
  }

  /** Merges a peer's entries and addresses; undefined when nothing changed. */
  merge (record: NetworkRecord, entries: SignedEntry[], addresses: Record<string, string[]>, from: DeviceId): MergeResult | undefined {
    const known = new Set(record.entries.map(entryId))
    const fresh: SignedEntry[] = []
    for (const e of entries) {
      if (e.net !== record.id) continue
      const id = entryId(e)
      if (known.has(id) || !verifyEntry(e)) continue
      known.add(id)
      fresh.push(e)
    }
    if (record.entries.length + fresh.length > maxEntries) throw new WeftError('PROTOCOL_ERROR', `network ${record.id} would exceed ${maxEntries} entries`)
    const mergedEntries = [...record.entries, ...fresh]
    const state = computeMembership(record.id, mergedEntries)
    const mergedAddresses = { ...record.addresses }
    let addressesChanged = false
    let senderMoved = false
    for (const [device, list] of Object.entries(addresses)) {
      if (device === this.#svc.key.deviceId || state?.members.has(device as DeviceId) !== true) continue
      const previous = mergedAddresses[device] ?? []
      const next = device === from ? list.slice(0, maxAddressesPerDevice) : [...new Set([...list, ...previous])].slice(0, maxAddressesPerDevice)
      if (next.join() !== previous.join()) {
        mergedAddresses[device] = next
        addressesChanged = true
        if (device === from) senderMoved = true
      }
    }
    if (fresh.length === 0 && !addressesChanged) return undefined
    return { record: { ...record, entries: mergedEntries, addresses: mergedAddresses }, newEntries: fresh.length > 0, senderMoved }
  }
}

/** Maps an error answer to a WeftError. */
export function errorFromWire (message: { code: string, message: string }): WeftError {
  const code = ['INVITE_EXPIRED', 'INVITE_EXHAUSTED', 'INVITE_REJECTED', 'NOT_MEMBER'].includes(message.code) ? message.code as 'INVITE_REJECTED' : 'PROTOCOL_ERROR'
  return new WeftError(code, message.message)
}
