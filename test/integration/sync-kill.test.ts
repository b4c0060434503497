/**
 * Folder sync survives crashes: two real daemons sync set (a) at scale 0.4 (80 files of
 * 2.5 MiB random data) while one of them, the receiver in one case and the sender in the
 * other, is killed with SIGKILL at ten seeded random moments and restarted on the same home
 * each time. At the end the receiver must hold exactly the sender's files, byte for byte, and
 * no temporary file of a pull anywhere. Set WEFT_SYNC_KILL_SEED to replay a run's random draws
 * (the moments themselves also depend on how fast the transfer goes).
 */
import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import { strict as assert } from 'node:assert'
import { createHash, randomFillSync } from 'node:crypto'
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { startTestnet, formNetwork, waitForOnline, waitFor } from '../../src/testing/index.js'
import type { TestDaemon } from '../../src/testing/index.js'
import type { FolderView } from '../../src/features/sync/views.js'

const fileCount = 80
const fileBytes = 2.5 * 2 ** 20
const totalBytes = fileCount * fileBytes
const kills = 10
const folderId = 'killed'
/** Root-level names the daemons keep for themselves in a folder (not data). */
const internalNames = new Set(['.stfolder', '.stignore', '.stversions', '.weft'])
const isTemp = (base: string): boolean => base.startsWith('.syncthing.') && base.endsWith('.tmp')
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1)
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** A small seeded generator (mulberry32): the same seed gives the same kill moments. */
function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const baseSeed = process.env.WEFT_SYNC_KILL_SEED !== undefined ? Number(process.env.WEFT_SYNC_KILL_SEED) : Math.floor(Math.random() * 2 ** 31)

/** What a folder holds on disk right now. */
interface DiskState {
  /** Relative path → size of every regular data file (temporaries excluded). */
  files: Map<string, number>
  /** Relative paths of pull temporaries (anywhere, internal directories included). */
  temps: string[]
  /** Bytes actually allocated to data files and temporaries (temporaries are sparse at first). */
  allocated: number
}

async function diskState (root: string): Promise<DiskState> {
  const state: DiskState = { files: new Map(), temps: [], allocated: 0 }
  let entries
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true })
  } catch {
    return state
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    const name = relative(root, path)
    let st
    try { st = await stat(path) } catch { continue } // renamed or removed under our feet
    if (isTemp(entry.name)) {
      state.temps.push(name)
      state.allocated += Math.min(st.size, st.blocks * 512)
      continue
    }
    if (internalNames.has(name.split('/')[0]!)) continue
    state.files.set(name, st.size)
    state.allocated += Math.min(st.size, st.blocks * 512)
  }
  return state
}

const describeDisk = (d: DiskState): string => `${d.files.size} files, ${d.temps.length} temporaries, ${mib(d.allocated)} MiB allocated`

/** Writes set (a) at scale 0.4 into `dir`. */
async function writeSet (dir: string): Promise<void> {
  const buffer = Buffer.allocUnsafe(fileBytes)
  for (let i = 0; i < fileCount; i++) {
    randomFillSync(buffer)
    await writeFile(join(dir, `file-${String(i).padStart(4, '0')}.bin`), buffer)
  }
}

/** SHA-256 of every data file under `root`. */
async function hashes (root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const name of (await diskState(root)).files.keys()) {
    out.set(name, createHash('sha256').update(await readFile(join(root, name))).digest('hex'))
  }
  return out
}

type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>

/** A caller of `d`'s local API; read again after every restart (the port is ephemeral). */
async function apiOf (d: TestDaemon): Promise<Api> {
  const { url, token } = await d.apiAccess()
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000) })
    if (!res.ok) throw new Error(`${d.name} ${method} ${path}: ${res.status} ${await res.text()}`)
    return await res.json() as T
  }
}

const describeView = (v: FolderView | undefined): string => v === undefined
  ? 'no answer'
  : `${v.state}, local ${v.local.files} files/${mib(v.local.bytes)} MiB, need ${v.need.files} files${v.peers.length === 0 ? ', no peer' : ''}${v.error !== null ? `, error ${v.error}` : ''}`

/** A restart under way: `done` settles when the API answers, or when the start is killed on purpose. */
interface Restart {
  done: Promise<void>
  settled: boolean
  /** Set before killing the daemon, so that a start cut short is not a failure. */
  killed: boolean
}

function restartOf (d: TestDaemon, onAnswering: (ms: number) => void): Restart {
  const began = Date.now()
  const restart: Restart = { done: Promise.resolve(), settled: false, killed: false }
  restart.done = d.start().then(() => {
    restart.settled = true
    onAnswering(Date.now() - began)
  }, (err: unknown) => {
    restart.settled = true
    if (!restart.killed) throw err
  })
  restart.done.catch(() => {}) // handled where it is awaited; not an unhandled rejection meanwhile
  return restart
}

async function syncUnderKills (t: TestContext, victimRole: 'sender' | 'receiver', seed: number): Promise<void> {
  const log = (line: string): void => { t.diagnostic(line); console.log(`[sync-kill ${victimRole}] ${line}`) }
  log(`seed ${seed} (same draws again with WEFT_SYNC_KILL_SEED=${baseSeed})`)
  const random = seededRandom(seed)
  const net = await startTestnet(2, { names: ['send', 'recv'] })
  t.after(async () => { await net.stop() })
  const [send, recv] = net.daemons as [TestDaemon, TestDaemon]
  const victim = victimRole === 'sender' ? send : recv
  const sendDir = join(send.home, 'shared')
  const recvDir = join(recv.home, 'shared')
  await formNetwork([send, recv], 'home')
  await waitForOnline(send, [recv.deviceId])
  await Promise.all([mkdir(sendDir), mkdir(recvDir)])
  const sender = await apiOf(send)
  let receiver = await apiOf(recv)
  await sender('POST', '/folders', { path: sendDir, network: 'home', id: folderId, watch: false })
  await receiver('POST', '/folders', { path: recvDir, network: 'home', id: folderId, watch: false })
  await waitFor('both folders shared and idle', async () => {
    const [s, r] = await Promise.all([sender<FolderView>('GET', `/folders/${folderId}`), receiver<FolderView>('GET', `/folders/${folderId}`)])
    return s.state === 'idle' && r.state === 'idle' && s.peers.length === 1 && r.peers.length === 1
  }, 60_000, 100)
  await writeSet(sendDir)
  const want = await hashes(sendDir)

  // Kill moments: the first one 0–1 s after the scan request (during the sender's scan and
  // the first pulls); each later one once the receiver holds a seeded random share more of
  // what it still lacks (on average an equal share for each kill left, so the moments spread
  // over the transfer and its commits rather than piling up after it), plus 0–250 ms. The
  // victim is restarted at once, and a moment may come before its API answers (a kill during
  // its start: opening the index, the start-up scan, reconnecting, resuming temporaries).
  // On any failure, the log says what the receiver was left with and what both daemons said.
  let last: FolderView | undefined
  try {
    const started = Date.now()
    const seconds = (): string => ((Date.now() - started) / 1000).toFixed(2)
    await sender('POST', `/folders/${folderId}/rescan`)
    let restart: Restart | undefined
    for (let i = 0; i < kills; i++) {
      let why = ''
      if (i === 0) {
        await sleep(random() * 1000)
      } else {
        const now = (await diskState(recvDir)).allocated
        const target = Math.min(now + random() * 2 / (kills - i + 1) * (totalBytes - now), totalBytes)
        why = ` (once past ${mib(target)} MiB)`
        const reached = waitFor(`the receiver to hold ${mib(target)} MiB before kill ${i + 1}`, async () => (await diskState(recvDir)).allocated >= target, 120_000, 20)
        // A restart that fails on its own (not killed by us) fails the test at once.
        reached.catch(() => {}) // (a failed restart wins the race; this one is then moot)
        await Promise.race([reached, restart!.done.then(async () => await new Promise<never>(() => {}))])
        await sleep(random() * 250)
      }
      const starting = restart !== undefined && !restart.settled
      const [victimView, disk] = await Promise.all([
        starting ? undefined : (await apiOf(victim))<FolderView>('GET', `/folders/${folderId}`).catch(() => undefined),
        diskState(recvDir)
      ])
      if (restart !== undefined) restart.killed = true
      await victim.kill()
      await restart?.done
      log(`kill ${i + 1} of the ${victimRole} at ${seconds()} s${why}: ${victimRole} ${starting ? 'still starting (API not answering yet)' : describeView(victimView)}; receiver's disk ${describeDisk(disk)}`)
      restart = restartOf(victim, (ms) => { log(`  ${victimRole} restarted (API answering) in ${(ms / 1000).toFixed(1)} s, at ${seconds()} s`) })
    }
    await restart?.done
    receiver = await apiOf(recv)

    await waitFor('the receiver in sync', async () => {
      last = await receiver<FolderView>('GET', `/folders/${folderId}`)
      return last.state === 'idle' && last.need.files === 0 && last.local.files === fileCount && last.local.bytes === totalBytes
    }, 180_000, 200)
    log(`in sync ${((Date.now() - started) / 1000).toFixed(1)} s after the scan request: receiver ${describeView(last)}`)

    const sendDisk = await diskState(sendDir)
    assert.deepEqual(sendDisk.temps, [], 'no temporary file in the sender\'s folder')
    assert.equal(sendDisk.files.size, fileCount, 'the sender still holds its files')
    assert.deepEqual(await hashes(sendDir), want, 'the sender\'s files are unchanged')
    const recvDisk = await diskState(recvDir)
    assert.deepEqual(recvDisk.temps, [], 'no temporary file left in the receiver\'s folder')
    const got = await hashes(recvDir)
    const missing = [...want.keys()].filter((n) => !got.has(n))
    const extra = [...got.keys()].filter((n) => !want.has(n))
    const differing = [...want.keys()].filter((n) => got.has(n) && got.get(n) !== want.get(n))
    assert.deepEqual({ missing, extra, differing }, { missing: [], extra: [], differing: [] }, 'the receiver holds exactly the sender\'s files, byte for byte')
  } catch (err) {
    const disk = await diskState(recvDir)
    log(`FAILED; receiver's last status: ${JSON.stringify(last)}`)
    log(`receiver's disk: ${describeDisk(disk)}; temporaries: ${disk.temps.join(', ')}`)
    log(`receiver's output (tail):\n${recv.output.slice(-4000)}`)
    log(`sender's output (tail):\n${send.output.slice(-4000)}`)
    throw err
  }
}

describe('folder sync: a daemon killed with SIGKILL during a sync', () => {
  it('the receiver killed at ten random moments ends byte-identical, no temporary left', async (t) => {
    await syncUnderKills(t, 'receiver', baseSeed)
  })

  it('the sender killed at ten random moments: the receiver ends byte-identical, no temporary left', async (t) => {
    await syncUnderKills(t, 'sender', baseSeed + 1)
  })
})
