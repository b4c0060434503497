/**
 * Data sets of `npm run bench:sync`, written once into a staging directory and moved (renamed,
 * so instantly and without copying) into each sender's folder and back: (a) large files of
 * random data, (b) many small files spread over subdirectories. A manifest (size of every
 * file, SHA-256 of all or a sample) checks what a receiver ends up with.
 */
import { createHash, randomFillSync } from 'node:crypto'
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'

/** One data set, as generated. */
export interface DataSet {
  key: 'a' | 'b'
  title: string
  /** Where the files are while no sender holds them. */
  staging: string
  files: number
  bytes: number
  /** name → size (every file) and sha256 (all for (a), every 50th for (b)). */
  manifest: Map<string, { size: number, sha256?: string }>
}

async function writeWhole (path: string, data: Uint8Array): Promise<void> {
  const handle = await open(path, 'w')
  try {
    await handle.write(data)
  } finally {
    await handle.close()
  }
}

/** (a) `files` files of `fileBytes` random bytes each, at the top level. */
export async function generateLarge (staging: string, files: number, fileBytes: number): Promise<DataSet> {
  await mkdir(staging, { recursive: true })
  const manifest: DataSet['manifest'] = new Map()
  const buffer = Buffer.allocUnsafe(fileBytes)
  for (let i = 0; i < files; i++) {
    const name = `file-${String(i).padStart(4, '0')}.bin`
    randomFillSync(buffer)
    await writeWhole(join(staging, name), buffer)
    manifest.set(name, { size: fileBytes, sha256: createHash('sha256').update(buffer).digest('hex') })
  }
  return { key: 'a', title: `(a) ${files} files of random data, ${(files * fileBytes / 2 ** 20).toFixed(0)} MiB`, staging, files, bytes: files * fileBytes, manifest }
}

/** (b) `files` files of 1 to 10 KiB (uniform), 100 per directory, 10 directories per top-level one. */
export async function generateSmall (staging: string, files: number): Promise<DataSet> {
  const manifest: DataSet['manifest'] = new Map()
  const pool = randomFillSync(Buffer.allocUnsafe(16 * 2 ** 20))
  let bytes = 0
  let next = 0
  const names: string[] = []
  for (let i = 0; i < files; i++) {
    const top = Math.floor(i / 1000)
    const sub = Math.floor(i / 100) % 10
    names.push(`t${String(top).padStart(3, '0')}/s${sub}/f${String(i).padStart(6, '0')}.dat`)
  }
  for (let d = 0; d < files; d += 100) await mkdir(join(staging, names[d]!, '..'), { recursive: true })
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++
      if (i >= files) return
      const name = names[i]!
      const size = 1024 + Math.floor(Math.random() * 9 * 1024 + 1)
      const offset = Math.floor(Math.random() * (pool.length - size))
      const data = Buffer.from(pool.subarray(offset, offset + size))
      data.writeUInt32BE(i, 0) // every file distinct, so no block can be reused from another
      await writeWhole(join(staging, name), data)
      bytes += size
      manifest.set(name, i % 50 === 0 ? { size, sha256: createHash('sha256').update(data).digest('hex') } : { size })
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
  return { key: 'b', title: `(b) ${files} files of 1–10 KiB in ${Math.ceil(files / 100)} directories, ${(bytes / 2 ** 20).toFixed(0)} MiB`, staging, files, bytes, manifest }
}

/** Moves every top-level entry of `from` into `to` (same file system: renames only). */
export async function moveEntries (from: string, to: string): Promise<void> {
  for (const name of await readdir(from)) await rename(join(from, name), join(to, name))
}

/** Moves the data set's entries from a sender folder back to staging (leaves the folder's own files). */
export async function moveBack (set: DataSet, folder: string): Promise<void> {
  const tops = new Set([...set.manifest.keys()].map((n) => n.split('/')[0]!))
  for (const name of tops) await rename(join(folder, name), join(set.staging, name))
}

/**
 * The end of a run: the set goes back to staging from `sendDir` (when it was moved there)
 * and the run's folders are removed.
 */
export async function putBack (set: DataSet, sendDir: string, moved: boolean, folders: readonly string[]): Promise<void> {
  if (moved) await moveBack(set, sendDir)
  for (const folder of folders) await rm(folder, { recursive: true, force: true })
}

/** Names a sync tool keeps for itself in a folder (not data). */
function internal (name: string): boolean {
  return name === '.stfolder' || name === '.stversions' || name === '.stignore'
}

/** What {@link verify} found. */
export interface Verified {
  problems: string[]
  /** Latest change time (ctime, ms since the epoch) of any file: when the last one landed. */
  lastChangeMs: number
}

/**
 * Checks that `root` holds exactly the data set: the same file names (no extra files, so no
 * temporary left behind), every size, and the manifest's hashes.
 */
export async function verify (set: DataSet, root: string): Promise<Verified> {
  const problems: string[] = []
  const seen = new Set<string>()
  let lastChangeMs = 0
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      const name = relative(root, path)
      if (internal(name)) continue
      if (entry.isDirectory()) { await walk(path); continue }
      seen.add(name)
      const want = set.manifest.get(name)
      if (want === undefined) { if (problems.length < 10) problems.push(`unexpected file ${name}`); continue }
      const st = await stat(path)
      lastChangeMs = Math.max(lastChangeMs, st.ctimeMs)
      if (st.size !== want.size) { if (problems.length < 10) problems.push(`${name}: wrong size`); continue }
      if (want.sha256 !== undefined && createHash('sha256').update(await readFile(path)).digest('hex') !== want.sha256) {
        if (problems.length < 10) problems.push(`${name}: wrong content`)
      }
    }
  }
  await walk(root)
  const missing = set.manifest.size - [...set.manifest.keys()].filter((n) => seen.has(n)).length
  if (missing > 0) problems.push(`${missing} files missing`)
  return { problems, lastChangeMs }
}
