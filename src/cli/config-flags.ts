/**
 * The settings flags of `weft init` and `weft daemon` (`--api-port`, `--listen`, `--relay`...):
 * which ones were given, the config they make, and which port settings they fix. `weft daemon`
 * on an existing home applies the given ones and writes them (see commands/local.ts).
 */
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import type { Config, PortKey } from '../daemon/config.js'

/** The flags, as commander gives them. */
export interface ConfigFlags { name?: string, apiPort?: string, listen?: string[], announce?: string[], mdns?: boolean, dns?: string, socks?: string, bootstrap?: string[], relays?: string[], relay?: boolean, dht?: 'auto' | 'server' | 'client' | 'off', syncthingListen?: string }

const portFlags: Array<[keyof ConfigFlags, PortKey]> = [['apiPort', 'api.port'], ['listen', 'p2p.listen'], ['dns', 'reach.dns'], ['socks', 'reach.socks']]

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

/** The port settings the flags fix. */
export function explicitPorts (flags: ConfigFlags): PortKey[] {
  return portFlags.filter(([flag]) => flags[flag] !== undefined).map(([, key]) => key)
}

function port (text: string): number {
  const n = Number(text)
  if (!/^\d{1,5}$/.test(text) || n > 65535) throw new InvalidArgumentError(`--api-port ${text}: expected a port from 0 to 65535`)
  return n
}

function endpoint (text: string | undefined, current: string | null): string | null {
  if (text === undefined) return current
  return text === 'off' ? null : text
}

/** The config with the given flags applied (the schema validates the result). */
export function applyFlags (flags: ConfigFlags): (config: Config) => Config {
  return (config) => ({
    ...config,
    deviceName: flags.name ?? config.deviceName,
    api: flags.apiPort === undefined ? config.api : { ...config.api, port: port(flags.apiPort) },
    p2p: {
      ...config.p2p,
      listen: flags.listen ?? config.p2p.listen,
      announce: flags.announce ?? config.p2p.announce,
      mdns: flags.mdns ?? config.p2p.mdns,
      bootstrap: flags.bootstrap ?? config.p2p.bootstrap,
      relays: flags.relays ?? config.p2p.relays,
      relay: { ...config.p2p.relay, enabled: flags.relay ?? config.p2p.relay.enabled },
      dht: flags.dht ?? config.p2p.dht
    },
    reach: { ...config.reach, dns: endpoint(flags.dns, config.reach.dns), socks: endpoint(flags.socks, config.reach.socks) },
    syncthing: flags.syncthingListen === undefined ? config.syncthing : { ...config.syncthing, listen: endpoint(flags.syncthingListen, config.syncthing.listen) },
    autoPorts: config.autoPorts.filter((k) => !explicitPorts(flags).includes(k))
  })
}
