/**
 * Ports the daemon listens on, as Syncthing treats them on first start: a port weft chose
 * (listed in `autoPorts`) that is taken moves to a free one, written to the config; a port
 * the user set that is taken stops the daemon with one line naming the port, the setting and
 * the command that changes it. The planning is pure over a {@link Probe}; {@link probeBind}
 * is the real one.
 */
import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'
import { WeftError } from '../core/errors.js'
import type { Config, PortKey } from './config.js'
import { parseEndpoint, portKeys } from './config.js'

/** One socket a setting makes the daemon bind. */
export interface Bind {
  proto: 'tcp' | 'udp'
  host: string
  port: number
}

/** One port of one setting (`p2p.listen` has one slot per distinct port among its addresses). */
export interface PortSlot {
  key: PortKey
  port: number
  binds: Bind[]
}

/** A port weft moved because it was taken. */
export interface PortMove {
  key: PortKey
  from: number
  to: number
}

/** Answers whether `bind` could be bound now: undefined when free, else the error code (EADDRINUSE, EACCES). */
export type Probe = (bind: Bind) => Promise<string | undefined>

/** Where weft looks first for a free port when a default one is taken. */
export const firstSparePort = 7560
const spareCount = 100

const listenAddress = /^\/(ip4|ip6)\/([^/]+)\/tcp\/(\d{1,5})(\/.*)?$/

/** The ports `key` makes the daemon bind under `config` (none when off, or for port 0). */
export function slotsOf (config: Config, key: PortKey): PortSlot[] {
  const endpoint = (value: string | null, proto: 'tcp' | 'udp'): PortSlot[] => {
    if (value === null) return []
    const { host, port } = parseEndpoint(value)
    return port === 0 ? [] : [{ key, port, binds: [{ proto, host, port }] }]
  }
  switch (key) {
    case 'api.port':
      return config.api.port === 0 ? [] : [{ key, port: config.api.port, binds: [{ proto: 'tcp', host: config.api.host, port: config.api.port }] }]
    case 'reach.dns':
      return endpoint(config.reach.dns, 'udp')
    case 'reach.socks':
      return endpoint(config.reach.socks, 'tcp')
    case 'p2p.listen': {
      const slots = new Map<number, PortSlot>()
      for (const address of config.p2p.listen) {
        const m = listenAddress.exec(address)
        const port = Number(m?.[3] ?? 0)
        if (m === null || port === 0) continue
        const slot = slots.get(port) ?? { key, port, binds: [] }
        slot.binds.push({ proto: 'tcp', host: m[2] ?? '', port })
        slots.set(port, slot)
      }
      return [...slots.values()]
    }
  }
}

/** `config` with `key`'s port `from` replaced by `to` (in every `p2p.listen` address that has it). */
export function withPort (config: Config, key: PortKey, from: number, to: number): Config {
  const endpoint = (value: string | null): string | null => {
    if (value === null) return null
    const { host } = parseEndpoint(value)
    return `${host.includes(':') ? `[${host}]` : host}:${to}`
  }
  switch (key) {
    case 'api.port': return { ...config, api: { ...config.api, port: to } }
    case 'reach.dns': return { ...config, reach: { ...config.reach, dns: endpoint(config.reach.dns) } }
    case 'reach.socks': return { ...config, reach: { ...config.reach, socks: endpoint(config.reach.socks) } }
    case 'p2p.listen': return {
      ...config,
      p2p: {
        ...config.p2p,
        listen: config.p2p.listen.map((a) => {
          const m = listenAddress.exec(a)
          return m !== null && Number(m[3]) === from ? `/${m[1] ?? ''}/${m[2] ?? ''}/tcp/${to}${m[4] ?? ''}` : a
        })
      }
    }
  }
}

/** The value `weft config set KEY VALUE` takes to put `key`'s port `from` at `to`. */
export function settingValue (config: Config, key: PortKey, from: number, to: number): string {
  const moved = withPort(config, key, from, to)
  switch (key) {
    case 'api.port': return String(to)
    case 'reach.dns': return moved.reach.dns ?? ''
    case 'reach.socks': return moved.reach.socks ?? ''
    case 'p2p.listen': return moved.p2p.listen.join(',')
  }
}

function allPorts (config: Config): Set<number> {
  return new Set(portKeys.flatMap((k) => slotsOf(config, k).map((s) => s.port)))
}

async function slotProblem (slot: PortSlot, probe: Probe): Promise<string | undefined> {
  for (const bind of slot.binds) {
    const problem = await probe(bind)
    if (problem !== undefined) return problem
  }
  return undefined
}

/** A free port for `slot` among the spare range, avoiding `avoid`; INTERNAL if none is. */
export async function findFreePort (slot: PortSlot, avoid: ReadonlySet<number>, probe: Probe): Promise<number> {
  for (let port = firstSparePort; port < firstSparePort + spareCount; port++) {
    if (avoid.has(port)) continue
    if (await slotProblem({ ...slot, port, binds: slot.binds.map((b) => ({ ...b, port })) }, probe) === undefined) return port
  }
  throw new WeftError('INTERNAL', `no free port for ${slot.key} between ${firstSparePort} and ${firstSparePort + spareCount - 1}`)
}

/** Moves every taken port of `keys` to a free one; returns the new config and the moves. */
export async function pickFreePorts (config: Config, keys: readonly PortKey[], probe: Probe): Promise<{ config: Config, moves: PortMove[] }> {
  let current = config
  const moves: PortMove[] = []
  for (const key of keys) {
    for (const slot of slotsOf(current, key)) {
      if (await slotProblem(slot, probe) === undefined) continue
      const to = await findFreePort(slot, allPorts(current), probe)
      current = withPort(current, key, slot.port, to)
      moves.push({ key, from: slot.port, to })
    }
  }
  return { config: current, moves }
}

/** The first slot of `keys` that cannot be bound, with why. */
export async function findTakenPort (config: Config, keys: readonly PortKey[], probe: Probe): Promise<{ slot: PortSlot, problem: string } | undefined> {
  for (const key of keys) {
    for (const slot of slotsOf(config, key)) {
      const problem = await slotProblem(slot, probe)
      if (problem !== undefined) return { slot, problem }
    }
  }
  return undefined
}

/**
 * A port weft chose was taken between the probe and the listen (say, by another daemon
 * starting at the same moment): opening the daemon again picks another.
 */
export class PortRaceError extends WeftError {
  constructor (slot: PortSlot) {
    super('PORT_IN_USE', `port ${slot.port} (${slot.key}) was taken while the daemon started`)
  }
}

/** The one-line PORT_IN_USE error for a configured port that cannot be bound. */
export async function portInUseError (config: Config, slot: PortSlot, problem: string, command: string, probe: Probe): Promise<WeftError> {
  const host = slot.binds.map((b) => b.host).join(' and ')
  const why = problem === 'EACCES' ? 'needs privileges this process lacks' : 'is in use by another program'
  const suggestion = await findFreePort(slot, allPorts(config), probe).then((to) => settingValue(config, slot.key, slot.port, to), () => 'VALUE')
  return new WeftError('PORT_IN_USE', `port ${slot.port} (${host}) ${why}; it is set by ${slot.key}: change it with "${command} config set ${slot.key} ${suggestion}"`)
}

/** The slot whose port a bind error (`listen EADDRINUSE ... HOST:PORT`) names, if any. */
export function slotOfBindError (config: Config, err: unknown): PortSlot | undefined {
  const message = err instanceof Error ? `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}` : String(err)
  const m = /EADDRINUSE[^\n]*?:(\d{1,5})(?!\d)/.exec(message)
  if (m === null) return undefined
  const port = Number(m[1])
  return portKeys.flatMap((k) => slotsOf(config, k)).find((s) => s.port === port)
}

/** Tries to bind `bind` and lets go at once. Hosts this machine lacks (no IPv6) count as free: the listener reports them. */
export const probeBind: Probe = async (bind) => {
  const verdict = (err: NodeJS.ErrnoException): string | undefined => err.code === 'EADDRINUSE' || err.code === 'EACCES' ? err.code : undefined
  if (bind.proto === 'udp') {
    const socket = createSocket({ type: bind.host.includes(':') ? 'udp6' : 'udp4' })
    return await new Promise((resolve) => {
      socket.once('error', (err) => { socket.close(); resolve(verdict(err)) })
      socket.bind({ address: bind.host, port: bind.port, exclusive: true }, () => { socket.close(() => { resolve(undefined) }) })
    })
  }
  const server = createServer()
  return await new Promise((resolve) => {
    server.once('error', (err) => { resolve(verdict(err)) })
    server.listen({ host: bind.host, port: bind.port, exclusive: true, ipv6Only: bind.host.includes(':') }, () => { server.close(() => { resolve(undefined) }) })
  })
}

/**
 * Before a start: moves the taken ports of `config.autoPorts` (and writes the config with
 * `save`), and refuses a taken port of any other setting with {@link portInUseError}.
 */
export async function settlePorts (config: Config, command: string, save: (config: Config) => Promise<void>, probe: Probe = probeBind): Promise<{ config: Config, moves: PortMove[] }> {
  const auto = portKeys.filter((k) => config.autoPorts.includes(k))
  const taken = await findTakenPort(config, portKeys.filter((k) => !auto.includes(k)), probe)
  if (taken !== undefined) throw await portInUseError(config, taken.slot, taken.problem, command, probe)
  const picked = await pickFreePorts(config, auto, probe)
  if (picked.moves.length > 0) await save(picked.config)
  return picked
}
