/**
 * `weft doctor` (the idea of `dat doctor` and `tailscale netcheck`): what this device's
 * connectivity looks like and why. It asks two observers how the NAT maps ports and whether
 * the listener is reachable from outside, lists the relays and our reservations (with the
 * reason a relay refused), the DHT's health and the hole-punch counters, and tests the path
 * to every member: dialling those offline (bounded), then pinging each for a fresh RTT.
 */
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import type { DhtHealth, DirectStats, Mesh, MeshDiagnostics, NetCheck, PathKind, PunchStats, RelayStatus } from '../net/types.js'
import type { Networks } from '../network/networks.js'
import type { TunnelStats } from './reach/migration.js'

/** The path test of one member. */
export interface MemberPath {
  deviceId: DeviceId
  name: string
  path: PathKind | 'unreachable'
  rttMs: number | null
  /** The relay a relayed path runs through. */
  relay: DeviceId | null
  /** The relay's name, when it is a member. */
  relayName: string | null
  error?: string
}

/** A relay this device knows, with its name when it is a member. */
export interface RelayView extends RelayStatus {
  name: string | null
}

/** What `GET /api/v1/doctor` answers. */
export interface DoctorReport {
  deviceId: DeviceId
  nat: NetCheck
  relays: RelayView[]
  /** Whether this device serves as a relay for its networks' members. */
  servesRelay: boolean
  dht: { enabled: false } | ({ enabled: true } & DhtHealth)
  punch: PunchStats
  /** Direct connections (service reach to members on a LAN or direct path). */
  direct: DirectStats
  /** Forwarded connections and pipes through relays, and those moved to a direct path. */
  tunnels: TunnelStats
  members: MemberPath[]
}

const memberTestMs = 5000

/** Runs the checks. */
export class Doctor {
  readonly #mesh: Mesh
  readonly #diagnostics: MeshDiagnostics
  readonly #networks: Networks
  readonly #servesRelay: boolean
  readonly #tunnels: () => TunnelStats

  /** `mesh` tests the paths to members; `diagnostics` (usually the same mesh) answers the rest. */
  constructor (mesh: Mesh, diagnostics: MeshDiagnostics, networks: Networks, servesRelay: boolean, tunnels: () => TunnelStats = () => ({ relayed: 0, moved: 0, failed: 0 })) {
    this.#mesh = mesh
    this.#diagnostics = diagnostics
    this.#networks = networks
    this.#servesRelay = servesRelay
    this.#tunnels = tunnels
  }

  /** The full report (takes a few seconds: observers and members are asked). */
  async report (options: AbortOptions = {}): Promise<DoctorReport> {
    const diagnostics = this.#diagnostics
    const names = this.#names()
    const [nat, members] = await Promise.all([diagnostics.netCheck(options), this.#members(names)])
    const dht = diagnostics.dhtHealth()
    return {
      deviceId: this.#mesh.deviceId,
      nat,
      relays: diagnostics.relays().map((r) => ({ ...r, name: names.get(r.deviceId) ?? null })),
      servesRelay: this.#servesRelay,
      dht: dht === undefined ? { enabled: false } : { enabled: true, ...dht },
      punch: diagnostics.punchStats(),
      direct: diagnostics.directStats(),
      tunnels: this.#tunnels(),
      members
    }
  }

  /** Members' names by device ID. */
  #names (): Map<DeviceId, string> {
    return new Map(this.#networks.peers().map((p) => [p.deviceId, p.name]))
  }

  async #members (names: Map<DeviceId, string>): Promise<MemberPath[]> {
    return await Promise.all(this.#networks.peers().map(async (peer) => await this.#testMember(peer.deviceId, peer.name, names)))
  }

  async #testMember (deviceId: DeviceId, name: string, names: Map<DeviceId, string>): Promise<MemberPath> {
    if (!this.#mesh.link(deviceId).online) {
      try {
        const known = [...new Set([...this.#networks.activeNetworks().flatMap((r) => r.addresses[deviceId] ?? []), ...await this.#mesh.knownAddresses(deviceId)])]
        await this.#mesh.connect(deviceId, known, { signal: AbortSignal.timeout(memberTestMs) })
      } catch (err) {
        return { deviceId, name, path: 'unreachable', rttMs: null, relay: null, relayName: null, error: (err as Error).message }
      }
    }
    let rttMs: number | null = null
    let error: string | undefined
    try {
      rttMs = await this.#mesh.ping(deviceId, { signal: AbortSignal.timeout(memberTestMs) })
    } catch (err) {
      error = (err as Error).message
    }
    const link = this.#mesh.link(deviceId)
    if (!link.online) return { deviceId, name, path: 'unreachable', rttMs: null, relay: null, relayName: null, error: error ?? 'disconnected during the test' }
    const relay = link.relay ?? null
    return { deviceId, name, path: link.path ?? 'direct', rttMs, relay, relayName: relay === null ? null : names.get(relay) ?? null, ...(error === undefined ? {} : { error }) }
  }
}
