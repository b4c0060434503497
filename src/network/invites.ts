/**
 * Invites: an admin issues a code (the token is stored only as a hash, with its expiry and
 * remaining uses); the joiner presents the token to the inviter over an authenticated stream,
 * and the inviter admits it with a signed entry and hands over the network's state. Uses are
 * consumed and written to disk before the joiner hears back.
 */
import { randomBytes } from 'node:crypto'
import type { NetworkId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import { WeftError } from '../core/errors.js'
import { FramedStream } from '../net/framed.js'
import { addressFromBytes, addressToBytes, pathOfAddress } from '../net/addresses.js'
import type { MeshStream } from '../net/types.js'
import { decodeInvite, encodeInvite, hashToken } from './invite-code.js'
import { computeMembership, createAdd } from './membership.js'
import type { MembershipState, NetworkRecord, Role } from './types.js'
import type { InviteView } from './views.js'
import { errorSchema, inviteProtocol, parseWire, redeemSchema, welcomeSchema } from './wire.js'
import { errorFromWire } from './replication.js'
import type { InviteContext } from './context.js'

/** What `weft net invite` asks for. */
export interface InviteRequest {
  uses: number
  ttlSeconds: number
  role: Role
}

const redeemTimeoutMs = 20_000
const maxRedeemBytes = 4096

/** Issues and redeems invites for a the networks service. */
export class InviteDesk {
  readonly #svc: InviteContext

  constructor (svc: InviteContext) {
    this.#svc = svc
  }

  async start (): Promise<void> {
    await this.#svc.mesh.handle(inviteProtocol, async (stream) => { await this.#serve(stream) }, { maxInboundStreams: 4 })
  }

  /** Creates an invite for `record` and returns its code. */
  async issue (record: NetworkRecord, state: MembershipState, request: InviteRequest): Promise<InviteView> {
    if (!Number.isInteger(request.uses) || request.uses < 1 || request.uses > 1000) throw new WeftError('INVALID_ARGUMENT', 'uses must be a whole number from 1 to 1000')
    if (!Number.isInteger(request.ttlSeconds) || request.ttlSeconds < 1 || request.ttlSeconds > 365 * 86400) throw new WeftError('INVALID_ARGUMENT', 'ttl must be between 1 second and 365 days')
    const token = randomBytes(16)
    const now = Date.now()
    const expiresAt = Math.floor(now / 1000) + request.ttlSeconds
    await this.#svc.serialize(async () => {
      const current = this.#svc.record(record.id) ?? record
      const invites = current.invites.filter((i) => i.expiresAt * 1000 > now && i.usesLeft > 0)
      invites.push({ tokenHash: hashToken(token), role: request.role, createdAt: now, expiresAt, usesLeft: request.uses })
      await this.#svc.commit({ ...current, invites })
    })
    const rank = (a: string): number => ({ direct: 0, lan: a.includes('/127.') || a.includes('/::1/') ? 2 : 1, relay: 3 })[pathOfAddress(a)]
    const addresses = [...this.#svc.mesh.listenAddresses()].sort((a, b) => rank(a) - rank(b)).map(addressToBytes)
    const code = encodeInvite({ networkId: record.id, inviter: this.#svc.key.deviceId, token, expiresAt, addresses })
    return { code, network: state.networkName, expiresAt: expiresAt * 1000, uses: request.uses }
  }

  /** Redeems a code with its inviter; returns the joined network's ID. */
  async redeem (code: string, options: AbortOptions = {}): Promise<NetworkId> {
    const invite = decodeInvite(code)
    if (invite.expiresAt * 1000 <= Date.now()) throw new WeftError('INVITE_EXPIRED', 'this invite has expired; ask for a new one')
    if (invite.inviter === this.#svc.key.deviceId) throw new WeftError('INVALID_ARGUMENT', 'this invite was made by this device')
    if (this.#svc.isMember(invite.networkId, this.#svc.key.deviceId)) throw new WeftError('ALREADY_EXISTS', 'this device is already a member of that network')
    const addresses = invite.addresses.flatMap((b) => { try { return [addressFromBytes(b)] } catch { return [] } })
    const signal = options.signal === undefined ? AbortSignal.timeout(redeemTimeoutMs) : AbortSignal.any([options.signal, AbortSignal.timeout(redeemTimeoutMs)])
    const mesh = await this.#svc.mesh.openStream(invite.inviter, inviteProtocol, { signal, addresses })
    const stream = new FramedStream(mesh)
    await stream.send({ type: 'redeem', net: invite.networkId, token: Buffer.from(invite.token).toString('base64url'), name: this.#svc.deviceName }, { signal })
    await mesh.closeWrite({ signal })
    const reply = await stream.expect({ signal })
    if ((reply as { type?: unknown }).type === 'error') throw errorFromWire(parseWire(errorSchema, reply, 'error'))
    const welcome = parseWire(welcomeSchema, reply, 'welcome')
    const state = computeMembership(invite.networkId, welcome.entries)
    if (welcome.net !== invite.networkId || state === undefined || !state.members.has(this.#svc.key.deviceId)) {
      throw new WeftError('PROTOCOL_ERROR', 'the inviter answered with a membership that does not admit this device')
    }
    const known = { ...welcome.addresses }
    known[invite.inviter] = [...new Set([...(known[invite.inviter] ?? []), ...addresses])]
    delete known[this.#svc.key.deviceId]
    await this.#svc.adopt({ id: invite.networkId, secret: welcome.secret, entries: welcome.entries, invites: [], addresses: known })
    this.#svc.log.info({ network: invite.networkId, name: state.networkName }, 'joined network')
    return invite.networkId
  }

  async #serve (mesh: MeshStream): Promise<void> {
    const stream = new FramedStream(mesh, maxRedeemBytes)
    const signal = AbortSignal.timeout(redeemTimeoutMs)
    const request = parseWire(redeemSchema, await stream.expect({ signal }), 'invite request')
    let answer: unknown
    let admitted = false
    try {
      answer = await this.#svc.serialize(async () => {
        const result = await this.#admit(request.net, Buffer.from(request.token, 'base64url'), request.name, mesh)
        admitted = true
        return result
      })
    } catch (err) {
      const e = err instanceof WeftError ? err : new WeftError('INVITE_REJECTED', 'invite not accepted')
      answer = { type: 'error', code: e.code, message: e.message }
      this.#svc.log.info({ from: mesh.remote, code: e.code }, 'invite refused')
    }
    await stream.send(answer, { signal })
    await mesh.closeWrite({ signal })
    if (admitted) void this.#svc.announce(request.net, [mesh.remote]).catch(() => {})
  }

  async #admit (net: NetworkId, token: Uint8Array, name: string, mesh: MeshStream): Promise<unknown> {
    const record = this.#svc.record(net)
    const state = this.#svc.state(net)
    // One answer for "no such network" and "no such invite": strangers learn nothing.
    const unknown = new WeftError('INVITE_REJECTED', 'invite not recognised (revoked, or made by another device)')
    if (record === undefined || state === undefined || record.removedAt !== undefined) throw unknown
    const hash = hashToken(token)
    const invite = record.invites.find((i) => i.tokenHash === hash)
    if (invite === undefined) throw unknown
    if (state.members.get(this.#svc.key.deviceId)?.role !== 'admin') throw new WeftError('INVITE_REJECTED', 'the inviter is no longer an admin of this network')
    if (!state.members.has(mesh.remote)) {
      if (invite.expiresAt * 1000 <= Date.now()) throw new WeftError('INVITE_EXPIRED', 'this invite has expired; ask for a new one')
      if (invite.usesLeft <= 0) throw new WeftError('INVITE_EXHAUSTED', 'this invite has been used up; ask for a new one')
      const entry = createAdd(this.#svc.key, state, mesh.remote, name, invite.role)
      const invites = record.invites.map((i) => i === invite ? { ...i, usesLeft: i.usesLeft - 1 } : i)
      await this.#svc.commit({ ...record, entries: [...record.entries, entry], invites })
      this.#svc.log.info({ network: net, device: mesh.remote, name }, 'admitted a new member')
    }
    const current = this.#svc.record(net) as NetworkRecord
    return { type: 'welcome', net, secret: current.secret, entries: current.entries, addresses: { ...current.addresses, [this.#svc.key.deviceId]: this.#svc.mesh.listenAddresses() } }
  }
}
