/**
 * Options of an embedded node ({@link createNode}) and the settings they lay over its config
 * (src/daemon/config-overlay.ts, shared with `weft init` and `weft daemon`), with a loopback
 * preset for tests and examples.
 */
import type { ConfigOverlay } from '../daemon/config-overlay.js'
import type { Logger } from '../core/log.js'

/**
 * Options of {@link createNode}: the settings of {@link ConfigOverlay} (what `weft init` and
 * `weft daemon` take as flags) plus where the node lives and logs. Every setting but `home` is
 * optional: unset ones keep what the home's `config.json` says (the defaults of `weft init` for
 * a new home). Set ones apply to this run; when the home is new they are also written to its
 * config, as `weft init` would, so the CLI and a later run see the same settings. Ports set
 * here are the application's: weft does not move them when they are taken, it fails to start
 * with a message naming the port.
 */
export interface NodeOptions extends ConfigOverlay {
  /** Directory holding the node's identity, config and data. Created (mode 0700) if it has no identity yet. */
  home: string
  /**
   * Keep everything on this machine: listen on 127.0.0.1 only, on ephemeral ports (peer-to-peer,
   * local API, DNS, SOCKS5), no mDNS, no bootstrap peers, relays or DHT. For tests and examples
   * that run several nodes side by side; options given explicitly still win over it.
   */
  loopback?: boolean
  /** A pino logger to log to instead of `<home>/weft.log` (and warnings on stderr). */
  logger?: Logger
}

/** The settings the `loopback` preset stands for. */
const loopbackPreset: ConfigOverlay = {
  listen: ['/ip4/127.0.0.1/tcp/0'],
  mdns: false,
  bootstrap: [],
  relays: [],
  dht: 'off',
  apiPort: 0,
  dns: '127.0.0.1:0',
  socks: '127.0.0.1:0'
}

/** The options that are not config settings. */
const nodeOnly = new Set(['home', 'loopback', 'logger'])

/** The settings `options` lay over the home's config: the loopback preset under the explicit ones. */
export function overlayOf (options: NodeOptions): ConfigOverlay {
  const explicit: ConfigOverlay = Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && !nodeOnly.has(k)))
  return options.loopback === true ? { ...loopbackPreset, ...explicit } : explicit
}
