/**
 * What the API and `weft syncthing ls` show of Syncthing devices: configuration, connection,
 * the peer's software (from its Hello), counters of the current connection, and the folders
 * shared with each.
 */
import type { DeviceId } from '../../../core/ids.js'
import type { BepLink, LinkStats, PeerInfo } from '../link/bep-link.js'
import type { FolderId } from '../types.js'
import type { PendingDevice } from './connections.js'
import type { SyncthingDeviceConfig } from './devices.js'

/** One Syncthing device. */
export interface SyncthingDeviceView {
  id: DeviceId
  name: string
  addresses: string[]
  connected: boolean
  /** Name and client the device gave in its Hello, its address and who dialled (while connected). */
  peer: PeerInfo | null
  /** When the current connection opened (ms since the epoch). */
  connectedAt: number | null
  /** Counters of the current connection (messages by type, index records in and out). */
  stats: LinkStats | null
  /** Folders shared with this device. */
  folders: FolderId[]
}

/** Everything about this device as a Syncthing device. */
export interface SyncthingDevicesView {
  /** This device's Syncthing device ID. */
  id: DeviceId
  /** Where the BEP listener is bound, or null when it is off. */
  listen: string | null
  devices: SyncthingDeviceView[]
  /** Devices that called but are not configured. */
  pending: PendingDevice[]
}

/** Builds the view from the configuration and the live links. */
export function syncthingDeviceViews (input: {
  id: DeviceId
  listen: string | undefined
  devices: readonly SyncthingDeviceConfig[]
  link: (device: DeviceId) => BepLink | undefined
  folders: (device: DeviceId) => FolderId[]
  pending: PendingDevice[]
}): SyncthingDevicesView {
  return {
    id: input.id,
    listen: input.listen ?? null,
    devices: input.devices.map((d) => {
      const link = input.link(d.id)
      const open = link?.open === true ? link : undefined
      return {
        id: d.id,
        name: d.name,
        addresses: [...d.addresses],
        connected: open !== undefined,
        peer: open?.peer ?? null,
        connectedAt: open?.openedAt ?? null,
        stats: open === undefined ? null : structuredClone(open.stats),
        folders: input.folders(d.id)
      }
    }),
    pending: input.pending.filter((p) => !input.devices.some((d) => d.id === p.device))
  }
}
