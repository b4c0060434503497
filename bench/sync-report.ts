/**
 * The tables `npm run bench:sync` prints: per set and system (weft, Syncthing, the bare Node
 * data path, the mixed pairs), seconds from the scan request to the receiver in sync, MB/s,
 * files/s, when the last file landed (free of polling delay), the sender's scan time, peak
 * and idle RSS and CPU seconds of sender and receiver, CPU-seconds per GB (both sides), as
 * medians over rounds with ranges; then weft/Syncthing and weft/bare ratios, the mixed pairs as
 * ratios to Syncthing → Syncthing, weft's rescan and status figures, and issue 22's goals,
 * each met or NOT met.
 */
import type { DataSet } from './sync-data.js'
import type { SyncRun } from './sync-proc.js'

/** Runs of one data set. */
export interface SetResults {
  set: DataSet
  weft: SyncRun[]
  syncthing: SyncRun[]
  /** The bare Node data path (no weft code): the runtime's ceiling. */
  bare: SyncRun[]
  /** weft paired with Syncthing over BEP on TCP+TLS, each way (set a only). */
  interop?: { weftToSyncthing: SyncRun[], syncthingToWeft: SyncRun[] }
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function figure (values: number[], digits: number): string {
  const m = median(values).toFixed(digits)
  return values.length < 2 ? m : `${m} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`
}

/** CPU-seconds of both sides per GB (10^9 bytes) of the set. */
const cpuPerGb = (set: DataSet, r: SyncRun): number => (r.cpuSeconds[0] + r.cpuSeconds[1]) / (set.bytes / 1e9)
/** The higher peak RSS of the two sides. */
const peak = (r: SyncRun): number => Math.max(...r.peakRssMb)

function row (name: string, set: DataSet, runs: SyncRun[]): string {
  const seconds = runs.map((r) => r.seconds)
  const pair = (get: (r: SyncRun) => [number, number], digits: number): string => `${figure(runs.map((r) => get(r)[0]), digits)} / ${figure(runs.map((r) => get(r)[1]), digits)}`
  return `| ${name} | ${figure(seconds, 2)} | ${figure(seconds.map((s) => set.bytes / 1e6 / s), 1)} | ${figure(seconds.map((s) => set.files / s), 0)} | ${figure(runs.map((r) => r.landedSeconds), 2)} | ${figure(runs.map((r) => r.scanSeconds), 2)} | ${pair((r) => r.peakRssMb, 0)} | ${pair((r) => r.idleRssMb, 0)} | ${pair((r) => r.cpuSeconds, 1)} | ${figure(runs.map((r) => cpuPerGb(set, r)), 1)} |`
}

const met = (ok: boolean): string => ok ? 'met' : 'NOT met'

/** weft's figures against another system's: throughput, CPU-s per GB, peak RSS. */
function ratios (set: DataSet, weft: SyncRun[], other: SyncRun[]): { throughput: number, landed: number, cpu: number, rss: number } {
  const m = (runs: SyncRun[], get: (r: SyncRun) => number): number => median(runs.map(get))
  return {
    throughput: m(other, (r) => r.seconds) / m(weft, (r) => r.seconds),
    landed: m(other, (r) => r.landedSeconds) / m(weft, (r) => r.landedSeconds),
    cpu: m(weft, (r) => cpuPerGb(set, r)) / m(other, (r) => cpuPerGb(set, r)),
    rss: m(weft, peak) / m(other, peak)
  }
}

/** Issue 22's goals for one set. */
function goalsOf (result: SetResults): string[] {
  const { set, weft, syncthing, bare, interop } = result
  const goals: string[] = []
  const key = set.key
  const noSt = 'n/a (no Syncthing run)'
  const st = syncthing.length > 0 ? ratios(set, weft, syncthing) : undefined
  const speed = key === 'a' ? 1.2 : 1.5
  goals.push(`${key}: weft ≥ ${speed}× Syncthing: ${st === undefined ? noSt : `${met(st.throughput >= speed)} (${st.throughput.toFixed(2)}×)`}`)
  if (key === 'a') {
    const b = bare.length > 0 ? ratios(set, weft, bare) : undefined
    goals.push(`a: weft ≥ 85% of the bare data path: ${b === undefined ? 'n/a (no bare run)' : `${met(b.throughput >= 0.85)} (${(100 * b.throughput).toFixed(0)}%)`}`)
  } else {
    const w = median(weft.map((r) => r.scanSeconds))
    const s = median(syncthing.map((r) => r.scanSeconds))
    goals.push(`b: sender's first scan ≤ Syncthing's: ${st === undefined ? noSt : `${met(w <= s)} (${w.toFixed(2)} s vs ${s.toFixed(2)} s)`}`)
  }
  if (key === 'a' && interop !== undefined && syncthing.length > 0) {
    const ref = median(syncthing.map((r) => r.seconds))
    const w2s = ref / median(interop.weftToSyncthing.map((r) => r.seconds))
    const s2w = ref / median(interop.syncthingToWeft.map((r) => r.seconds))
    goals.push(`a: mixed pairs each ≥ 0.9× Syncthing → Syncthing: ${met(w2s >= 0.9 && s2w >= 0.9)} (weft → Syncthing ${w2s.toFixed(2)}×, Syncthing → weft ${s2w.toFixed(2)}×)`)
  }
  if (key === 'a') {
    // Worst weft daemon of any round: peak RSS over its own RSS right before the data moved in.
    const over = weft.flatMap((r) => [0, 1].map((i) => ({ over: r.peakRssMb[i]! - r.idleRssMb[i]!, peak: r.peakRssMb[i]!, idle: r.idleRssMb[i]! })))
    const worst = over.reduce((a, b) => b.over > a.over ? b : a)
    goals.push(`a: weft peak RSS ≤ idle + 60 MB per daemon: ${met(worst.over <= 60)} (worst +${worst.over.toFixed(0)} MB: ${worst.peak.toFixed(0)} over ${worst.idle.toFixed(0)})`)
  } else {
    const rss = Math.max(...weft.flatMap((r) => r.peakRssMb))
    goals.push(`b: weft peak RSS < 200 MB per daemon: ${met(rss < 200)} (${rss.toFixed(0)} MB)`)
  }
  const cpuFactor = key === 'a' ? 1.2 : 1
  goals.push(`${key}: weft CPU-s per GB ${key === 'a' ? '≤ 1.2×' : '<'} Syncthing's: ${st === undefined ? noSt : `${met(key === 'a' ? st.cpu <= cpuFactor : st.cpu < cpuFactor)} (${st.cpu.toFixed(2)}×)`}`)
  if (key === 'b') {
    const full = set.files === 100_000
    const rescan = median(weft.map((r) => r.rescanSeconds ?? NaN))
    const status = median(weft.map((r) => r.statusMs ?? NaN))
    const at = `at ${set.files.toLocaleString('en-US')} files, scaled: indicative`
    const stRescan = median(syncthing.map((r) => r.rescanSeconds ?? NaN))
    const stSays = syncthing.length > 0 ? `; Syncthing's ${stRescan.toFixed(2)} s` : ''
    goals.push(`b: rescan of the unchanged folder < 1 s at 100,000 files: ${full ? `${met(rescan < 1)} (${rescan.toFixed(2)} s${stSays})` : `${rescan.toFixed(2)} s${stSays} (${at})`}`)
    goals.push(`b: folder status < 50 ms at 100,000 files: ${full ? `${met(status < 50)} (${status.toFixed(1)} ms)` : `${status.toFixed(1)} ms (${at})`}`)
  }
  return goals
}

/** Prints the results as Markdown tables (ready for docs/BENCHMARKS.md). */
export function printResults (results: SetResults[], info: { header: string, baseline: string, bare: string, rounds: number, scale: number }): void {
  console.log(`\n${info.header}`)
  console.log(info.baseline)
  console.log(info.bare)
  console.log(`${info.rounds} round(s) per set${info.scale === 1 ? '' : `, sets scaled by ${info.scale}`}; time from the scan request on the sender to the receiver in sync (median, range)\n`)
  const goals: string[] = []
  for (const result of results) {
    const { set, weft, syncthing, bare, interop } = result
    console.log(`${set.title} (${(set.bytes / 1e6).toFixed(0)} MB)\n`)
    console.log('| system | seconds | MB/s | files/s | last file landed, s | sender scan s | peak RSS send / recv MB | idle RSS send / recv MB | CPU-s send / recv | CPU-s per GB |')
    console.log('|---|---|---|---|---|---|---|---|---|---|')
    console.log(row('weft', set, weft))
    if (syncthing.length > 0) console.log(row('Syncthing', set, syncthing))
    if (bare.length > 0) console.log(row('bare Node data path', set, bare))
    if (interop !== undefined) {
      console.log(row('weft → Syncthing', set, interop.weftToSyncthing))
      console.log(row('Syncthing → weft', set, interop.syncthingToWeft))
    }
    console.log('')
    for (const [name, other] of [['Syncthing', syncthing], ['bare', bare]] as const) {
      if (other.length === 0) continue
      const r = ratios(set, weft, other)
      console.log(`weft / ${name}: throughput ${r.throughput.toFixed(2)}× (by the last file landed: ${r.landed.toFixed(2)}×), CPU-s per GB ${r.cpu.toFixed(2)}×, peak RSS ${r.rss.toFixed(2)}×`)
    }
    if (interop !== undefined && syncthing.length > 0) {
      const st = median(syncthing.map((r) => r.seconds))
      const of = (runs: SyncRun[]): string => (st / median(runs.map((r) => r.seconds))).toFixed(2)
      console.log(`throughput relative to Syncthing → Syncthing: weft → Syncthing ${of(interop.weftToSyncthing)}×, Syncthing → weft ${of(interop.syncthingToWeft)}×`)
    }
    console.log(`weft after the sync (untimed): rescan of the unchanged folder ${figure(weft.map((r) => r.rescanSeconds ?? NaN), 3)} s on the sender, folder status ${figure(weft.map((r) => r.statusMs ?? NaN), 1)} ms on the receiver (median of 10 calls)`)
    if (syncthing.length > 0) console.log(`Syncthing after the sync (untimed): rescan of the unchanged folder ${figure(syncthing.map((r) => r.rescanSeconds ?? NaN), 3)} s on the sender`)
    console.log('')
    goals.push(...goalsOf(result))
  }
  const caveats = [
    ...(info.scale === 1 ? [] : ['scaled sets: indicative only']),
    ...(info.rounds >= 3 ? [] : ['issue 22 asks for at least 3 rounds'])
  ]
  console.log(`Goals (issue 22)${caveats.length === 0 ? '' : ` — ${caveats.join('; ')}`}:`)
  for (const goal of goals) console.log(`- ${goal}`)
}
