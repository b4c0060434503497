/**
 * Link tables: members tell each other which members of a network they are connected to, by
 * which path and with what RTT, so that a dashboard can draw the whole mesh, not only this
 * device's links. `/weft/links/1.0.0`: the asker sends `{ network }`, the answer lists this
 * device's live links to members of that network only. A device that is not a member of that
 * network (as the answerer sees it) gets an empty table, the same whether or not the network
 * exists, so nobody learns about networks or members they do not share.
 */
import { z } from 'zod'
import type { DeviceId, NetworkId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import { FramedStream } from '../net/framed.js'
import type { Mesh, MeshStream, PathKind } from '../net/types.js'

/** The link table protocol. */
export const linksProtocol = '/weft/links/1.0.0'
const maxAnswerBytes = 256 * 1024
const askTimeoutMs = 3000

/** One live link a device reports. */
export interface LinkRow {
  device: DeviceId
  path: PathKind
  rttMs: number | null
}

/** One edge of a network's mesh: `from` reported a live link to `to`. */
export interface MeshEdge {
  from: DeviceId
  to: DeviceId
  path: PathKind
  rttMs: number | null
}

/** `GET /api/v1/networks/:net/links`: every edge known, and the members that did not answer. */
export interface MeshLinksView {
  network: NetworkId
  edges: MeshEdge[]
  /** Online members whose table could not be had (old version, timeout). */
  unanswered: DeviceId[]
}

/** What link tables need from the network layer. */
export interface LinkAccess {
  /** The network's ID for an ID or name (NOT_FOUND otherwise). */
  resolveNetwork: (ref: string) => NetworkId
  /** Members of a network, this device included. */
  membersOf: (network: NetworkId) => DeviceId[]
  /** True when `device` is a member of `network` as this device sees it. */
  isMember: (network: NetworkId, device: DeviceId) => boolean
}

const request = z.object({ network: z.string().min(1).max(128) }).strict()
const answer = z.object({
  links: z.array(z.object({ device: z.string().min(1).max(128), path: z.enum(['lan', 'direct', 'relay']), rttMs: z.number().nonnegative().nullable() }).strict()).max(10_000)
}).strict()

/** Serves this device's link table and gathers members' tables. */
export class LinkTables {
  readonly #mesh: Mesh
  readonly #access: LinkAccess

  constructor (mesh: Mesh, access: LinkAccess) {
    this.#mesh = mesh
    this.#access = access
  }

  async start (): Promise<void> {
    await this.#mesh.handle(linksProtocol, async (stream) => { await this.#serve(stream) }, { maxInboundStreams: 4 })
  }

  async stop (): Promise<void> {
    await Promise.resolve()
  }

  /** This device's live links to the other members of `network`. */
  table (network: NetworkId): LinkRow[] {
    const rows: LinkRow[] = []
    for (const device of this.#access.membersOf(network)) {
      if (device === this.#mesh.deviceId) continue
      const link = this.#mesh.link(device)
      if (link.online && link.path !== undefined) rows.push({ device, path: link.path, rttMs: link.rttMs ?? null })
    }
    return rows
  }

  async #serve (stream: MeshStream): Promise<void> {
    const framed = new FramedStream(stream, 4096)
    try {
      const parsed = request.safeParse(await framed.expect({ signal: AbortSignal.timeout(askTimeoutMs) }))
      const network = parsed.success ? parsed.data.network as NetworkId : undefined
      const allowed = network !== undefined && this.#access.isMember(network, stream.remote) && this.#access.isMember(network, this.#mesh.deviceId)
      await framed.send({ links: allowed ? this.table(network) : [] })
      await stream.closeWrite()
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Asks `device` for its links within `network`; only rows about the network's members count. */
  async ask (device: DeviceId, network: NetworkId, options: AbortOptions = {}): Promise<LinkRow[]> {
    const signal = AbortSignal.any([AbortSignal.timeout(askTimeoutMs), ...(options.signal === undefined ? [] : [options.signal])])
    const stream = await this.#mesh.openStream(device, linksProtocol, { signal })
    const framed = new FramedStream(stream, maxAnswerBytes)
    try {
      await framed.send({ network }, { signal })
      await stream.closeWrite({ signal })
      const parsed = answer.parse(await framed.expect({ signal }))
      const members = new Set(this.#access.membersOf(network))
      return parsed.links.filter((l) => members.has(l.device as DeviceId) && l.device !== device).map((l) => ({ ...l, device: l.device as DeviceId }))
    } finally {
      stream.abort(new Error('done'))
    }
  }

  /** Every edge of `ref`'s mesh: this device's links and those online members report. */
  async mesh (ref: string, options: AbortOptions = {}): Promise<MeshLinksView> {
    const network = this.#access.resolveNetwork(ref)
    const self = this.#mesh.deviceId
    const edges: MeshEdge[] = this.table(network).map((row) => ({ from: self, to: row.device, path: row.path, rttMs: row.rttMs }))
    const unanswered: DeviceId[] = []
    const online = edges.map((e) => e.to)
    const tables = await Promise.all(online.map(async (device) => await this.ask(device, network, options).catch(() => undefined)))
    online.forEach((device, i) => {
      const rows = tables[i]
      if (rows === undefined) unanswered.push(device)
      else for (const row of rows) edges.push({ from: device, to: row.device, path: row.path, rttMs: row.rttMs })
    })
    return { network, edges, unanswered }
  }
}
