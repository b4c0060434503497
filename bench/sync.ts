/**
 * `npm run bench:sync`: folder sync between two weft daemons on loopback, next to two Syncthing
 * instances (when `syncthing` is installed) syncing the same data in the same run. Sets:
 * (a) 200 files of random data, 500 MiB; (b) 100,000 files of 1 to 10 KiB. Each run starts
 * fresh processes, moves the set into the sender's folder, requests a scan and times until the
 * receiver reports the whole set in sync (then checks its files). Prints seconds, MB/s,
 * files/s, peak RSS (VmHWM) and CPU seconds per process, and weft/Syncthing ratios. On set (a),
 * also weft → Syncthing and Syncthing → weft (one weft daemon paired with one Syncthing over
 * BEP on TCP+TLS), as ratios to Syncthing → Syncthing in the same run. In the same run too, a
 * bare Node data path with no weft code (bench/sync-bare.ts: TLS 1.3, 128 KiB blocks, SHA-256
 * checked, positioned writes, fsync, rename): the runtime's ceiling on this machine. After each
 * weft run, untimed: a rescan of the unchanged folder and the latency of the folder status.
 * Prints CPU-seconds per GB, weft/Syncthing and weft/bare ratios, and issue 22's goals.
 *
 * Options (flag or environment):
 *   --sets a,b        BENCH_SETS       which sets (default a,b)
 *   --scale X         BENCH_SCALE      scale file counts, e.g. 0.1 for a quick run (default 1)
 *   --rounds N        BENCH_ROUNDS     rounds per set, the order of systems reversed every other round (default 1)
 *   --no-syncthing    BENCH_SYNCTHING=0  skip the baseline (and the interop runs)
 *   --no-bare         BENCH_BARE=0     skip the bare Node data path
 *   --no-interop      BENCH_INTEROP=0  skip weft → Syncthing and Syncthing → weft on set (a)
 *   --cpu-prof DIR    BENCH_CPU_PROF   write V8 CPU profiles of the weft (and bare) processes into DIR
 *                     BENCH_TIMEOUT_S  give up on one sync after this long (default 1800)
 */
import { mkdtemp, rm, mkdir } from 'node:fs/promises'
import { tmpdir, cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { createLoopbackNamespace, netnsUnavailable, syncthingUnavailable, syncthingVersion } from '../src/testing/index.js'
import type { LoopbackNamespace } from '../src/testing/index.js'
import { generateLarge, generateSmall } from './sync-data.js'
import type { DataSet } from './sync-data.js'
import type { SyncRun } from './sync-proc.js'
import { runWeft } from './sync-weft.js'
import { runSyncthing } from './sync-syncthing.js'
import { runInterop } from './sync-interop.js'
import { bareCipher, runBare } from './sync-bare.js'
import { cleanupNow, cleanupOnSignals, onCleanup, signalled } from './sync-cleanup.js'
import { printResults } from './sync-report.js'
import type { SetResults } from './sync-report.js'

function option (flag: string, env: string, fallback: string): string {
  const i = process.argv.indexOf(flag)
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1]!
  return process.env[env] ?? fallback
}

const sets = option('--sets', 'BENCH_SETS', 'a,b').split(',').map((s) => s.trim()).filter((s) => s === 'a' || s === 'b')
const scale = Number(option('--scale', 'BENCH_SCALE', '1'))
const rounds = Math.max(1, Number(option('--rounds', 'BENCH_ROUNDS', '1')))
const withSyncthing = !process.argv.includes('--no-syncthing') && process.env.BENCH_SYNCTHING !== '0'
const withInterop = withSyncthing && !process.argv.includes('--no-interop') && process.env.BENCH_INTEROP !== '0'
const withBare = !process.argv.includes('--no-bare') && process.env.BENCH_BARE !== '0'
const cpuProf = option('--cpu-prof', 'BENCH_CPU_PROF', '')
const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 1800)
if (sets.length === 0 || !(scale > 0)) throw new Error('usage: npm run bench:sync -- [--sets a,b] [--scale 0.1] [--rounds N] [--no-syncthing] [--no-interop] [--no-bare] [--cpu-prof DIR]')

async function main (): Promise<void> {
  cleanupOnSignals()
  const work = await mkdtemp(join(tmpdir(), 'weft-bench-sync-'))
  const undoWork = async (): Promise<void> => { await rm(work, { recursive: true, force: true }) }
  onCleanup(undoWork)
  let ns: LoopbackNamespace | undefined
  const undoNs = async (): Promise<void> => { await ns?.remove() }
  onCleanup(undoNs)
  try {
    const skipped = withSyncthing ? await syncthingUnavailable() : 'turned off (--no-syncthing)'
    let wrap: string[] = []
    let where = ''
    if (skipped === undefined) {
      const noNs = await netnsUnavailable()
      if (noNs === undefined) {
        ns = await createLoopbackNamespace('stbench')
        wrap = ns.wrap
        where = 'in a network namespace holding only loopback'
      } else where = `on the host's loopback (no namespace: ${noNs}); discovery, relays, NAT and reports off`
    }
    if (cpuProf !== '') {
      // The daemons start through bin/weft, which passes WEFT_NODE_FLAGS to node (NODE_OPTIONS refuses --cpu-prof).
      await mkdir(resolve(cpuProf), { recursive: true })
      process.env.WEFT_NODE_FLAGS = `--cpu-prof --cpu-prof-dir=${resolve(cpuProf)}`
    }
    const pollMs = (key: 'a' | 'b'): number => key === 'a' ? 250 : 1000
    const results: SetResults[] = []
    for (const key of sets) {
      const generated = performance.now()
      const staging = join(work, `set-${key}`)
      const set: DataSet = key === 'a'
        ? await generateLarge(staging, Math.max(1, Math.round(200 * scale)), 2.5 * 2 ** 20)
        : await generateSmall(staging, Math.max(100, Math.round(100_000 * scale)))
      console.log(`${set.title}: generated in ${((performance.now() - generated) / 1000).toFixed(1)} s`)
      const runs: Record<string, SyncRun[]> = { weft: [], syncthing: [], bare: [], 'weft-to-syncthing': [], 'syncthing-to-weft': [] }
      const interop = skipped === undefined && withInterop && key === 'a'
      for (let round = 0; round < rounds; round++) {
        const systems = ['weft', ...(skipped === undefined ? ['syncthing'] : []), ...(withBare ? ['bare'] : [])]
        const base = round % 2 === 0 ? systems : systems.reverse()
        const order = interop ? (round % 2 === 0 ? [...base, 'weft-to-syncthing', 'syncthing-to-weft'] : ['syncthing-to-weft', 'weft-to-syncthing', ...base]) : base
        for (const system of order) {
          const options = { work, pollMs: pollMs(key), timeoutS }
          const run = system === 'weft'
            ? await runWeft(set, options)
            : system === 'syncthing'
              ? await runSyncthing(set, { ...options, wrap })
              : system === 'bare' ? await runBare(set, options) : await runInterop(set, system as 'weft-to-syncthing' | 'syncthing-to-weft', options)
          runs[system]?.push(run)
          console.log(`  round ${round + 1}, ${system}: ${run.seconds.toFixed(2)} s (last file ${run.landedSeconds.toFixed(2)} s, scan ${run.scanSeconds.toFixed(2)} s), ${(set.bytes / 1e6 / run.seconds).toFixed(1)} MB/s, peak RSS ${run.peakRssMb.map((r) => r.toFixed(0)).join(' / ')} MB (idle ${run.idleRssMb.map((r) => r.toFixed(0)).join(' / ')}), CPU-s ${run.cpuSeconds.map((c) => c.toFixed(1)).join(' / ')}${run.rescanSeconds === undefined ? '' : `; unchanged rescan ${run.rescanSeconds.toFixed(3)} s, status ${(run.statusMs ?? NaN).toFixed(1)} ms`}${run.memoryAtPeak === undefined ? '' : `; at the highest sampled RSS, send / recv: ${run.memoryAtPeak.map((m) => `${m.rss} MB (heap ${m.heapUsed} of ${m.heapTotal}, buffers ${m.arrayBuffers})`).join(' / ')}`}`)
        }
      }
      await rm(staging, { recursive: true, force: true })
      results.push({ set, weft: runs.weft ?? [], syncthing: runs.syncthing ?? [], bare: runs.bare ?? [], ...(interop ? { interop: { weftToSyncthing: runs['weft-to-syncthing'] ?? [], syncthingToWeft: runs['syncthing-to-weft'] ?? [] } } : {}) })
    }
    const version = skipped === undefined ? await syncthingVersion() : undefined
    printResults(results, {
      header: `weft bench:sync — ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`,
      baseline: skipped === undefined ? `Syncthing baseline: ${version ?? '?'}, ${where}` : `Syncthing baseline skipped: ${skipped}`,
      bare: withBare ? `bare Node data path (no weft code): two node processes, TLS 1.3 (${bareCipher}) on 127.0.0.1, 128 KiB blocks` : 'bare Node data path skipped (--no-bare)',
      rounds,
      scale
    })
    if (cpuProf !== '') console.log(`CPU profiles of the weft daemons: ${resolve(cpuProf)}`)
  } finally {
    await cleanupNow(undoNs)
    await cleanupNow(undoWork)
  }
}

await main().catch((err: unknown) => {
  // After SIGINT/SIGTERM, the runs fail as their processes go away: the handler exits once all is undone.
  if (signalled() === undefined) throw err
  process.exitCode = 130
})
