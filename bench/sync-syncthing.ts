/**
 * One run of `npm run bench:sync` through Syncthing (the baseline): two fresh instances
 * (src/testing/syncthing.ts: loopback only, optionally inside a namespace holding only `lo`)
 * are paired and share an empty folder with the watcher off; the data set is moved into the
 * sender's folder, a scan is requested, and the receiver's folder status is polled until it
 * holds the whole set; then its files are checked, exactly as for weft.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { SyncthingInstance, pairSyncthing, waitFor } from '../src/testing/index.js'
import type { DataSet } from './sync-data.js'
import { moveEntries, putBack, verify } from './sync-data.js'
import { cpuSeconds, peakRssMb, pollDelay, sleep, startClock } from './sync-proc.js'
import type { SyncRun } from './sync-proc.js'
import type { RunOptions } from './sync-weft.js'
import { cleanupNow, onCleanup } from './sync-cleanup.js'

/** Syncs `set` between two new Syncthing instances (run under `wrap`) and measures it. */
export async function runSyncthing (set: DataSet, options: RunOptions & { wrap: string[] }): Promise<SyncRun> {
  const sendDir = join(options.work, 'st-send')
  const recvDir = join(options.work, 'st-recv')
  const instances: SyncthingInstance[] = []
  let moved = false
  // A signal while an instance starts waits for it, then stops it.
  let starting: Promise<unknown> = Promise.resolve()
  const undo = async (): Promise<void> => {
    await starting.catch(() => {})
    await Promise.allSettled(instances.map(async (i) => { await i.stop() }))
    const wasMoved = moved
    moved = false
    await putBack(set, sendDir, wasMoved, [sendDir, recvDir])
  }
  onCleanup(undo)
  try {
    for (const name of ['st-send', 'st-recv']) {
      const instance = SyncthingInstance.start({ name, wrap: options.wrap })
      starting = instance
      instances.push(await instance)
    }
    const [a, b] = instances as [SyncthingInstance, SyncthingInstance]
    await pairSyncthing(a, b)
    for (const [side, path] of [[a, sendDir], [b, recvDir]] as const) {
      await mkdir(path, { recursive: true })
      await side.shareFolder({ id: 'bench', path, devices: [a.deviceId, b.deviceId] })
    }
    await waitFor('Syncthing folders to be idle', async () => {
      const [s, r] = await Promise.all([a.folderStatus('bench'), b.folderStatus('bench')])
      return s.state === 'idle' && r.state === 'idle'
    }, 60_000, 200)

    const { idle, cpu0, startedWall, started } = await startClock([a.pid, b.pid], async () => { await moveEntries(set.staging, sendDir); moved = true })
    await a.scan('bench')
    let scanSeconds = NaN
    const deadline = started + options.timeoutS * 1000
    let statusMs = 0
    for (;;) {
      await sleep(pollDelay(options.pollMs, statusMs))
      const now = performance.now()
      if (Number.isNaN(scanSeconds)) {
        const s = await a.folderStatus('bench')
        if (s.localFiles === set.files && s.state !== 'scanning' && s.state !== 'scan-waiting') scanSeconds = (now - started) / 1000
      }
      const r = await b.folderStatus('bench')
      statusMs = performance.now() - now
      // Syncthing counts 128 bytes per directory in localBytes, so files and needs decide.
      if (r.state === 'idle' && r.needFiles === 0 && r.needBytes === 0 && r.localFiles === set.files && r.globalFiles === set.files) break
      if (now > deadline) throw new Error(`Syncthing: receiver not in sync after ${options.timeoutS} s: ${JSON.stringify({ state: r.state, localFiles: r.localFiles, needFiles: r.needFiles })}`)
    }
    const seconds = (performance.now() - started) / 1000
    const rss: [number, number] = [peakRssMb(a.pid), peakRssMb(b.pid)]
    const cpu: [number, number] = [cpuSeconds(a.pid) - cpu0[0], cpuSeconds(b.pid) - cpu0[1]]
    const checked = await verify(set, recvDir)
    if (checked.problems.length > 0) throw new Error(`Syncthing: receiver's data differs: ${checked.problems.join('; ')}`)
    const run: SyncRun = {
      seconds,
      landedSeconds: (checked.lastChangeMs - startedWall) / 1000,
      scanSeconds: Number.isNaN(scanSeconds) ? seconds : scanSeconds,
      peakRssMb: rss,
      cpuSeconds: cpu,
      idleRssMb: idle
    }
    // Untimed, as for weft: a rescan of the unchanged folder on the sender (the REST call
    // returns when the scan is done).
    const rescanStarted = performance.now()
    await a.scan('bench')
    run.rescanSeconds = (performance.now() - rescanStarted) / 1000
    return run
  } finally {
    await cleanupNow(undo)
  }
}
