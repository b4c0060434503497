/**
 * The interop runs of `npm run bench:sync`: a fresh weft daemon and a fresh Syncthing, paired
 * over BEP on TCP+TLS (weft dials), share an empty folder with the watcher off on both; the
 * data set is moved into one side's folder, a scan is requested there, and the other side's
 * folder status is polled until it holds the whole set; then its files are checked, as for the
 * weft-weft and Syncthing-Syncthing runs. Both processes run on the host's loopback (weft's
 * API is TCP on 127.0.0.1, which the bench must reach), Syncthing with its offline options.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { SyncthingInstance, startTestnet, waitFor } from '../src/testing/index.js'
import type { TestDaemon } from '../src/testing/index.js'
import type { FolderView } from '../src/features/sync/views.js'
import type { DataSet } from './sync-data.js'
import { moveEntries, putBack, verify } from './sync-data.js'
import { cpuSeconds, peakRssMb, pollDelay, sleep, startClock } from './sync-proc.js'
import type { SyncRun } from './sync-proc.js'
import { apiOf } from './sync-weft.js'
import type { RunOptions } from './sync-weft.js'
import { cleanupNow, onCleanup } from './sync-cleanup.js'

/** Which way the data goes. */
export type InteropDirection = 'weft-to-syncthing' | 'syncthing-to-weft'

/** Syncs `set` from one side to the other of a new weft–Syncthing pair and measures it. */
export async function runInterop (set: DataSet, direction: InteropDirection, options: RunOptions): Promise<SyncRun> {
  const weftDir = join(options.work, 'interop-weft')
  const stDir = join(options.work, 'interop-st')
  const sendDir = direction === 'weft-to-syncthing' ? weftDir : stDir
  const recvDir = direction === 'weft-to-syncthing' ? stDir : weftDir
  // A signal while a daemon or Syncthing starts waits for it, then stops it.
  const starting = startTestnet(1, { names: ['bench-weft'] })
  let stStarting: Promise<SyncthingInstance | undefined> = Promise.resolve(undefined)
  let moved = false
  const undo = async (): Promise<void> => {
    await (await stStarting.catch(() => undefined))?.stop()
    await (await starting.catch(() => undefined))?.stop()
    const wasMoved = moved
    moved = false
    await putBack(set, sendDir, wasMoved, [weftDir, stDir])
  }
  onCleanup(undo)
  try {
    const weft = (await starting).daemons[0] as TestDaemon
    const stStart = SyncthingInstance.start({ name: 'st-bench' })
    stStarting = stStart
    const st = await stStart
    const api = await apiOf(weft)
    const { syncthingDeviceId: weftStId } = await weft.json<{ syncthingDeviceId: string }>(['syncthing', 'id'])
    await st.addDevice(weftStId, 'dynamic', 'weft')
    await api('POST', '/networks', { name: 'bench' })
    await api('POST', '/syncthing/devices', { id: st.deviceId, address: st.address, name: 'st' })
    await Promise.all([mkdir(weftDir, { recursive: true }), mkdir(stDir, { recursive: true })])
    await api('POST', '/folders', { path: weftDir, network: 'bench', id: 'bench', watch: false })
    await api('POST', '/folders/bench/share', { syncthing: st.deviceId })
    await st.shareFolder({ id: 'bench', path: stDir, devices: [weftStId] })
    const sti = st
    await waitFor('weft and Syncthing to share the folder, idle', async () => {
      const [w, s] = await Promise.all([api<FolderView>('GET', '/folders/bench'), sti.folderStatus('bench')])
      return w.state === 'idle' && w.peers.some((p) => p === sti.deviceId) && s.state === 'idle' && await sti.connected(weftStId)
    }, 60_000, 200)
    const weftPid = (await api<{ pid: number }>('GET', '/status')).pid
    const [sendPid, recvPid] = direction === 'weft-to-syncthing' ? [weftPid, st.pid] : [st.pid, weftPid]

    const { idle, cpu0, startedWall, started } = await startClock([sendPid, recvPid], async () => { await moveEntries(set.staging, sendDir); moved = true })
    if (direction === 'weft-to-syncthing') await api('POST', '/folders/bench/rescan')
    else await st.scan('bench')
    let scanSeconds = NaN
    const deadline = started + options.timeoutS * 1000
    let statusMs = 0
    for (;;) {
      await sleep(pollDelay(options.pollMs, statusMs))
      const now = performance.now()
      if (Number.isNaN(scanSeconds)) {
        const scanned = direction === 'weft-to-syncthing'
          ? await api<FolderView>('GET', '/folders/bench').then((s) => s.local.files === set.files && s.state !== 'scanning')
          : await st.folderStatus('bench').then((s) => s.localFiles === set.files && s.state !== 'scanning' && s.state !== 'scan-waiting')
        if (scanned) scanSeconds = (now - started) / 1000
      }
      const done = direction === 'weft-to-syncthing'
        ? await st.folderStatus('bench').then((r) => r.state === 'idle' && r.needFiles === 0 && r.needBytes === 0 && r.localFiles === set.files && r.globalFiles === set.files)
        : await api<FolderView>('GET', '/folders/bench').then((r) => {
          if (r.error !== null) throw new Error(`weft receiver folder error: ${r.error}`)
          return r.state === 'idle' && r.need.files === 0 && r.local.files === set.files && r.local.bytes === set.bytes
        })
      statusMs = performance.now() - now
      if (done) break
      if (now > deadline) throw new Error(`${direction}: receiver not in sync after ${options.timeoutS} s`)
    }
    const seconds = (performance.now() - started) / 1000
    const rss: [number, number] = [peakRssMb(sendPid), peakRssMb(recvPid)]
    const cpu: [number, number] = [cpuSeconds(sendPid) - cpu0[0], cpuSeconds(recvPid) - cpu0[1]]
    const checked = await verify(set, recvDir)
    if (checked.problems.length > 0) throw new Error(`${direction}: receiver's data differs: ${checked.problems.join('; ')}`)
    return {
      seconds,
      landedSeconds: (checked.lastChangeMs - startedWall) / 1000,
      scanSeconds: Number.isNaN(scanSeconds) ? seconds : scanSeconds,
      peakRssMb: rss,
      cpuSeconds: cpu,
      idleRssMb: idle
    }
  } finally {
    await cleanupNow(undo)
  }
}
