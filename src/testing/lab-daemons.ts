/**
 * Real weft daemons on the hosts of a NAT lab (natlab.ts): each runs inside its host's
 * namespace, listens on every interface at a fixed port (there is one daemon per host), with
 * mDNS off unless asked. Torn down with {@link LabDaemons.stop} (the lab's own stop also kills
 * whatever still runs in its namespaces).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NatLab } from './natlab.js'
import { TestDaemon } from './testnet.js'
import type { PeerRow } from './testnet.js'
import { waitFor } from './wait.js'
import { peerIdOf } from '../net/peer-ids.js'
import type { DeviceId } from '../core/ids.js'

/** The TCP port lab daemons listen on. */
export const labPort = 4001

/** One daemon to start on a lab host. */
export interface LabDaemonSpec {
  /** Lab host name (and device name). */
  host: string
  /** Extra `weft init` flags (e.g. `--relay`, `--relays ...`). */
  init?: string[]
  mdns?: boolean
}

/** Daemons running in a lab. */
export interface LabDaemons {
  byHost: Map<string, TestDaemon>
  get: (host: string) => TestDaemon
  /** Initializes and starts another daemon. */
  add: (spec: LabDaemonSpec) => Promise<TestDaemon>
  stop: () => Promise<void>
}

/** The address other hosts dial `host`'s daemon at (public hosts: their internet address). */
export function labAddress (lab: NatLab, host: string, deviceId: string, second = false): string {
  const h = lab.host(host)
  return `/ip4/${second && h.secondAddress !== undefined ? h.secondAddress : h.address}/tcp/${labPort}/p2p/${peerIdOf(deviceId as DeviceId).toString()}`
}

/** Starts daemons on lab hosts (in order: later specs can name earlier daemons' addresses). */
export async function startLabDaemons (lab: NatLab, specs: LabDaemonSpec[]): Promise<LabDaemons> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-lab-'))
  const byHost = new Map<string, TestDaemon>()
  const add = async (spec: LabDaemonSpec): Promise<TestDaemon> => {
    const daemon = new TestDaemon(spec.host, join(dir, spec.host), lab.host(spec.host).wrap)
    byHost.set(spec.host, daemon)
    await daemon.init(['--listen', `/ip4/0.0.0.0/tcp/${labPort}`, ...(spec.init ?? [])], spec.mdns === true)
    await daemon.start()
    return daemon
  }
  const stop = async (): Promise<void> => {
    await Promise.allSettled([...byHost.values()].map(async (d) => await d.stop()))
    await rm(dir, { recursive: true, force: true })
  }
  try {
    for (const spec of specs) await add(spec)
  } catch (err) {
    await stop()
    throw err
  }
  return {
    byHost,
    get: (host) => {
      const d = byHost.get(host)
      if (d === undefined) throw new Error(`no daemon on ${host}`)
      return d
    },
    add,
    stop
  }
}

/**
 * Starts a relay on each of `relayHosts` (and a DHT bootstrap node on `bootstrapHost`, if
 * given) and a daemon behind each site, configured with both addresses of every relay.
 */
export async function cluster (lab: NatLab, sites: string[], relayHosts = ['pub'], bootstrapHost?: string): Promise<LabDaemons> {
  const daemons = await startLabDaemons(lab, bootstrapHost === undefined ? [] : [{ host: bootstrapHost, init: ['--dht', 'server'] }])
  try {
    const bootstrapArgs = bootstrapHost === undefined ? [] : ['--bootstrap', labAddress(lab, bootstrapHost, daemons.get(bootstrapHost).deviceId), labAddress(lab, bootstrapHost, daemons.get(bootstrapHost).deviceId, true)]
    for (const host of relayHosts) await daemons.add({ host, init: ['--relay', ...bootstrapArgs] })
    const relayArgs = relayHosts.flatMap((h) => [labAddress(lab, h, daemons.get(h).deviceId), labAddress(lab, h, daemons.get(h).deviceId, true)])
    for (const site of sites) await daemons.add({ host: site, init: ['--relays', ...relayArgs, ...bootstrapArgs] })
  } catch (err) {
    await daemons.stop()
    throw err
  }
  return daemons
}

/** `daemon`'s row for `other` in `weft peers`. */
export async function peerOf (daemon: TestDaemon, other: TestDaemon): Promise<PeerRow & { relay: string | null }> {
  const peers = await daemon.json<Array<PeerRow & { relay: string | null }>>(['peers'])
  const row = peers.find((p) => p.deviceId === other.deviceId)
  if (row === undefined) throw new Error(`${daemon.name} does not list ${other.name}`)
  return row
}

/** Waits until `daemon` is online with `other` over one of `paths`. */
export async function waitForPath (daemon: TestDaemon, other: TestDaemon, paths: string[], timeoutMs = 60_000): Promise<PeerRow> {
  return await waitFor(`${daemon.name} to reach ${other.name} by ${paths.join('|')}`, async () => {
    const row = await peerOf(daemon, other)
    return row.online && paths.includes(row.path ?? '') ? row : undefined
  }, timeoutMs, 200)
}
