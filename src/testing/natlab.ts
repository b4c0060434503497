/**
 * A simulated internet in network namespaces, for tests of reach across NATs: an "internet"
 * bridge on a range libp2p treats as public (nothing routes out of the lab, so any range is
 * safe), public hosts on it, and sites: a home router (nftables masquerade, cone or symmetric,
 * dropping unsolicited inbound packets like real CPE) with one or more hosts on its LAN.
 * Every namespace carries a per-lab prefix (pid + random) so two runs can share a machine;
 * `stop()` kills what runs inside and deletes them, and an exit hook does the same if a test
 * process dies first. Adapted from the reference lab's ideas (nat-lab.sh), not its code.
 *
 * ```
 *              [P-inet] bridge br0 11.0.0.1/24 ("the internet")
 *            /          |              \
 *   [P-pub0] 11.0.0.10  [P-rt0] 11.0.0.50   [P-rt1] 11.0.0.51      public hosts, site routers (NAT)
 *     + .110 (2nd IP)     | 10.0.1.1/24       | 10.0.2.1/24
 *                       [P-A] 10.0.1.2      [P-B] 10.0.2.2          hosts behind the NATs
 * ```
 */
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { netnsUnavailable } from './netns.js'

/** NAT mapping behaviour of a site router. */
export type NatMode =
  /** Endpoint-independent mapping, port preserved (`masquerade`): a "port-restricted cone". */
  | 'cone'
  /** A new random public port per destination (`masquerade fully-random`). */
  | 'symmetric'

/** The lab internet's /24 (public as far as libp2p's private-range list goes). */
export const labInternet = '11.0.0'
const namePrefix = 'weft-lab-'

/** One site: a router doing NAT and the hosts on its LAN. */
export interface SiteOptions {
  /** Site name (letters/digits, short). */
  name: string
  nat: NatMode
  /** Host names on the LAN (default: one host named like the site). */
  hosts?: string[]
}

/** Options of {@link createNatLab}. */
export interface NatLabOptions {
  /** Public hosts on the internet (e.g. a relay, a bootstrap node). */
  publicHosts?: string[]
  sites?: SiteOptions[]
}

/** A machine of the lab. */
export interface LabHost {
  name: string
  /** Namespace name. */
  ns: string
  /** Command prefix to run inside it (for startTestnet's `wrap`). */
  wrap: string[]
  /** Its (first) IPv4 address. */
  address: string
  /** Second public address (public hosts only), so a client can see how its NAT maps. */
  secondAddress?: string
  /** Site name, for hosts behind a router. */
  site?: string
}

/** A running lab. */
export interface NatLab {
  /** Namespace prefix of this lab. */
  prefix: string
  hosts: Map<string, LabHost>
  /** The host named `name` (throws if none). */
  host: (name: string) => LabHost
  /** Switches a site router's NAT mode for new flows (established ones keep their mapping). */
  setNat: (site: string, mode: NatMode) => Promise<void>
  /** Moves a host to another site's LAN: new link, new address (roaming). Returns the new address. */
  moveHost: (host: string, site: string) => Promise<string>
  /** Kills every process inside the lab and deletes its namespaces (idempotent). */
  stop: () => Promise<void>
}

async function run (command: string, args: string[], input?: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout)
      else reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || err.message}`))
    })
    if (input !== undefined) child.stdin?.end(input)
  })
}

/** Why the lab cannot run here (not root, no `ip netns`, no nftables NAT), or undefined. */
export async function natLabUnavailable (): Promise<string | undefined> {
  const netns = await netnsUnavailable()
  if (netns !== undefined) return netns
  const probe = `${namePrefix}probe-${process.pid}-${randomBytes(3).toString('hex')}`
  try {
    await run('ip', ['netns', 'add', probe])
    await run('ip', ['netns', 'exec', probe, 'nft', '-f', '-'], routerRuleset('symmetric'))
    return undefined
  } catch (err) {
    return `nftables NAT does not work here (${(err as Error).message.split('\n')[0] ?? ''})`
  } finally {
    await run('ip', ['netns', 'del', probe]).catch(() => {})
  }
}

/** The router's nftables ruleset: NAT out of wan0, stateful firewall dropping unsolicited inbound. */
export function routerRuleset (mode: NatMode): string {
  const masquerade = mode === 'cone' ? 'masquerade' : 'masquerade fully-random'
  return `flush ruleset
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" ${masquerade}
  }
}
table inet fw {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    ct state invalid drop
    iifname "lan0" oifname "wan0" accept
    iifname "lan0" oifname "lan0" accept
  }
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    iifname { "lo", "lan0" } accept
    icmp type echo-request accept
  }
}
`
}

function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Deletes lab namespaces left behind by test processes that no longer exist. */
function sweepStale (): void {
  let names: string[]
  try {
    names = readdirSync('/run/netns')
  } catch {
    return
  }
  for (const name of names) {
    const pid = Number(/^weft-lab-(\d+)-/.exec(name)?.[1])
    if (Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) removeNamespaceSync(name)
  }
}

function removeNamespaceSync (ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter((p) => p !== '')
    for (const pid of pids) {
      try { process.kill(Number(pid), 'SIGKILL') } catch { /* already gone */ }
    }
  } catch { /* namespace gone */ }
  try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }) } catch { /* already gone */ }
}

async function removeNamespace (ns: string): Promise<void> {
  const pids = (await run('ip', ['netns', 'pids', ns]).catch(() => '')).split(/\s+/).filter((p) => p !== '').map(Number)
  for (const pid of pids) {
    try { process.kill(pid, 'SIGTERM') } catch { /* gone */ }
  }
  if (pids.length > 0) {
    const deadline = Date.now() + 3000
    while (pids.some(pidAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
    }
  }
  await run('ip', ['netns', 'del', ns]).catch(() => {})
}

/** Builds a lab. Everything created is removed again if building fails half-way. */
export async function createNatLab (options: NatLabOptions): Promise<NatLab> {
  sweepStale()
  const prefix = `${namePrefix}${process.pid}-${randomBytes(2).toString('hex')}`
  const created: string[] = []
  const hosts = new Map<string, LabHost>()
  const sites = options.sites ?? []
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    process.off('exit', onExit)
    // Hosts first (their daemons), routers and the internet last.
    await Promise.all([...created].reverse().map(removeNamespace))
  }
  const onExit = (): void => { for (const ns of [...created].reverse()) removeNamespaceSync(ns) }
  process.on('exit', onExit)

  const ip = async (ns: string, ...args: string[]): Promise<void> => { await run('ip', ['-n', ns, ...args]) }
  const exec = async (ns: string, args: string[], input?: string): Promise<void> => { await run('ip', ['netns', 'exec', ns, ...args], input) }
  const makeNs = async (suffix: string): Promise<string> => {
    const ns = `${prefix}-${suffix}`
    await run('ip', ['netns', 'add', ns])
    created.push(ns)
    await ip(ns, 'link', 'set', 'lo', 'up')
    await exec(ns, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1'])
    await exec(ns, ['sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1'])
    return ns
  }
  // veth pairs are created straight inside the namespaces: nothing appears in the root one.
  const link = async (nsA: string, ifA: string, nsB: string, ifB: string): Promise<void> => {
    await ip(nsA, 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB)
  }
  let port = 0
  const plug = async (ns: string, ifName: string, address: string): Promise<void> => {
    const inetPort = `v${port++}`
    await link(inet, inetPort, ns, ifName)
    await ip(inet, 'link', 'set', inetPort, 'master', 'br0', 'up')
    await ip(ns, 'addr', 'add', `${address}/24`, 'dev', ifName)
    await ip(ns, 'link', 'set', ifName, 'up')
  }
  const siteIndex = new Map(sites.map((s, i) => [s.name, i]))
  const nextHostOctet = new Map<number, number>()
  const attach = async (hostNs: string, site: number): Promise<string> => {
    const router = `${prefix}-rt${site}`
    const octet = nextHostOctet.get(site) ?? 2
    nextHostOctet.set(site, octet + 1)
    const address = `10.0.${site + 1}.${octet}`
    const routerPort = `h${octet}`
    await ip(router, 'link', 'add', routerPort, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', hostNs)
    await ip(router, 'link', 'set', routerPort, 'master', 'lan0', 'up')
    await ip(hostNs, 'addr', 'add', `${address}/24`, 'dev', 'eth0')
    await ip(hostNs, 'link', 'set', 'eth0', 'up')
    await ip(hostNs, 'route', 'add', 'default', 'via', `10.0.${site + 1}.1`)
    return address
  }

  let inet = ''
  try {
    inet = await makeNs('inet')
    await ip(inet, 'link', 'add', 'br0', 'type', 'bridge')
    await ip(inet, 'addr', 'add', `${labInternet}.1/24`, 'dev', 'br0')
    await ip(inet, 'link', 'set', 'br0', 'up')
    for (const [i, name] of (options.publicHosts ?? []).entries()) {
      const ns = await makeNs(`pub${i}`)
      const address = `${labInternet}.${10 + i}`
      const secondAddress = `${labInternet}.${110 + i}`
      await plug(ns, 'eth0', address)
      await ip(ns, 'addr', 'add', `${secondAddress}/24`, 'dev', 'eth0')
      hosts.set(name, { name, ns, wrap: ['ip', 'netns', 'exec', ns], address, secondAddress })
    }
    for (const [i, site] of sites.entries()) {
      // Routers have no default route: packets to another site's private range fail at once
      // (as on the real internet they would never arrive), and the public /24 is on-link.
      const router = await makeNs(`rt${i}`)
      await plug(router, 'wan0', `${labInternet}.${50 + i}`)
      await ip(router, 'link', 'add', 'lan0', 'type', 'bridge')
      await ip(router, 'addr', 'add', `10.0.${i + 1}.1/24`, 'dev', 'lan0')
      await ip(router, 'link', 'set', 'lan0', 'up')
      await exec(router, ['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
      await exec(router, ['nft', '-f', '-'], routerRuleset(site.nat))
      for (const name of site.hosts ?? [site.name]) {
        const ns = await makeNs(`h-${name}`)
        const address = await attach(ns, i)
        hosts.set(name, { name, ns, wrap: ['ip', 'netns', 'exec', ns], address, site: site.name })
      }
    }
  } catch (err) {
    await stop()
    throw err
  }

  const host = (name: string): LabHost => {
    const found = hosts.get(name)
    if (found === undefined) throw new Error(`no lab host "${name}"`)
    return found
  }
  const siteOf = (name: string): number => {
    const index = siteIndex.get(name)
    if (index === undefined) throw new Error(`no lab site "${name}"`)
    return index
  }
  return {
    prefix,
    hosts,
    host,
    stop,
    async setNat (site, mode) {
      const router = `${prefix}-rt${siteOf(site)}`
      // New flows get the new behaviour; established ones keep their mapping (conntrack).
      await exec(router, ['nft', '-f', '-'], routerRuleset(mode))
    },
    async moveHost (name, site) {
      const h = host(name)
      const target = siteOf(site)
      await ip(h.ns, 'link', 'del', 'eth0')
      const address = await attach(h.ns, target)
      const moved = { ...h, address, site }
      hosts.set(name, moved)
      return address
    }
  }
}
