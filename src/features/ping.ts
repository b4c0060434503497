/**
 * `weft ping DEVICE` (after `tailscale ping`): one round trip to a member over the connection
 * new streams would use, and which path that is (LAN, direct, or a relay and whose), so a
 * relayed path turning direct shows from one attempt to the next. An offline member is
 * dialled first (its known addresses, bounded), as `weft doctor` does.
 */
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import type { Mesh, PathKind } from '../net/types.js'
import type { Networks } from '../network/networks.js'

/** One attempt of `POST /api/v1/ping`. */
export interface PingResult {
  deviceId: DeviceId
  name: string
  path: PathKind
  /** For a relayed path: the relay's device ID and, when it is a member, its name. */
  relay: DeviceId | null
  relayName: string | null
  rttMs: number
  /** Remote addresses of the open connections to the device. */
  addresses: string[]
}

/** How long an offline member is dialled before the ping gives up. */
const dialMs = 5000

/** Pings members. */
export class Pinger {
  readonly #mesh: Mesh
  readonly #networks: Networks
  readonly #resolve: (ref: string) => DeviceId

  /** `resolve` turns a member name, device ID or ID prefix into a device (NOT_FOUND otherwise). */
  constructor (mesh: Mesh, networks: Networks, resolve: (ref: string) => DeviceId) {
    this.#mesh = mesh
    this.#networks = networks
    this.#resolve = resolve
  }

  /** One ping to `ref`; PEER_UNREACHABLE when it cannot be reached or does not answer. */
  async ping (ref: string, options: AbortOptions = {}): Promise<PingResult> {
    const deviceId = this.#resolve(ref)
    if (!this.#mesh.link(deviceId).online) {
      const known = [...new Set([...this.#networks.activeNetworks().flatMap((r) => r.addresses[deviceId] ?? []), ...await this.#mesh.knownAddresses(deviceId)])]
      const signal = AbortSignal.any([AbortSignal.timeout(dialMs), ...(options.signal === undefined ? [] : [options.signal])])
      await this.#mesh.connect(deviceId, known, { signal })
    }
    const rttMs = await this.#mesh.ping(deviceId, options)
    const link = this.#mesh.link(deviceId)
    const names = new Map(this.#networks.peers().map((p) => [p.deviceId, p.name]))
    const relay = link.relay ?? null
    return {
      deviceId,
      name: names.get(deviceId) ?? deviceId.slice(0, 7),
      path: link.path ?? 'direct',
      relay,
      relayName: relay === null ? null : names.get(relay) ?? null,
      rttMs,
      addresses: link.addresses
    }
  }
}
