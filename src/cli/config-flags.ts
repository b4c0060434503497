/**
 * The settings flags of `weft init` and `weft daemon` (`--api-port`, `--listen`, `--relay`...):
 * which ones were given, and the settings they stand for (a {@link ConfigOverlay}, laid over the
 * config by src/daemon/config-overlay.ts). `weft daemon` on an existing home applies the given
 * ones and writes them (see commands/local.ts).
 */
import type { Command } from 'commander'
import { WeftError } from '../core/errors.js'
import type { ConfigOverlay } from '../daemon/config-overlay.js'

/** The flags, as commander gives them. */
export interface ConfigFlags { name?: string, apiPort?: string, listen?: string[], announce?: string[], mdns?: boolean, dns?: string, socks?: string, bootstrap?: string[], relays?: string[], relay?: boolean, dht?: 'auto' | 'server' | 'client' | 'off', syncthingListen?: string }

/** Adds the flags to `command`. */
export function withConfigFlags (command: Command): Command {
  return command
    .option('--name <name>', 'device name shown to other members (default: host name)')
    .option('--api-port <port>', 'port of the local API (0: any free port; default 7557, or a free one near it)')
    .option('--listen <multiaddr...>', 'peer-to-peer listen addresses')
    .option('--announce <multiaddr...>', 'addresses to tell others instead of the listening ones (e.g. a public address)')
    .option('--bootstrap <multiaddr...>', 'bootstrap peers (DHT entry points), as /ip4/HOST/tcp/PORT/p2p/ID (default: none)')
    .option('--relays <multiaddr...>', 'relays to hold reservations on, as /ip4/HOST/tcp/PORT/p2p/ID')
    .option('--relay', 'serve as a relay for the members of this device\'s networks')
    .option('--dht <mode>', 'DHT role: auto, server (a public bootstrap node), client or off (default auto)')
    .option('--no-mdns', 'do not discover members on the LAN by mDNS')
    .option('--dns <host:port>', 'loopback address of the DNS server for .weft names, or off (default 127.0.0.1:7553)')
    .option('--socks <host:port>', 'loopback address of the SOCKS5 proxy, or off (default 127.0.0.1:7555)')
    .option('--syncthing-listen <tcp://host:port>', 'accept Syncthing devices on this TCP address (e.g. tcp://0.0.0.0:22001), or off (default off: weft dials them)')
}

/** Only the flags given on the command line (not commander's defaults, such as `mdns: true` for `--no-mdns`). */
export function givenFlags (command: Command, flags: ConfigFlags): ConfigFlags {
  const given: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(flags)) if (command.getOptionValueSource(k) === 'cli') given[k] = v
  return given
}

function port (text: string): number {
  const n = Number(text)
  if (!/^\d{1,5}$/.test(text) || n > 65535) throw new WeftError('INVALID_ARGUMENT', `--api-port ${text}: expected a port from 0 to 65535`)
  return n
}

/** `off` is null (none); anything else is kept for the config's schema to check. */
function endpoint (text: string | undefined): string | null | undefined {
  return text === 'off' ? null : text
}

/**
 * The settings the given flags stand for, to lay over a config with the daemon's
 * `overlayConfig` (src/daemon/config-overlay.ts, which also fixes the ports they give). A malformed `--api-port` is
 * refused here with INVALID_ARGUMENT; the other values are checked by the config's schema.
 */
export function overlayOfFlags (flags: ConfigFlags): ConfigOverlay {
  const overlay: ConfigOverlay = {
    name: flags.name,
    apiPort: flags.apiPort === undefined ? undefined : port(flags.apiPort),
    listen: flags.listen,
    announce: flags.announce,
    mdns: flags.mdns,
    bootstrap: flags.bootstrap,
    relays: flags.relays,
    relay: flags.relay,
    dht: flags.dht,
    dns: endpoint(flags.dns),
    socks: endpoint(flags.socks),
    syncthingListen: endpoint(flags.syncthingListen)
  }
  return Object.fromEntries(Object.entries(overlay).filter(([, v]) => v !== undefined))
}
