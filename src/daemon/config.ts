/**
 * The daemon's configuration file (`<home>/config.json`): schema, defaults and validation.
 * A file that does not match the schema stops the daemon with a message naming the field.
 */
import { hostname } from 'node:os'
import { z } from 'zod'
import { WeftError } from '../core/errors.js'
import { msDuration, secondsDuration } from '../core/duration-schema.js'
import { logLevels } from '../core/log.js'
import { readJsonFile, validateJson, writeJsonFile } from '../core/json-file.js'
import { registrationSchema } from '../features/catalog/types.js'
import { checkSwimParams, defaultSwimParams } from '../features/catalog/swim/params.js'

/** Default port of the local API and dashboard. */
export const defaultApiPort = 7557
/** Default TCP port of the peer-to-peer listener. */
export const defaultP2pPort = 7558

/** Default loopback port of the DNS server for member and service names. */
export const defaultDnsPort = 7553
/** Default loopback port of the SOCKS5 proxy. */
export const defaultSocksPort = 7555
/** The BEP port to use when Syncthing devices must call in (Syncthing's own is 22000). */
export const suggestedSyncthingPort = 22001

/** `HOST:PORT` on loopback (the reach servers never listen elsewhere), or null for off. */
const loopbackEndpoint = z.string().regex(/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]):\d{1,5}$/, 'a loopback HOST:PORT (127.x.y.z:PORT or [::1]:PORT)').nullable()

/** A multiaddr naming a peer: `/ip4/HOST/tcp/PORT/p2p/DEVICE_ID` (or /dns4, /ip6). */
const peerAddress = z.string().regex(/^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d+\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/, 'a peer address like /ip4/HOST/tcp/PORT/p2p/PEER_ID')

/** Limits of the relay this daemon serves when `enabled` (see src/net/relay/server.ts). */
const relaySchema = z.object({
  enabled: z.boolean().default(false),
  maxReservations: z.number().int().min(1).max(10_000).default(128),
  maxCircuitsPerPeer: z.number().int().min(1).max(1024).default(16),
  maxCircuitBytes: z.number().int().min(65_536).default(1024 * 1024 * 1024),
  maxCircuitSeconds: secondsDuration(z.number().int().min(10).max(86_400)).default(3600)
}).strict()

const deviceName = z.string().trim().min(1).max(64).regex(/^[^\s/]+$/, 'no spaces or slashes')

/** The settings that hold a port the daemon listens on (see src/daemon/ports.ts). */
export const portKeys = ['api.port', 'p2p.listen', 'reach.dns', 'reach.socks'] as const
/** One of {@link portKeys}. */
export type PortKey = typeof portKeys[number]

/**
 * Schema of config.json. Each default is written once, on its setting: a missing section is
 * read as `{}` (`prefault`), which fills in the defaults of the settings under it.
 */
export const configSchema = z.object({
  version: z.literal(1),
  deviceName,
  api: z.object({
    host: z.enum(['127.0.0.1', '::1', 'localhost']).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(defaultApiPort)
  }).strict().prefault({}),
  p2p: z.object({
    /** Listen addresses: TCP on every interface by default. Add `/ip4/0.0.0.0/tcp/7559/ws` for WebSockets. */
    listen: z.array(z.string().startsWith('/')).default([`/ip4/0.0.0.0/tcp/${defaultP2pPort}`, `/ip6/::/tcp/${defaultP2pPort}`]),
    announce: z.array(z.string().startsWith('/')).default([]),
    mdns: z.boolean().default(true),
    mdnsIntervalMs: msDuration(z.number().int().min(1000).max(3_600_000)).default(10_000),
    /** Bootstrap peers (DHT entry points): none by default, so weft contacts no public node unless asked. */
    bootstrap: z.array(peerAddress).default([]),
    /** Relays to hold reservations on, besides members that serve as relays. */
    relays: z.array(peerAddress).default([]),
    /** Serve as a relay for the members of this device's networks. */
    relay: relaySchema.prefault({}),
    /** DHT role: auto is server when serving as a relay, client when bootstrap peers or relays are configured, else off. */
    dht: z.enum(['auto', 'server', 'client', 'off']).default('auto'),
    /** Upgrade relayed connections to direct ones by hole punching. */
    holePunching: z.boolean().default(true)
  }).strict().prefault({}),
  reach: z.object({
    /** DNS server for DEVICE.NET.weft and NAME.svc.NET.weft. */
    dns: loopbackEndpoint.default(`127.0.0.1:${defaultDnsPort}`),
    /** SOCKS5 proxy to members' services. */
    socks: loopbackEndpoint.default(`127.0.0.1:${defaultSocksPort}`),
    /** Listen on a stable loopback address per member for each of its services. */
    stableAddresses: z.boolean().default(true)
  }).strict().prefault({}),
  log: z.object({
    level: z.enum(logLevels).default('info')
  }).strict().prefault({}),
  syncthing: z.object({
    /**
     * BEP listener for Syncthing devices (`tcp://HOST:PORT`), or null. Off by default: weft
     * dials the Syncthing devices it knows (weft syncthing add), so no port needs opening, and
     * Syncthing's own 22000 is often taken on the same machine. When Syncthing devices must call
     * in, 22001 is the documented choice (tcp://0.0.0.0:22001).
     */
    listen: z.string().regex(/^tcp[46]?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'tcp://HOST:PORT').nullable().default(null)
  }).strict().prefault({}),
  catalog: z.object({
    /** SWIM parameters (milliseconds for the `...Ms` ones, counts); unset ones take the defaults in docs/ARCHITECTURE.md. */
    gossip: z.object(Object.fromEntries(Object.keys(defaultSwimParams).map((k) => [k, (k.endsWith('Ms') ? msDuration(z.number().positive()) : z.number().positive()).optional()]))).strict()
      .superRefine((p, ctx) => {
        const problem = checkSwimParams({ ...defaultSwimParams, ...p })
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
      })
      .default({}),
    /** Services registered from the config file (as `weft catalog register` takes them). */
    services: z.array(registrationSchema).max(256).default([])
  }).strict().prefault({}),
  /**
   * Port settings whose port weft chose (at init, because nobody gave one): when that port is
   * taken at start, weft moves it to a free one and writes it here. Setting one yourself takes
   * it off this list, and a port you set that is taken stops the daemon with a message.
   */
  autoPorts: z.array(z.enum(portKeys)).default([])
}).strict()

/** A validated configuration. */
export type Config = z.infer<typeof configSchema>

/** The configuration `weft init` writes. */
export function defaultConfig (name?: string): Config {
  const fallback = hostname().replace(/[\s/]+/g, '-').slice(0, 64)
  return configSchema.parse({ version: 1, deviceName: name ?? (fallback === '' ? 'device' : fallback) })
}

/** Validates a parsed config; CONFIG_INVALID naming the field otherwise. */
export function validateConfig (value: unknown, source: string): Config {
  return validateJson(configSchema, value, source)
}

/** Reads and validates the config file; NOT_INITIALIZED if absent. */
export async function loadConfig (path: string): Promise<Config> {
  const config = await readJsonFile(path, configSchema)
  if (config === undefined) throw new WeftError('NOT_INITIALIZED', `no config at ${path}: run "weft init" first`)
  return config
}

/** Writes the config atomically (0600). */
export async function saveConfig (path: string, config: Config): Promise<void> {
  await writeJsonFile(path, config)
}

/** The DHT role `auto` stands for, given the rest of the config. */
export function dhtRole (p2p: Config['p2p'], relay: boolean): 'server' | 'client' | 'off' {
  if (p2p.dht !== 'auto') return p2p.dht
  if (relay) return 'server'
  return p2p.bootstrap.length > 0 || p2p.relays.length > 0 ? 'client' : 'off'
}

/** Splits a validated `HOST:PORT` endpoint (brackets removed from IPv6 hosts). */
export function parseEndpoint (endpoint: string): { host: string, port: number } {
  const colon = endpoint.lastIndexOf(':')
  return { host: endpoint.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(endpoint.slice(colon + 1)) }
}
