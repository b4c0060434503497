/**
 * A weft daemon paired with a real Syncthing for interop tests and benchmarks: the Syncthing
 * instance (harness in syncthing.ts) and the weft daemon know each other's device IDs, one
 * folder is shared between them, and helpers compare the two folders by content hash. Either
 * side can dial: `weftDials` gives weft Syncthing's address and Syncthing `dynamic`; otherwise
 * Syncthing dials weft's BEP listener and weft waits.
 */
import { createHash, randomFillSync } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import type { TestDaemon } from './testnet.js'
import { SyncthingInstance } from './syncthing.js'
import { waitFor } from './wait.js'

/** What `weft syncthing ls --json` returns (the fields tests use). */
export interface SyncthingLs {
  id: string
  listen: string | null
  devices: Array<{ id: string, connected: boolean, peer: { name: string, client: string, address: string, direction: 'in' | 'out' } | null, stats: { recordsIn: number, recordsOut: number, messagesIn: Record<string, number>, messagesOut: Record<string, number> } | null, folders: string[] }>
  pending: Array<{ device: string, address: string }>
}

/** Names never compared: markers, ignore files, versions. */
const internal = new Set(['.stfolder', '.stignore', '.stversions'])

/**
 * name → sha256 of every file under `root` (directories as `dir`, temp files included so
 * leftovers show); with `hash: false`, name → size only (cheap, for polling).
 */
export async function folderTree (root: string, hash = true): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  async function walk (dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true })
    entries.sort((x, y) => x.name < y.name ? -1 : x.name > y.name ? 1 : 0)
    for (const entry of entries) {
      const path = join(dir, entry.name)
      const name = relative(root, path)
      if (internal.has(name)) continue
      if (entry.isDirectory()) { out[name + '/'] = 'dir'; await walk(path) } else out[name] = hash ? await sha256File(path) : String((await stat(path)).size)
    }
  }
  await walk(root)
  return out
}

async function sha256File (path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer)
  return h.digest('hex')
}

/**
 * Waits until every folder holds the same names with the same content (names and sizes are
 * polled; content is hashed once they agree); returns the tree of hashes.
 */
export async function sameTrees (a: string, b: string, what: string, timeoutMs = 120_000, ...more: string[]): Promise<Record<string, string>> {
  const dirs = [a, b, ...more]
  let last = ''
  try {
    return await waitFor(what, async () => {
      const sizes = await Promise.all(dirs.map(async (d) => JSON.stringify(await folderTree(d, false))))
      last = dirs.map((d, i) => `\n  ${d}: ${sizes[i]?.slice(0, 600) ?? ''}`).join('')
      if (sizes.some((t) => t !== sizes[0])) return undefined
      const trees = await Promise.all(dirs.map(async (d) => await folderTree(d)))
      const texts = trees.map((t) => JSON.stringify(t))
      last = dirs.map((d, i) => `\n  ${d}: ${texts[i]?.slice(0, 600) ?? ''}`).join('')
      return texts.every((t) => t === texts[0]) ? trees[0] : undefined
    }, timeoutMs, 250)
  } catch (err) {
    throw new Error(`${(err as Error).message}${last}`, { cause: err })
  }
}

/**
 * Writes a mixed set of random files under `dir/prefix` (500 MiB at scale 1): one of 260 MiB
 * (beyond 250 MiB, so blocks of 256 KiB), four of 30 MiB, sixty of 1 MiB, 960 of 64 KiB in
 * subdirectories, and a few empty files. Returns the number of files and bytes.
 */
export async function writeMixedSet (dir: string, prefix: string, scale = 1): Promise<{ files: number, bytes: number }> {
  const plan: Array<[string, number]> = [[`${prefix}/huge.bin`, Math.round(260 * 2 ** 20 * scale)]]
  for (let i = 0; i < 4; i++) plan.push([`${prefix}/large-${i}.bin`, Math.round(30 * 2 ** 20 * scale)])
  for (let i = 0; i < Math.round(60 * scale); i++) plan.push([`${prefix}/medium/m${i}.bin`, 2 ** 20])
  for (let i = 0; i < Math.round(960 * scale); i++) plan.push([`${prefix}/small/s${Math.floor(i / 100)}/f${i}.dat`, 64 * 1024])
  for (let i = 0; i < 5; i++) plan.push([`${prefix}/empty-${i}`, 0])
  let bytes = 0
  for (const [name, size] of plan) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    // All random: no block can be reused from another file, so every byte crosses the link.
    await writeFile(join(dir, name), randomFillSync(Buffer.allocUnsafe(size)))
    bytes += size
  }
  return { files: plan.length, bytes }
}

/** Options of {@link pairWithSyncthing}. */
export interface PairOptions {
  /** Folder ID (default `shared`). */
  folder?: string
  /** True: weft dials Syncthing. False: Syncthing dials weft's listener (weft must have one). */
  weftDials: boolean
  /** weft's BEP listen address, when Syncthing dials (e.g. `tcp://127.0.0.1:PORT`). */
  weftAddress?: string
  /** The weft network the folder belongs to (created if missing; default `home`). */
  network?: string
  /** An existing Syncthing (default: a fresh one). */
  syncthing?: SyncthingInstance
}

/** A weft daemon and a Syncthing sharing one folder. */
export interface SyncthingPair {
  st: SyncthingInstance
  weftStId: string
  folder: string
  weftDir: string
  stDir: string
}

/** Pairs `weft` with a Syncthing, shares one folder both ways, waits until they are connected. */
export async function pairWithSyncthing (weft: TestDaemon, options: PairOptions): Promise<SyncthingPair> {
  const folder = options.folder ?? 'shared'
  const network = options.network ?? 'home'
  const st = options.syncthing ?? await SyncthingInstance.start({ name: 'st' })
  const { syncthingDeviceId: weftStId } = await weft.json<{ syncthingDeviceId: string }>(['syncthing', 'id'])
  const weftDir = join(weft.home, `folder-${folder}`)
  const stDir = join(st.home, `folder-${folder}`)
  await mkdir(stDir, { recursive: true })
  // The dialled side first, so the first dial is not refused as an unknown device.
  if (options.weftDials) {
    await st.addDevice(weftStId, 'dynamic', 'weft')
    await weft.json(['syncthing', 'add', st.deviceId, st.address, '--name', st.name])
  } else {
    await weft.json(['syncthing', 'add', st.deviceId, 'dynamic', '--name', st.name])
    await st.addDevice(weftStId, options.weftAddress ?? '', 'weft')
  }
  const nets = await weft.json<Array<{ name: string }>>(['net', 'ls'])
  if (!nets.some((n) => n.name === network)) await weft.json(['net', 'create', network])
  await weft.json(['folder', 'add', weftDir, '--net', network, '--id', folder])
  await weft.json(['folder', 'share', folder, '--syncthing', st.deviceId])
  await st.shareFolder({ id: folder, path: stDir, devices: [weftStId] })
  await waitFor(`weft and syncthing to connect and share ${folder}`, async () => {
    const view = await weft.json<{ peers: string[] }>(['folder', 'status', folder])
    return view.peers.includes(st.deviceId) && await st.connected(weftStId)
  }, 60_000, 200)
  return { st, weftStId, folder, weftDir, stDir }
}

/** The Syncthing device as `weft syncthing ls` shows it. */
export async function syncthingPeer (weft: TestDaemon, device: string): Promise<SyncthingLs['devices'][number]> {
  const view = await weft.json<SyncthingLs>(['syncthing', 'ls'])
  const found = view.devices.find((d) => d.id === device)
  if (found === undefined) throw new Error(`weft does not know Syncthing device ${device}`)
  return found
}
