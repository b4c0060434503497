/**
 * Types of service reach: services a device exposes to members, and what it knows of the
 * services members expose to it.
 */
import type { DeviceId, NetworkId } from '../../core/ids.js'

/** A local service offered to the members of one network. */
export interface ExposedService {
  /** DNS label: lowercase letters, digits and '-', unique on this device. */
  name: string
  /** Local TCP (or UDP) port the service listens on. */
  port: number
  /** Local host the daemon connects to (default 127.0.0.1). */
  host: string
  network: NetworkId
  /** Members allowed to connect; empty: every member of the network. */
  allow: DeviceId[]
  udp: boolean
}

/** A service a member exposes to this device. */
export interface RemoteService {
  device: DeviceId
  deviceName: string
  name: string
  port: number
  udp: boolean
  network: NetworkId
  networkName: string
}

/** Valid service and DNS label names. */
export const serviceNamePattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
