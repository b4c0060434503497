/**
 * The table `npm run bench:sync` prints: per set and system, seconds from the scan request to
 * the receiver in sync, MB/s, files/s, when the last file landed (free of polling delay), the
 * sender's scan time, peak RSS and CPU seconds of
 * sender and receiver (medians over rounds, with ranges), then weft/Syncthing ratios and goals,
 * and for set (a) the weft ↔ Syncthing runs as ratios to Syncthing → Syncthing.
 */
import type { DataSet } from './sync-data.js'
import type { SyncRun } from './sync-proc.js'

/** Runs of one data set. */
export interface SetResults {
  set: DataSet
  weft: SyncRun[]
  syncthing: SyncRun[]
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

function row (name: string, set: DataSet, runs: SyncRun[]): string {
  const seconds = runs.map((r) => r.seconds)
  return `| ${name} | ${figure(seconds, 2)} | ${figure(seconds.map((s) => set.bytes / 1e6 / s), 1)} | ${figure(seconds.map((s) => set.files / s), 0)} | ${figure(runs.map((r) => r.landedSeconds), 2)} | ${figure(runs.map((r) => r.scanSeconds), 2)} | ${figure(runs.map((r) => r.peakRssMb[0]), 0)} / ${figure(runs.map((r) => r.peakRssMb[1]), 0)} | ${figure(runs.map((r) => r.cpuSeconds[0]), 1)} / ${figure(runs.map((r) => r.cpuSeconds[1]), 1)} |`
}

/** Prints the results as Markdown tables (ready for docs/BENCHMARKS.md). */
export function printResults (results: SetResults[], info: { header: string, baseline: string, rounds: number, scale: number }): void {
  console.log(`\n${info.header}`)
  console.log(info.baseline)
  console.log(`${info.rounds} round(s) per set${info.scale === 1 ? '' : `, sets scaled by ${info.scale}`}; time from the scan request on the sender to the receiver in sync (median, range)\n`)
  const goals: string[] = []
  for (const { set, weft, syncthing } of results) {
    console.log(`${set.title} (${(set.bytes / 1e6).toFixed(0)} MB)\n`)
    console.log('| system | seconds | MB/s | files/s | last file landed, s | sender scan s | peak RSS send / recv MB | CPU-s send / recv |')
    console.log('|---|---|---|---|---|---|---|---|')
    console.log(row('weft', set, weft))
    if (syncthing.length > 0) console.log(row('Syncthing', set, syncthing))
    const interop = results.find((r) => r.set === set)?.interop
    if (interop !== undefined) {
      console.log(row('weft → Syncthing', set, interop.weftToSyncthing))
      console.log(row('Syncthing → weft', set, interop.syncthingToWeft))
    }
    if (syncthing.length > 0) {
      const ratio = median(syncthing.map((r) => r.seconds)) / median(weft.map((r) => r.seconds))
      const landed = median(syncthing.map((r) => r.landedSeconds)) / median(weft.map((r) => r.landedSeconds))
      console.log(`\nweft / Syncthing throughput: ${ratio.toFixed(2)}× (by the last file landed: ${landed.toFixed(2)}×)`)
      goals.push(`${set.key}: weft ≥ 1.5 × Syncthing: ${ratio >= 1.5 ? 'met' : 'NOT met'} (${ratio.toFixed(2)}×)`)
      if (interop !== undefined) {
        const st = median(syncthing.map((r) => r.seconds))
        const of = (runs: SyncRun[]): string => (st / median(runs.map((r) => r.seconds))).toFixed(2)
        console.log(`throughput relative to Syncthing → Syncthing: weft → Syncthing ${of(interop.weftToSyncthing)}×, Syncthing → weft ${of(interop.syncthingToWeft)}×`)
      }
    }
    if (set.key === 'b') {
      const rss = Math.max(...weft.flatMap((r) => r.peakRssMb))
      goals.push(`b: peak RSS < 150 MB per weft daemon: ${rss < 150 ? 'met' : 'NOT met'} (${rss.toFixed(0)} MB)`)
    }
    console.log('')
  }
  if (goals.length > 0) console.log(`goals${info.scale === 1 ? '' : ' (scaled sets: indicative only)'}: ${goals.join('; ')}`)
}
