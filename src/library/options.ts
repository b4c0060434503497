/**
 * Options of an embedded node ({@link createNode}) and how they turn into a daemon config:
 * the same settings `weft init` and `weft daemon` take as flags, plus a loopback preset for
 * tests and examples.
 */
import type { Config } from '../daemon/config.js'
import type { Logger, LogLevel } from '../core/log.js'

/**
 * Options of {@link createNode}. Every setting but `home` is optional: unset ones keep what
 * the home's `config.json` says (the defaults of `weft init` for a new home). Set ones apply
 * to this run; when the home is new they are also written to its config, as `weft init`
 * would, so the CLI and a later run see the same settings.
 */
export interface NodeOptions {
  /** Directory holding the node's identity, config and data. Created (mode 0700) if it has no identity yet. */
  home: string
  /** Device name shown to other members (default: the host name). */
  name?: string
  /**
   * Keep everything on this machine: listen on 127.0.0.1 only, on ephemeral ports (peer-to-peer,
   * local API, DNS, SOCKS5), no mDNS, no bootstrap peers, relays or DHT. For tests and examples
   * that run several nodes side by side; options given explicitly still win over it.
   */
  loopback?: boolean
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
  /** Port of the local HTTP API and dashboard on loopback (0: any free port; default 7557). */
  apiPort?: number
  /** Loopback `HOST:PORT` of the DNS server for `.weft` names, or null for none (default `127.0.0.1:7553`). */
  dns?: string | null
  /** Loopback `HOST:PORT` of the SOCKS5 proxy, or null for none (default `127.0.0.1:7555`). */
  socks?: string | null
  /** Level of the node's log (`<home>/weft.log` unless `logger` is given; default `info`). */
  logLevel?: LogLevel
  /** A pino logger to log to instead of `<home>/weft.log` (and warnings on stderr). */
  logger?: Logger
}

/** The settings the `loopback` preset stands for. */
const loopbackPreset: Partial<NodeOptions> = {
  listen: ['/ip4/127.0.0.1/tcp/0'],
  mdns: false,
  bootstrap: [],
  relays: [],
  dht: 'off',
  apiPort: 0,
  dns: '127.0.0.1:0',
  socks: '127.0.0.1:0'
}

/** The options with the loopback preset expanded under the explicit ones. */
function effective (options: NodeOptions): NodeOptions {
  if (options.loopback !== true) return options
  const explicit = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
  return { ...loopbackPreset, ...explicit } as NodeOptions
}

/** Turns options into a change of the config (validated by the caller). */
export function configureFrom (options: NodeOptions): (config: Config) => Config {
  const o = effective(options)
  return (config) => ({
    ...config,
    deviceName: o.name ?? config.deviceName,
    api: o.apiPort === undefined ? config.api : { ...config.api, port: o.apiPort },
    p2p: {
      ...config.p2p,
      listen: o.listen ?? config.p2p.listen,
      announce: o.announce ?? config.p2p.announce,
      mdns: o.mdns ?? config.p2p.mdns,
      bootstrap: o.bootstrap ?? config.p2p.bootstrap,
      relays: o.relays ?? config.p2p.relays,
      relay: o.relay === undefined ? config.p2p.relay : { ...config.p2p.relay, enabled: o.relay },
      dht: o.dht ?? config.p2p.dht,
      holePunching: o.holePunching ?? config.p2p.holePunching
    },
    reach: {
      ...config.reach,
      dns: o.dns === undefined ? config.reach.dns : o.dns,
      socks: o.socks === undefined ? config.reach.socks : o.socks
    },
    log: o.logLevel === undefined ? config.log : { ...config.log, level: o.logLevel }
  })
}
