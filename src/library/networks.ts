/**
 * `node.networks`: private networks, invites and members, as `weft net ...` and `weft peers`
 * offer them, over the daemon's NetworkService.
 */
import { WeftError } from '../core/errors.js'
import { parseDuration } from '../core/duration.js'
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import { createNetworkBody, inviteBody, joinBody } from '../daemon/api/schemas.js'
import { checked } from './validate.js'
import type { Mesh } from '../net/types.js'
import type { NetworkService } from '../network/service.js'
import type { InviteView, MemberView, NetworkSummary } from '../network/views.js'

/** Options of {@link Networks.invite}. */
export interface InviteOptions {
  /** How many devices may join with the code (1 to 1000, default 1). */
  uses?: number
  /** How long the code stays valid: seconds, or a duration such as `30m`, `24h`, `7d` (default 24 h). */
  ttl?: number | string
  /** Joiners become admins, who may invite and remove members (default false). */
  admin?: boolean
}

/** Networks of this node: create, invite, join, list members, remove, leave. */
export class Networks {
  readonly #service: NetworkService
  readonly #mesh: Mesh

  /** @internal Built by {@link WeftNode}. */
  constructor (service: NetworkService, mesh: Mesh) {
    this.#service = service
    this.#mesh = mesh
  }

  /**
   * Creates a network with this device as its only member and admin.
   * @param name - 1 to 64 characters, no spaces or slashes; unique among this device's networks.
   */
  async create (name: string): Promise<NetworkSummary> {
    const body = await checked(createNetworkBody, { name })
    return await this.#service.create(body.name)
  }

  /**
   * Issues a one-line invite code another device passes to {@link Networks.join} (admins only).
   * @param network - network name, ID or unique ID prefix.
   */
  async invite (network: string, options: InviteOptions = {}): Promise<InviteView> {
    const ttlSeconds = typeof options.ttl === 'string' ? parseDuration(options.ttl) : options.ttl
    const body = await checked(inviteBody, { uses: options.uses, ttlSeconds, role: options.admin === true ? 'admin' : 'member' })
    return await this.#service.invite(network, body)
  }

  /** Joins a network with an invite code: dials the inviter at the addresses in the code. */
  async join (code: string, options: AbortOptions = {}): Promise<NetworkSummary> {
    const body = await checked(joinBody, { code })
    return await this.#service.join(body.code, options)
  }

  /** Every network of this device. */
  list (): NetworkSummary[] {
    return this.#service.list()
  }

  /** Members of one network (this device included): names, roles, online, path and RTT. */
  members (network: string): MemberView[] {
    return this.#service.members(network)
  }

  /** Every other member of every network, once each, as `weft peers` lists them. */
  peers (): MemberView[] {
    return this.#service.peers()
  }

  /** Removes a member, by device ID or name (admins only); the removal reaches every member. */
  async remove (network: string, device: string): Promise<void> {
    await this.#service.remove(network, device)
  }

  /** Leaves a network: tells its members, then forgets it. */
  async leave (network: string): Promise<void> {
    await this.#service.leave(network)
  }

  /** True when this node holds a connection to `device` (a member of one of its networks). */
  isOnline (device: DeviceId): boolean {
    return this.#service.fellowDevices().has(device) && this.#mesh.link(device).online
  }

  /**
   * Resolves once `device` is online (at once if it is); rejects when `signal` aborts. Use it
   * after a join before opening a stream, or with `AbortSignal.timeout(ms)` to bound the wait.
   */
  async waitForOnline (device: DeviceId, options: AbortOptions = {}): Promise<void> {
    const { signal } = options
    signal?.throwIfAborted()
    if (this.isOnline(device)) return
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        off()
        signal?.removeEventListener('abort', onAbort)
        if (err === undefined) resolve()
        else reject(err)
      }
      const onAbort = (): void => { done(new WeftError('ABORTED', `stopped waiting for ${device} to come online`, { cause: signal?.reason })) }
      const off = this.#service.events.on('member:online', ({ deviceId }) => { if (deviceId === device) done() })
      signal?.addEventListener('abort', onAbort, { once: true })
      // It may have come online between the check above and subscribing.
      if (this.isOnline(device)) done()
    })
  }
}
