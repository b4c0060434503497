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
