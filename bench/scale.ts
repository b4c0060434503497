/**
 * `npm run bench:scale`: how two real weft daemons (bin/weft, loopback, empty bootstrap, no
 * mDNS) hold up with one folder of N files (default 1,000,000; a few bytes each, in 1,000
 * directories). Phases, each timed on its own with the peak RSS of both daemons (VmRSS sampled
 * 4 times a second; the memory split from `weft status` sampled once a second and shown at the
 * highest RSS it saw): (a) the sender's first scan of the N files, (b) the receiver's index
 * exchange (until it knows all N records) and its pull of the N files, (c) a rescan of the
 * unchanged folder on the sender, (d) the latency of the folder status (what `weft folder
 * status` calls) on both. Printed next to issue 22's goal (250 MB) and each daemon's idle RSS.
 * Honest timing: from the request to the state that shows the phase done; asserts nothing.
 *
 * Options:
 *   --files N        files in the folder (default 1000000)
 *   --data DIR       keep the generated tree in DIR and reuse it on later runs (not removed)
 *   --keep           keep the temporary directory (tree and receiver's folder) at the end
 *   --pull-cap S     stop the pull after S seconds (the folder is paused) and report how far
 *                    it got (default 1800)
 *   --timeout S      give up on any other phase after S seconds (default 3600)
 *   --heap-dir DIR   start the daemons with --heapsnapshot-signal=SIGUSR2 writing into DIR
 *                    (send `kill -USR2 PID` by hand; the PIDs are printed)
 *   --no-gc-trace    do not start the daemons with --trace-gc (by default each phase also
 *                    shows the largest heap left after a full collection, an upper bound of
 *                    the live JavaScript data: peak RSS alone mixes live data with garbage)
 * Flags already in WEFT_NODE_FLAGS (e.g. a V8 heap setting to try) are passed on too.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestnet, formNetwork, waitForOnline } from '../src/testing/index.js'
import type { TestDaemon } from '../src/testing/index.js'
import type { FolderView } from '../src/features/sync/views.js'
import { apiOf } from './sync-weft.js'
import type { Api } from './sync-weft.js'
import { rssMb, sleep, pollDelay } from './sync-proc.js'
import type { MemorySplit } from './sync-proc.js'
import { cleanupNow, cleanupOnSignals, onCleanup, signalled } from './sync-cleanup.js'
import { treeMarker } from './scale-tree.js'

const GOAL_MB = 250
const FOLDER = 'scale'

function option (flag: string): string | undefined {
  const i = process.argv.indexOf(flag)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const files = Number(option('--files') ?? 1_000_000)
const dataDir = option('--data')
const keep = process.argv.includes('--keep')
const pullCapS = Number(option('--pull-cap') ?? 1800)
const timeoutS = Number(option('--timeout') ?? 3600)
const heapDir = option('--heap-dir')
const gcTrace = !process.argv.includes('--no-gc-trace')
if (!Number.isInteger(files) || files < 1 || !(pullCapS > 0) || !(timeoutS > 0)) {
  throw new Error('usage: npm run bench:scale -- [--files N] [--data DIR] [--keep] [--pull-cap S] [--timeout S] [--heap-dir DIR]')
}

/** One daemon's memory as `weft status` shows it (bytes), with `external`. */
interface StatusMemory extends MemorySplit { external: number }

/** What one phase measured. */
interface Phase {
  name: string
  seconds: number
  /** Highest VmRSS sampled, MB, sender and receiver. */
  peak: [number, number]
  /** The `weft status` split at the highest RSS it saw, MB. */
  split: [StatusMemory | undefined, StatusMemory | undefined]
  /** Largest heap after a full collection (MB) in the phase and how many there were, per daemon. */
  live: [FullGcs, FullGcs]
  note?: string
}

/** Full collections (mark-compact) a daemon's --trace-gc output shows. */
interface FullGcs { count: number, maxAfterMb: number }

/** Reads the mark-compact lines of --trace-gc output ("Mark-Compact 150.2 (160.3) -> 40.1 (50.2) MB"). */
function fullGcs (output: string): FullGcs {
  let count = 0
  let maxAfterMb = 0
  for (const m of output.matchAll(/Mark-Compact[^\n]*? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/g)) {
    count++
    maxAfterMb = Math.max(maxAfterMb, Number(m[1]))
  }
  return { count, maxAfterMb }
}

/**
 * Samples both daemons' RSS from /proc 4 times a second and their memory split from their
 * status once a second (one call at a time: a busy daemon answers late, it is not queued up).
 */
class Sampler {
  #peak: [number, number] = [0, 0]
  #split: [StatusMemory | undefined, StatusMemory | undefined] = [undefined, undefined]
  #timer: NodeJS.Timeout | undefined
  #statusBusy = false
  #ticks = 0

  constructor (private readonly pids: [number, number], private readonly apis: [Api, Api]) {}

  start (): void {
    this.#peak = [0, 0]
    this.#split = [undefined, undefined]
    this.#timer = setInterval(() => { this.#tick() }, 250)
    this.#tick()
  }

  /** Stops sampling and returns the phase's peaks. */
  stop (): { peak: [number, number], split: [StatusMemory | undefined, StatusMemory | undefined] } {
    this.#tick()
    clearInterval(this.#timer)
    return { peak: [...this.#peak], split: [...this.#split] }
  }

  #tick (): void {
    this.pids.forEach((pid, i) => { const r = rssMb(pid); if (r > this.#peak[i]!) this.#peak[i] = r })
    if (this.#ticks++ % 4 !== 0 || this.#statusBusy) return
    this.#statusBusy = true
    void Promise.all(this.apis.map(async (api, i) => {
      const { memory } = await api<{ memory: StatusMemory }>('GET', '/status')
      const mb = megabytes(memory)
      if (mb.rss > (this.#split[i]?.rss ?? -1)) this.#split[i] = mb
    })).catch(() => {}).finally(() => { this.#statusBusy = false })
  }
}

function megabytes (m: StatusMemory): StatusMemory {
  const mb = (x: number): number => Math.round(x / 1048576)
  return { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) }
}

/** Polls `api`'s view of the folder until `done` holds (every `ms`, or 9 times a poll's own time). */
async function until (api: Api, what: string, done: (v: FolderView) => boolean, limitS: number, ms = 500): Promise<{ view: FolderView, timedOut: boolean }> {
  const deadline = performance.now() + limitS * 1000
  for (;;) {
    const t = performance.now()
    const view = await api<FolderView>('GET', `/folders/${FOLDER}`)
    const pollMs = performance.now() - t
    if (view.error !== null) throw new Error(`${what}: folder error: ${view.error}`)
    if (done(view)) return { view, timedOut: false }
    if (performance.now() > deadline) return { view, timedOut: true }
    await sleep(pollDelay(ms, pollMs))
  }
}

/** Writes the tree in a child process unless `root` already holds one of `n` files. */
async function ensureTree (root: string, n: number): Promise<string> {
  const marker = treeMarker(root)
  if (existsSync(marker) && Number(readFileSync(marker, 'utf8').trim()) === n) return `reused (${root})`
  const t = performance.now()
  const script = fileURLToPath(new URL('./scale-tree.js', import.meta.url))
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [script, root, String(n)], { stdio: 'inherit' })
    const stop = (): void => { child.kill() }
    process.once('SIGINT', stop)
    child.on('error', reject)
    child.on('exit', (code, sig) => {
      process.off('SIGINT', stop)
      if (code === 0) resolve()
      else reject(new Error(`writing the tree failed (${sig ?? code})`))
    })
  })
  return `written in ${((performance.now() - t) / 1000).toFixed(1)} s`
}

/** Median ms of 10 calls of the folder's status (after one to warm up). */
async function statusLatency (api: Api): Promise<number> {
  await api<FolderView>('GET', `/folders/${FOLDER}`)
  const times: number[] = []
  for (let i = 0; i < 10; i++) {
    const t = performance.now()
    await api<FolderView>('GET', `/folders/${FOLDER}`)
    times.push(performance.now() - t)
  }
  times.sort((x, y) => x - y)
  return (times[4]! + times[5]!) / 2
}

function row (p: Phase, idle: [number, number]): string {
  const side = (i: 0 | 1): string => {
    const s = p.split[i]
    const over = p.peak[i] - idle[i]
    return `${p.peak[i].toFixed(0).padStart(4)} MB (+${over.toFixed(0)})${s === undefined ? '' : ` [heap ${s.heapUsed}/${s.heapTotal}, ext ${s.external}, buf ${s.arrayBuffers} at ${s.rss}]`}`
  }
  const flag = Math.max(...p.peak) > GOAL_MB ? '  OVER GOAL' : ''
  const live = gcTrace ? ` live ≤ ${p.live.map((l) => l.count === 0 ? '–' : `${l.maxAfterMb.toFixed(0)} MB (${l.count} full GCs)`).join(' / ')}` : ''
  return `| ${p.name} | ${p.seconds.toFixed(1)} s | ${side(0)} | ${side(1)} |${flag}${live}${p.note === undefined ? '' : ` ${p.note}`}`
}

async function main (): Promise<void> {
  cleanupOnSignals()
  const work = dataDir !== undefined ? resolve(dataDir) : await mkdtemp(join(tmpdir(), 'weft-bench-scale-'))
  await mkdir(work, { recursive: true })
  const tree = join(work, `tree-${files}`)
  const recv = join(work, 'recv')
  let net: Awaited<ReturnType<typeof startTestnet>> | undefined
  const undo = async (): Promise<void> => {
    await net?.stop()
    if (keep) return
    await rm(recv, { recursive: true, force: true })
    if (dataDir === undefined) await rm(work, { recursive: true, force: true })
  }
  onCleanup(undo)
  try {
    console.log(`weft bench:scale — ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${files} files`)
    console.log(`tree of ${files} files in 1,000 directories: ${await ensureTree(tree, files)}`)
    await rm(recv, { recursive: true, force: true })
    // Flags given in WEFT_NODE_FLAGS (e.g. a V8 heap experiment) are kept.
    const flags = [...(process.env.WEFT_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''), ...(gcTrace ? ['--trace-gc'] : [])]
    if (heapDir !== undefined) {
      await mkdir(resolve(heapDir), { recursive: true })
      flags.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${resolve(heapDir)}`)
    }
    // bin/weft passes WEFT_NODE_FLAGS to node.
    if (flags.length > 0) process.env.WEFT_NODE_FLAGS = flags.join(' ')
    console.log(`daemons' extra node flags: ${flags.join(' ') || 'none'}`)
    const starting = startTestnet(2, { names: ['scale-send', 'scale-recv'] })
    net = await starting
    const [a, b] = net.daemons as [TestDaemon, TestDaemon]
    await formNetwork([a, b], 'scale')
    await waitForOnline(a, [b.deviceId])
    const [sender, receiver] = await Promise.all([apiOf(a), apiOf(b)])
    const pids = (await Promise.all([sender<{ pid: number }>('GET', '/status'), receiver<{ pid: number }>('GET', '/status')])).map((s) => s.pid) as [number, number]
    console.log(`daemons: sender pid ${pids[0]}, receiver pid ${pids[1]}${heapDir === undefined ? '' : ` (kill -USR2 PID writes a heap snapshot into ${resolve(heapDir)})`}`)
    await sleep(2000)
    const idle: [number, number] = [rssMb(pids[0]), rssMb(pids[1])]
    const sampler = new Sampler(pids, [sender, receiver])
    const phases: Phase[] = []
    const phase = async (name: string, run: () => Promise<string | undefined>): Promise<void> => {
      sampler.start()
      const outputAt = [a.output.length, b.output.length]
      const t = performance.now()
      const note = await run()
      const seconds = (performance.now() - t) / 1000
      const live: [FullGcs, FullGcs] = [fullGcs(a.output.slice(outputAt[0])), fullGcs(b.output.slice(outputAt[1]))]
      phases.push({ name, seconds, ...sampler.stop(), live, ...(note === undefined ? {} : { note }) })
      console.log(row(phases[phases.length - 1]!, idle))
    }
    console.log(`idle RSS before the folder: sender ${idle[0].toFixed(0)} MB, receiver ${idle[1].toFixed(0)} MB; goal: under ${GOAL_MB} MB`)
    console.log('| phase | wall | sender peak RSS (above idle) [split at the highest status sample, MB] | receiver peak RSS | |')
    console.log('|---|---|---|---|')

    // (a) The sender's first scan: from adding the folder to all N files indexed and idle.
    await phase('(a) sender first scan', async () => {
      await sender('POST', '/folders', { path: tree, network: 'scale', id: FOLDER, watch: false })
      const { timedOut, view } = await until(sender, 'first scan', (v) => v.local.files === files && v.state === 'idle', timeoutS)
      if (timedOut) throw new Error(`first scan not done after ${timeoutS} s: ${view.local.files} files, ${view.state}`)
      return undefined
    })
    // (b) The receiver adds the folder: index exchange (it knows all N), then the pull.
    let pulled = 0
    let capped = false
    await phase('(b1) index exchange to receiver', async () => {
      await receiver('POST', '/folders', { path: recv, network: 'scale', id: FOLDER, watch: false })
      const { timedOut, view } = await until(receiver, 'index exchange', (v) => v.global.files === files, timeoutS, 250)
      if (timedOut) throw new Error(`receiver does not know all ${files} records after ${timeoutS} s: ${view.global.files}`)
      return `(${view.local.files} files already pulled)`
    })
    let statusWhilePulling: number | undefined
    await phase('(b2) receiver pull', async () => {
      const { timedOut, view } = await until(receiver, 'pull', (v) => v.state === 'idle' && v.need.files === 0 && v.local.files === files, pullCapS, 1000)
      pulled = view.local.files
      if (!timedOut) return undefined
      capped = true
      statusWhilePulling = await statusLatency(receiver)
      await receiver('POST', `/folders/${FOLDER}/pause`)
      return `CAPPED at ${pullCapS} s: ${pulled} of ${files} files pulled (${(pulled / pullCapS).toFixed(0)} files/s), folder paused`
    })
    // (c) A rescan of the unchanged folder on the sender, to its lastScanAt (the daemon's clock).
    let rescanS = NaN
    await phase('(c) sender unchanged rescan', async () => {
      const before = (await sender<FolderView>('GET', `/folders/${FOLDER}`)).lastScanAt
      const requested = Date.now()
      await sender('POST', `/folders/${FOLDER}/rescan`)
      const { timedOut, view } = await until(sender, 'rescan', (v) => v.state === 'idle' && v.lastScanAt !== null && v.lastScanAt !== before && v.lastScanAt >= requested, timeoutS, 50)
      if (timedOut) throw new Error(`unchanged rescan not done after ${timeoutS} s`)
      rescanS = (view.lastScanAt! - requested) / 1000
      return `(daemon's own clock: ${rescanS.toFixed(2)} s; local files ${view.local.files})`
    })
    // (d) Folder status latency on both.
    const latency: [number, number] = [0, 0]
    await phase('(d) folder status, median of 10', async () => {
      latency[0] = await statusLatency(sender)
      latency[1] = await statusLatency(receiver)
      return `sender ${latency[0].toFixed(1)} ms, receiver ${latency[1].toFixed(1)} ms${statusWhilePulling === undefined ? '' : ` (receiver while still pulling: ${statusWhilePulling.toFixed(1)} ms)`}`
    })
    console.log(`\nsummary: ${files} files; idle ${idle.map((x) => x.toFixed(0)).join(' / ')} MB; goal < ${GOAL_MB} MB each while scanning and pulling`)
    for (const p of phases) console.log(`  ${p.name.padEnd(34)} ${p.seconds.toFixed(1).padStart(8)} s   peak RSS send / recv ${p.peak.map((x) => x.toFixed(0)).join(' / ')} MB${Math.max(...p.peak) > GOAL_MB ? '  (over the goal)' : ''}`)
    console.log(`  pull: ${pulled} of ${files} files${capped ? ` (capped at ${pullCapS} s)` : ''}; unchanged rescan ${rescanS.toFixed(2)} s; folder status ${latency.map((x) => x.toFixed(1)).join(' / ')} ms`)
    if (keep) console.log(`kept: ${work}`)
  } finally {
    await cleanupNow(undo)
  }
}

await main().catch((err: unknown) => {
  if (signalled() === undefined) throw err
  process.exitCode = 130
})
