/**
 * One run of `npm run bench:sync` through weft: two fresh daemons (bin/weft, as users start
 * them) on loopback form a network and share an empty folder (no watcher, like the Syncthing
 * side); the data set is moved into the sender's folder, a scan is requested, and the
 * receiver's folder status is polled until it holds the whole set; then its files are checked.
 * Then, untimed: a rescan of the unchanged folder on the sender, and the latency of the
 * receiver's folder status (median of 10 calls).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { startTestnet, formNetwork, waitForOnline, waitFor } from '../src/testing/index.js'
import type { TestDaemon } from '../src/testing/index.js'
import type { FolderView } from '../src/features/sync/views.js'
import type { DataSet } from './sync-data.js'
import { moveEntries, putBack, verify } from './sync-data.js'
import { cpuSeconds, peakRssMb, pollDelay, sleep, startClock } from './sync-proc.js'
import type { MemorySplit, SyncRun } from './sync-proc.js'
import { cleanupNow, onCleanup } from './sync-cleanup.js'

/** Options of a run. */
export interface RunOptions {
  /** Directory for the folders (removed by the caller). */
  work: string
  pollMs: number
  timeoutS: number
}

/** Calls the local API of a daemon. */
export type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>

/** A caller of `d`'s local API (bearer token, JSON). */
export async function apiOf (d: TestDaemon): Promise<Api> {
  const { url, token } = await d.apiAccess()
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const call = async (): Promise<Response> => await fetch(`${url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    // Polls are spaced by more than the server's 5 s keep-alive, so a reused connection may
    // be closed just as it is used (ECONNRESET): a GET is safe to send again.
    const res = await call().catch(async (err: unknown) => { if (method === 'GET') return await call(); throw err })
    if (!res.ok) throw new Error(`weft ${d.name} ${method} ${path}: ${res.status} ${await res.text()}`)
    return await res.json() as T
  }
}

/**
 * Seconds a rescan of the unchanged folder takes on `api`'s daemon: from the request to the
 * folder's `lastScanAt` (set by the daemon when the scan ends, same clock), once the folder is
 * idle again (so polling delay is not counted). Polled every 10 ms, but never more than a
 * tenth of the time (see pollDelay), as a status call may hold up the daemon.
 */
async function timeRescan (api: Api, timeoutS: number): Promise<number> {
  const first = performance.now()
  const before = (await api<FolderView>('GET', '/folders/bench')).lastScanAt
  // A status call may cost the daemon a pass over its index: even the first poll waits 9 times that.
  let lastPollMs = performance.now() - first
  const requested = Date.now()
  await api('POST', '/folders/bench/rescan')
  const deadline = performance.now() + timeoutS * 1000
  for (;;) {
    await sleep(pollDelay(10, lastPollMs))
    const now = performance.now()
    const s = await api<FolderView>('GET', '/folders/bench')
    lastPollMs = performance.now() - now
    if (s.error !== null) throw new Error(`weft sender folder error after the rescan: ${s.error}`)
    if (s.state === 'idle' && s.lastScanAt !== null && s.lastScanAt !== before && s.lastScanAt >= requested) return (s.lastScanAt - requested) / 1000
    if (now > deadline) throw new Error(`weft: rescan of the unchanged folder not done after ${timeoutS} s`)
  }
}

/** Median milliseconds of 10 calls of `GET /folders/bench` on `api`'s daemon (after one to warm up). */
async function statusLatency (api: Api): Promise<number> {
  await api<FolderView>('GET', '/folders/bench')
  const times: number[] = []
  for (let i = 0; i < 10; i++) {
    const t = performance.now()
    await api<FolderView>('GET', '/folders/bench')
    times.push(performance.now() - t)
  }
  times.sort((x, y) => x - y)
  return (times[4]! + times[5]!) / 2
}

/** Syncs `set` between two new weft daemons and measures it. */
export async function runWeft (set: DataSet, options: RunOptions): Promise<SyncRun> {
  const sendDir = join(options.work, 'weft-send')
  const recvDir = join(options.work, 'weft-recv')
  // A signal while the daemons start waits for them, then stops them (nothing is left running).
  const starting = startTestnet(2, { names: ['bench-send', 'bench-recv'] })
  let moved = false
  const undo = async (): Promise<void> => {
    await (await starting.catch(() => undefined))?.stop()
    const wasMoved = moved
    moved = false
    await putBack(set, sendDir, wasMoved, [sendDir, recvDir])
  }
  onCleanup(undo)
  try {
    const net = await starting
    const [a, b] = net.daemons as [TestDaemon, TestDaemon]
    await formNetwork([a, b], 'bench')
    await waitForOnline(a, [b.deviceId])
    const [sender, receiver] = await Promise.all([apiOf(a), apiOf(b)])
    await Promise.all([mkdir(sendDir, { recursive: true }), mkdir(recvDir, { recursive: true })])
    await sender('POST', '/folders', { path: sendDir, network: 'bench', id: 'bench', watch: false })
    await receiver('POST', '/folders', { path: recvDir, network: 'bench', id: 'bench', watch: false })
    await waitFor('weft folders to be shared and idle', async () => {
      const [s, r] = await Promise.all([sender<FolderView>('GET', '/folders/bench'), receiver<FolderView>('GET', '/folders/bench')])
      return s.state === 'idle' && r.state === 'idle' && s.peers.length === 1 && r.peers.length === 1
    }, 60_000, 200)
    const pids = await Promise.all([sender<{ pid: number }>('GET', '/status'), receiver<{ pid: number }>('GET', '/status')])
    const [sendPid, recvPid] = pids.map((s) => s.pid) as [number, number]

    const { idle, cpu0, startedWall, started } = await startClock([sendPid, recvPid], async () => { await moveEntries(set.staging, sendDir); moved = true })
    await sender('POST', '/folders/bench/rescan')
    let scanSeconds = NaN
    const deadline = started + options.timeoutS * 1000
    let statusMs = 0
    const none: MemorySplit = { rss: 0, heapUsed: 0, heapTotal: 0, arrayBuffers: 0 }
    const memoryAtPeak: [MemorySplit, MemorySplit] = [none, none]
    let memorySampledAt = -Infinity
    for (;;) {
      await sleep(pollDelay(options.pollMs, statusMs))
      const now = performance.now()
      if (now - memorySampledAt >= 1000) {
        memorySampledAt = now
        const splits = await Promise.all([sender<{ memory: MemorySplit }>('GET', '/status'), receiver<{ memory: MemorySplit }>('GET', '/status')])
        splits.forEach(({ memory }, i) => { if (memory.rss / 1048576 > memoryAtPeak[i]!.rss) memoryAtPeak[i] = megabytes(memory) })
      }
      if (Number.isNaN(scanSeconds)) {
        const s = await sender<FolderView>('GET', '/folders/bench')
        if (s.local.files === set.files && s.state !== 'scanning') scanSeconds = (now - started) / 1000
      }
      const r = await receiver<FolderView>('GET', '/folders/bench')
      statusMs = performance.now() - now
      if (r.error !== null) throw new Error(`weft receiver folder error: ${r.error}`)
      if (r.state === 'idle' && r.need.files === 0 && r.local.files === set.files && r.local.bytes === set.bytes) break
      if (now > deadline) throw new Error(`weft: receiver not in sync after ${options.timeoutS} s: ${JSON.stringify({ state: r.state, local: r.local, need: r.need })}`)
    }
    const seconds = (performance.now() - started) / 1000
    const rss: [number, number] = [peakRssMb(sendPid), peakRssMb(recvPid)]
    const cpu: [number, number] = [cpuSeconds(sendPid) - cpu0[0], cpuSeconds(recvPid) - cpu0[1]]
    const checked = await verify(set, recvDir)
    if (checked.problems.length > 0) throw new Error(`weft: receiver's data differs: ${checked.problems.join('; ')}`)
    const run: SyncRun = {
      seconds,
      landedSeconds: (checked.lastChangeMs - startedWall) / 1000,
      scanSeconds: Number.isNaN(scanSeconds) ? seconds : scanSeconds,
      peakRssMb: rss,
      cpuSeconds: cpu,
      idleRssMb: idle,
      memoryAtPeak
    }
    // After the timed part (CPU and RSS already read), two figures of issue 22.
    run.rescanSeconds = await timeRescan(sender, options.timeoutS)
    run.statusMs = await statusLatency(receiver)
    return run
  } finally {
    await cleanupNow(undo)
  }
}

/** A memory split in bytes as MB. */
function megabytes (m: MemorySplit): MemorySplit {
  const mb = (x: number): number => Math.round(x / 1048576)
  return { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), arrayBuffers: mb(m.arrayBuffers) }
}
