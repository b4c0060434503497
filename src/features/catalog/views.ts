/**
 * Reading the catalog: member records out of the replicated map, turned into instance
 * views with their device's gossip state, filtered by name, tag and health; and the
 * healthy instances as the DNS server answers them.
 */
import type { DeviceId, NetworkId } from '../../core/ids.js'
import type { Entry } from './store.js'
import { nodeKeyPrefix, nodeRecordSchema } from './types.js'
import type { InstanceView } from './types.js'
import type { MemberState } from './swim/types.js'

/** Filters of a catalog query. */
export interface CatalogQuery {
  name?: string
  tag?: string
  /** `healthy` (default for DNS), a status, or `any` (default). */
  health?: 'any' | 'healthy' | 'passing' | 'warning' | 'critical'
}

/** What building views needs to know about a network. */
export interface NetworkContext {
  id: NetworkId
  name: string
  self: DeviceId
  isMember: (device: DeviceId) => boolean
  stateOf: (device: DeviceId) => MemberState | undefined
}

/** Instances published in a network's member records, filtered by `q`. */
export function instances (records: Entry[], net: NetworkContext, q: CatalogQuery = {}): InstanceView[] {
  const out: InstanceView[] = []
  for (const e of records) {
    if (!e.key.startsWith(nodeKeyPrefix) || e.value === null) continue
    const device = e.key.slice(nodeKeyPrefix.length) as DeviceId
    if (!net.isMember(device)) continue
    let record
    try {
      record = nodeRecordSchema.parse(JSON.parse(e.value.toString('utf8')))
    } catch {
      continue
    }
    const memberState = device === net.self ? 'alive' : net.stateOf(device) ?? 'unknown'
    const reachable = memberState === 'alive' || memberState === 'suspect'
    for (const s of record.services) {
      const view: InstanceView = { ...s, device, deviceName: record.name, network: net.id, networkName: net.name, memberState, healthy: reachable && s.status === 'passing' }
      if (q.name !== undefined && s.name !== q.name) continue
      if (q.tag !== undefined && !s.tags.includes(q.tag)) continue
      const h = q.health ?? 'any'
      if (h === 'healthy' && !view.healthy) continue
      if (h !== 'any' && h !== 'healthy' && s.status !== h) continue
      out.push(view)
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.deviceName.localeCompare(b.deviceName))
}
