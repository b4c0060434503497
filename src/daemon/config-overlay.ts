/**
 * Settings given on top of a home's config.json: the flags of `weft init` and `weft daemon`
 * (src/cli/config-flags.ts) and the options of an embedded node (src/library/options.ts) both
 * become a {@link ConfigOverlay}, laid over the config here, in one place.
 */
import type { LogLevel } from '../core/log.js'
import type { Config, PortKey } from './config.js'

/**
 * Settings to lay over a config. Every one is optional: an unset one keeps what the config
 * says. The result is validated by whoever loads or saves it (src/daemon/config.ts).
 */
export interface ConfigOverlay {
  /** Device name shown to other members (default: the host name). */
  name?: string
  /** Port of the local HTTP API and dashboard on loopback (0: any free port; default 7557). */
  apiPort?: number
  /** Peer-to-peer listen addresses (multiaddrs, default `/ip4/0.0.0.0/tcp/7558` and `/ip6/::/tcp/7558`). */
  listen?: string[]
  /** Addresses to tell others instead of the listening ones (e.g. a public address). */
  announce?: string[]
  /** Discover members on the LAN by mDNS (default true). */
  mdns?: boolean
  /** Bootstrap peers (DHT entry points) as `/ip4/HOST/tcp/PORT/p2p/ID` (default none). */
  bootstrap?: string[]
  /** Relays to hold reservations on, as `/ip4/HOST/tcp/PORT/p2p/ID`. */
  relays?: string[]
  /** Serve as a relay for the members of this device's networks. */
  relay?: boolean
  /** DHT role (default `auto`: see docs/ARCHITECTURE.md). */
  dht?: 'auto' | 'server' | 'client' | 'off'
  /** Upgrade relayed connections to direct ones by hole punching (default true). */
  holePunching?: boolean
  /** Loopback `HOST:PORT` of the DNS server for `.weft` names, or null for none (default `127.0.0.1:7553`). */
  dns?: string | null
  /** Loopback `HOST:PORT` of the SOCKS5 proxy, or null for none (default `127.0.0.1:7555`). */
  socks?: string | null
  /** `tcp://HOST:PORT` on which Syncthing devices may call in, or null for none (the default: weft dials them). */
  syncthingListen?: string | null
  /** Level of the log (`<home>/weft.log`, or an embedded node's own logger; default `info`). */
  logLevel?: LogLevel
}

/** Which overlay setting holds which port setting. */
const portSettings: ReadonlyArray<[keyof ConfigOverlay, PortKey]> = [['apiPort', 'api.port'], ['listen', 'p2p.listen'], ['dns', 'reach.dns'], ['socks', 'reach.socks']]

/** The port settings `overlay` gives: they are the user's, so weft never moves them (src/daemon/ports.ts). */
export function overlayPorts (overlay: ConfigOverlay): PortKey[] {
  return portSettings.filter(([setting]) => overlay[setting] !== undefined).map(([, key]) => key)
}

/** `value` unless it is undefined, else `current`. */
function or<T> (value: T | undefined, current: T): T {
  return value === undefined ? current : value
}

/**
 * Lays `overlay` over a config: set settings replace the config's, and the ports it gives leave
 * `autoPorts` (see {@link overlayPorts}). Not validated: the caller validates the result.
 */
export function overlayConfig (overlay: ConfigOverlay): (config: Config) => Config {
  const o = overlay
  const fixed = overlayPorts(o)
  return (config) => ({
    ...config,
    deviceName: or(o.name, config.deviceName),
    api: { ...config.api, port: or(o.apiPort, config.api.port) },
    p2p: {
      ...config.p2p,
      listen: or(o.listen, config.p2p.listen),
      announce: or(o.announce, config.p2p.announce),
      mdns: or(o.mdns, config.p2p.mdns),
      bootstrap: or(o.bootstrap, config.p2p.bootstrap),
      relays: or(o.relays, config.p2p.relays),
      relay: { ...config.p2p.relay, enabled: or(o.relay, config.p2p.relay.enabled) },
      dht: or(o.dht, config.p2p.dht),
      holePunching: or(o.holePunching, config.p2p.holePunching)
    },
    reach: { ...config.reach, dns: or(o.dns, config.reach.dns), socks: or(o.socks, config.reach.socks) },
    syncthing: { ...config.syncthing, listen: or(o.syncthingListen, config.syncthing.listen) },
    log: { ...config.log, level: or(o.logLevel, config.log.level) },
    autoPorts: config.autoPorts.filter((k) => !fixed.includes(k))
  })
}
