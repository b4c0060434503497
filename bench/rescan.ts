/**
 * How long a rescan of an unchanged folder takes, and where the time goes: N small files on
 * disk (100 directories), a first scan into a real index, then rescans of the unchanged folder
 * timed whole and in parts (the walk alone, the index's pages alone). Baseline in the same run:
 * a bare walk (readdir + lstat of every name, no weft code). Prints wall and CPU times (CPU is
 * the steadier figure on a shared machine); asserts nothing.
 * Usage: node dist/bench/rescan.js [N=100000] [rounds=3] [--profile FILE] (a CPU profile of the
 * timed rescans only)
 */
import { lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BepDeviceId, FolderId } from '../src/features/sync/types.js'
import { shortId } from '../src/features/sync/model/vector.js'
import { IndexStore } from '../src/features/sync/index/store.js'
import { scanFolder } from '../src/features/sync/scanner/scanner.js'
import { walkFolderBatches } from '../src/features/sync/scanner/walker.js'

const LOCAL = '11'.repeat(32) as BepDeviceId
const FOLDER = 'bench' as FolderId
const args = process.argv.slice(2)
const profileAt = args.indexOf('--profile')
const profilePath = profileAt >= 0 ? args.splice(profileAt, 2)[1] : undefined
const total = Number(args[0] ?? 100_000)
const rounds = Number(args[1] ?? 3)

async function timed<T> (label: string, fn: () => Promise<T> | T): Promise<T> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const result = await fn()
  const wall = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  console.log(`${label.padEnd(34)} ${wall.toFixed(3)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(3)} CPU-s (user ${(cpu.user / 1e6).toFixed(3)}, sys ${(cpu.system / 1e6).toFixed(3)})`)
  return result
}

function bareWalk (dir: string): number {
  let n = 0
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    const st = lstatSync(path, { bigint: true })
    n++
    if (st.isDirectory()) n += bareWalk(path)
  }
  return n
}

const home = await mkdtemp(join(tmpdir(), 'weft-rescan-'))
const root = join(home, 'folder')
try {
  mkdirSync(root)
  await timed(`create ${total} files`, () => {
    writeFileSync(join(root, '.stfolder'), '')
    for (let d = 0; d < 100; d++) mkdirSync(join(root, `dir${d}`))
    for (let i = 0; i < total; i++) writeFileSync(join(root, `dir${i % 100}`, `file-${i}.dat`), `content ${i}\n`)
  })
  const index = IndexStore.open({ path: join(home, 'index.db'), localDevice: LOCAL })
  const version = [{ id: shortId(LOCAL), value: 1n }]
  const scan = async (): Promise<number> => {
    let changed = 0
    const result = await scanFolder({
      root,
      previous: (name) => index.getFile(FOLDER, LOCAL, name)?.file,
      previousPages: (after, limit) => index.localMetaAfter(FOLDER, after, limit),
      onChanged: (batch) => {
        changed += batch.length
        index.updateLocal(FOLDER, batch.map((f) => ({ ...f, version, modifiedBy: shortId(LOCAL), sequence: 0 })))
      }
    })
    return changed + result.changed.length + result.deleted.length
  }
  console.log(`first scan: ${await timed('first scan (hashing)', scan)} changes`)
  const session = new Session()
  if (profilePath !== undefined) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
  }
  for (let r = 0; r < rounds; r++) {
    console.log(`-- round ${r + 1}`)
    console.log(`   ${await timed('bare walk (readdir + lstat)', () => bareWalk(root))} entries`)
    await timed('weft walk', async () => {
      let n = 0
      for await (const batch of walkFolderBatches(root)) n += batch.length
      return n
    })
    await timed('index pages (localMetaAfter)', () => {
      let after = ''
      let n = 0
      for (;;) {
        const page = index.localMetaAfter(FOLDER, after, 1000)
        n += page.length
        if (page.length < 1000) return n
        after = page[page.length - 1]!.name
      }
    })
    const changes = await timed('rescan (scanFolder)', scan)
    if (changes !== 0) console.log(`   unexpected: ${changes} changes in an unchanged folder`)
  }
  if (profilePath !== undefined) {
    const { profile } = await session.post('Profiler.stop')
    await writeFile(profilePath, JSON.stringify(profile))
    console.log(`profile of the rounds written to ${profilePath}`)
  }
  index.close()
} finally {
  await rm(home, { recursive: true, force: true })
}
