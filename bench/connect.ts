/**
 * `npm run bench:connect` (issue 3): in the namespace NAT lab, per NAT pair, how long until a
 * member restarted behind its NAT is online again (first relayed connection, bytes can flow),
 * how long until the connection is direct, and how often it becomes direct at all; then how
 * long a device that moves to another NAT'd LAN takes to reconnect. The baseline, in the same
 * run, is the same measurement between two devices on public addresses (no NAT, no relay).
 *
 * Times run from spawning `weft daemon` (or the move) to the daemons' own log lines ("member
 * online", "hole punch made a direct connection"), so polling adds nothing to them; the
 * no-NAT baseline includes the same daemon start-up. Goals: 100% direct for
 * cone/cone, 100% reachable for every pair, first byte within 2 s relayed; roaming within 10 s.
 * Environment: BENCH_TRIALS (default 20), BENCH_ROAMS (default 5), BENCH_PAIRS (e.g. "cone/cone").
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cpus } from 'node:os'
import { createNatLab, natLabUnavailable } from '../src/testing/natlab.js'
import type { NatLab, NatMode } from '../src/testing/natlab.js'
import { labAddress, startLabDaemons } from '../src/testing/lab-daemons.js'
import type { LabDaemons } from '../src/testing/lab-daemons.js'
import { formNetwork } from '../src/testing/testnet.js'
import type { TestDaemon } from '../src/testing/testnet.js'
import { waitFor } from '../src/testing/wait.js'

const trials = Number(process.env.BENCH_TRIALS ?? 20)
const roams = Number(process.env.BENCH_ROAMS ?? 5)
type Pair = 'public/public' | `${NatMode}/${NatMode}`
const allPairs: Pair[] = ['public/public', 'cone/cone', 'cone/symmetric', 'symmetric/symmetric']
const pairs = (process.env.BENCH_PAIRS?.split(',') as Pair[] | undefined) ?? allPairs
/** How long a trial waits for a direct connection after the relayed one before counting it as staying relayed. */
const directWaitMs = 15_000

interface LogLine { time: string, msg: string, device?: string, path?: string }

function logLines (daemon: TestDaemon): LogLine[] {
  return readFileSync(join(daemon.home, 'weft.log'), 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine)
}

function at (line: LogLine | undefined): number | undefined {
  return line === undefined ? undefined : Date.parse(line.time)
}

function median (values: number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? undefined : sorted[Math.floor(sorted.length / 2)]
}

function fmt (ms: number | undefined): string {
  return ms === undefined ? '-' : `${Math.round(ms)} ms`
}

async function setup (pair: Pair): Promise<{ lab: NatLab, d: LabDaemons, a: TestDaemon, b: TestDaemon }> {
  const [na, nb] = pair.split('/') as [NatMode | 'public', NatMode | 'public']
  const sites = [na, nb].flatMap((nat, i) => nat === 'public' ? [] : [{ name: i === 0 ? 'A' : 'B', nat }])
  const publicHosts = ['relay', ...(na === 'public' ? ['A'] : []), ...(nb === 'public' ? ['B'] : [])]
  const lab = await createNatLab({ publicHosts, sites: [...sites, { name: 'C', nat: nb === 'public' ? 'cone' : nb, hosts: [] }] })
  const d = await startLabDaemons(lab, [{ host: 'relay', init: ['--relay'] }])
  const relay = d.get('relay')
  const relays = [labAddress(lab, 'relay', relay.deviceId), labAddress(lab, 'relay', relay.deviceId, true)]
  const a = await d.add({ host: 'A', init: ['--relays', ...relays] })
  const b = await d.add({ host: 'B', init: ['--relays', ...relays] })
  await formNetwork([relay, a, b], 'bench')
  await waitFor('A and B to meet', async () => (await a.json<Array<{ deviceId: string, online: boolean }>>(['peers'])).some((p) => p.deviceId === b.deviceId && p.online), 60_000, 200)
  return { lab, d, a, b }
}

/** One trial: restart B; from its start, when A sees it online (and by which path), when direct. */
async function trial (a: TestDaemon, b: TestDaemon): Promise<{ onlineMs?: number, path?: string, directMs?: number }> {
  await b.stop()
  // From the moment `weft daemon` is spawned (B's own log lines can come after A saw it).
  const since = Date.now()
  await b.start()
  const started = since
  let online: LogLine | undefined
  await waitFor('A to see B online', () => {
    online = logLines(a).find((l) => l.msg === 'member online' && l.device === b.deviceId && Date.parse(l.time) >= since)
    return online
  }, 60_000, 100).catch(() => undefined)
  if (online === undefined) return {}
  const onlineMs = (at(online) ?? 0) - started
  if (online.path !== 'relay') return { onlineMs, path: online.path, directMs: onlineMs }
  let direct: LogLine | undefined
  await waitFor('a direct connection', () => {
    direct = [...logLines(a), ...logLines(b)].find((l) => l.msg === 'hole punch made a direct connection' && Date.parse(l.time) >= since)
    return direct
  }, directWaitMs, 100).catch(() => undefined)
  return { onlineMs, path: 'relay', directMs: direct === undefined ? undefined : (at(direct) ?? 0) - started }
}

/** One roam: move B to the other site; when B is online with A again and when direct. */
async function roam (lab: NatLab, a: TestDaemon, b: TestDaemon, to: string): Promise<{ onlineMs?: number, directMs?: number }> {
  const since = Date.now()
  await lab.moveHost('B', to)
  let online: LogLine | undefined
  await waitFor('B back online with A', () => {
    online = logLines(b).find((l) => l.msg === 'member online' && l.device === a.deviceId && Date.parse(l.time) >= since)
    return online
  }, 60_000, 100).catch(() => undefined)
  let direct: LogLine | undefined
  await waitFor('direct again', () => {
    direct = [...logLines(a), ...logLines(b)].find((l) => l.msg === 'hole punch made a direct connection' && Date.parse(l.time) >= since)
    return direct
  }, directWaitMs, 100).catch(() => undefined)
  const onlineMs = online === undefined ? undefined : (at(online) ?? 0) - since
  if (process.env.BENCH_VERBOSE !== undefined) {
    for (const l of logLines(b).filter((x) => Date.parse(x.time) >= since && Date.parse(x.time) <= since + (onlineMs ?? 20_000))) console.log(`  ${Date.parse(l.time) - since} ms ${l.msg} ${l.device === a.deviceId ? '(A)' : ''}`)
  }
  return { onlineMs, directMs: direct === undefined ? undefined : (at(direct) ?? 0) - since }
}

async function main (): Promise<void> {
  const why = await natLabUnavailable()
  if (why !== undefined) {
    console.log(`bench:connect needs the namespace lab: ${why}`)
    return
  }
  console.log(`bench:connect, ${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; ${trials} trials per pair, ${roams} roams`)
  const rows: string[][] = []
  for (const pair of pairs) {
    const { lab, d, a, b } = await setup(pair)
    try {
      const results = []
      for (let i = 0; i < trials; i++) results.push(await trial(a, b))
      const reached = results.filter((r) => r.onlineMs !== undefined)
      const direct = results.filter((r) => r.directMs !== undefined)
      const relayed = results.filter((r) => r.path === 'relay').map((r) => r.onlineMs ?? 0)
      rows.push([pair, `${reached.length}/${results.length}`, `${direct.length}/${results.length}`, fmt(median(reached.map((r) => r.onlineMs ?? 0))), fmt(median(relayed)), fmt(median(direct.map((r) => r.directMs ?? 0))), fmt(Math.max(...reached.map((r) => r.onlineMs ?? 0)))])
      console.log(`${pair}: ${JSON.stringify(results)}`)
      if (pair === 'cone/cone' || (pair.startsWith('symmetric') && roams > 0 && !pairs.includes('cone/cone'))) {
        const moves = []
        for (let i = 0; i < roams; i++) moves.push(await roam(lab, a, b, i % 2 === 0 ? 'C' : 'B'))
        console.log(`roaming (${pair}): ${JSON.stringify(moves)}`)
        rows.push([`roam (${pair})`, `${moves.filter((m) => m.onlineMs !== undefined).length}/${moves.length}`, `${moves.filter((m) => m.directMs !== undefined).length}/${moves.length}`, fmt(median(moves.flatMap((m) => m.onlineMs === undefined ? [] : [m.onlineMs]))), '-', fmt(median(moves.flatMap((m) => m.directMs === undefined ? [] : [m.directMs]))), fmt(Math.max(...moves.map((m) => m.onlineMs ?? Infinity)))])
      }
    } finally {
      await d.stop()
      await lab.stop()
    }
  }
  const header = ['pair', 'reached', 'direct', 'online (median)', 'relayed online (median)', 'direct (median)', 'online (max)']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  for (const row of [header, ...rows]) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '))
  console.log('times from spawning the restarted daemon (roam: from the move) to the other member seeing it online, and to the first direct connection; public/public is the no-NAT baseline.')
}

await main()
