/**
 * `weft folder ...`: add, ls, status, conflicts, rescan, pause, resume, remove.
 */
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import type { FileRecordView, FolderView, OfferView, RecordDevice } from '../../features/sync/views.js'
import type { VersioningConfig } from '../../features/sync/types.js'
import { contextOf } from '../context.js'
import { durationSecondsArg } from '../durations.js'
import type { CliContext } from '../context.js'
import { printJson, printTable } from '../output.js'

/** Days as a bare number (Syncthing's cleanoutDays) or a duration of whole days (`30d`, `2w`). */
function days (text: string): number {
  if (/^\d{1,5}$/.test(text)) return Number(text)
  const seconds = durationSecondsArg(text)
  if (seconds % 86400 !== 0) throw new InvalidArgumentError(`trashcan:${text}: keep files for whole days (e.g. trashcan:30 or trashcan:30d)`)
  return seconds / 86400
}

function versioning (text: string): VersioningConfig {
  const [type, arg] = text.split(':')
  if (type === 'none') return { type: 'none' }
  if (type === 'trashcan') return { type: 'trashcan', cleanoutDays: arg === undefined ? 0 : days(arg) }
  if (type === 'simple') return { type: 'simple', keep: arg === undefined ? 5 : Number(arg) }
  throw new InvalidArgumentError('expected none, trashcan[:DAYS] or simple[:KEEP]')
}

function bytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i] ?? ''}`
}

/** A device as people know it: its name with the short ID, or the short ID alone. */
function who (id: string, names: Record<string, string>): string {
  const name = names[id]
  return name === undefined ? id.slice(0, 7) : `${name} (${id.slice(0, 7)})`
}

/** A device of a file record as people know it: its name with the short ID, or the short ID alone. */
function recordDevice (d: RecordDevice): string {
  const short = d.short === '' ? '-' : d.short
  return d.name === null ? short : `${d.name} (${short})`
}

/** A word as a shell reads it back (quoted when it has anything but safe characters). */
function shellWord (word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`
}

function describe (f: FolderView): string {
  const lines = [
    `${f.id}  ${f.label !== f.id ? `"${f.label}"  ` : ''}${f.path}`,
    `  state    ${f.state}${f.error === null ? '' : `: ${f.error}`}   type ${f.type}`,
    `  local    ${f.local.files} files, ${f.local.directories} dirs, ${bytes(f.local.bytes)}`,
    `  global   ${f.global.files} files, ${f.global.directories} dirs, ${bytes(f.global.bytes)}`,
    `  need     ${f.need.files} files, ${bytes(f.need.bytes)}, ${f.need.deletes} deletes`,
    `  peers    ${f.peers.length === 0 ? 'none connected' : f.peers.map((p) => who(p, f.deviceNames)).join(', ')}`
  ]
  if (f.progress !== null) lines.push(`  progress ${bytes(f.progress.bytesDone)} of ${bytes(f.progress.bytesTotal)}, ${f.progress.filesDone}/${f.progress.filesTotal} files, ${bytes(f.rateBytesPerSecond)}/s${f.etaSeconds === null ? '' : `, ETA ${f.etaSeconds}s`}`)
  if (f.scan !== null) lines.push(`  scanning ${f.scan.filesHashed} files hashed, ${bytes(f.scan.bytesHashed)}`)
  for (const item of f.failed.slice(0, 10)) lines.push(`  failed   ${item.name}: ${item.error}`)
  for (const bad of f.badBlocks) lines.push(`  bad data ${who(bad.device, f.deviceNames)} sent ${bad.count} block(s) that failed verification (discarded)`)
  return lines.join('\n')
}

/**
 * Polls a folder until it is idle with nothing needed and scanned after `scannedAfter` (ms since
 * the epoch; -1: any scan), or in error; shows one progress line on a terminal unless --json.
 */
async function follow (ctx: CliContext, id: string, scannedAfter = -1): Promise<FolderView> {
  const client = await ctx.client()
  let printedAt = -Infinity
  for (;;) {
    const f = await client.request<FolderView>('GET', `/folders/${encodeURIComponent(id)}`)
    // In sync means with what the members have: each linked member's file list must be in.
    const done = f.state === 'idle' && f.need.files === 0 && f.need.deletes === 0 && f.lastScanAt !== null && f.lastScanAt > scannedAfter && (f.indexPending ?? []).length === 0
    if (!ctx.json) {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${progressLine(f)}`)
      else if (Date.now() - printedAt >= plainProgressEveryMs || done || f.state === 'error') {
        // Not a terminal (a log, a pipe, CI): whole lines now and then, never a silent wait.
        process.stderr.write(`${new Date().toISOString()} ${id}: ${progressLine(f)}\n`)
        printedAt = Date.now()
      }
    }
    if (done || f.state === 'error') {
      if (process.stderr.isTTY && !ctx.json) process.stderr.write('\n')
      return f
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

/** How often `--wait` prints a progress line when stderr is not a terminal. */
const plainProgressEveryMs = 10_000

/** One line of a folder's progress: scanning, pulling (bytes, files, rate, ETA) or waiting. */
function progressLine (f: FolderView): string {
  const p = f.progress
  if (f.scan !== null) return `scanning: ${f.scan.filesHashed} files hashed, ${bytes(f.scan.bytesHashed)}`
  const pending = f.indexPending ?? []
  if (p === null && f.state === 'idle' && pending.length > 0) return `waiting for the file list of ${pending.map((d) => f.deviceNames[d] ?? d.slice(0, 7)).join(', ')}`
  if (p === null) return `${f.state}: need ${f.need.files} files (${bytes(f.need.bytes)})`
  return `${f.state}: ${bytes(p.bytesDone)}/${bytes(p.bytesTotal)}, ${p.filesDone}/${p.filesTotal} files, ${bytes(f.rateBytesPerSecond)}/s${f.etaSeconds === null ? '' : `, ETA ${f.etaSeconds}s`}`
}

/** Registers the `folder` command group. */
export function registerFolderCommands (program: Command): void {
  const folder = program.command('folder').description('folders synced with the members of a network')

  folder.command('add <path>').description('sync a folder with a network (same --id on every device)')
    .requiredOption('--net <name>', 'network to share the folder with')
    .option('--id <id>', 'folder ID (use the ID another member shared to accept its folder)')
    .option('--label <label>', 'a name for people')
    .option('--type <type>', 'sendreceive, sendonly or receiveonly', 'sendreceive')
    .option('--versioning <kind>', 'none, trashcan[:DAYS|:30d] or simple[:KEEP]: keep files replaced or deleted by others', versioning)
    .option('--rescan <duration>', 'full rescan interval (e.g. 10m, 1h; default 1h)', durationSecondsArg)
    .option('--wait', 'wait for the first scan and pull to finish (progress on a terminal)')
    .action(async (path: string, flags: { net: string, id?: string, label?: string, type: string, versioning?: VersioningConfig, rescan?: number, wait?: boolean }, command: Command) => {
      const ctx = contextOf(command)
      if (!['sendreceive', 'sendonly', 'receiveonly'].includes(flags.type)) throw new InvalidArgumentError('--type must be sendreceive, sendonly or receiveonly')
      const added = await (await ctx.client()).request<FolderView>('POST', '/folders', { path, network: flags.net, id: flags.id, label: flags.label, type: flags.type, versioning: flags.versioning, rescanIntervalS: flags.rescan })
      const view = flags.wait === true ? await follow(ctx, added.id) : added
      if (view.state === 'error') process.exitCode = 1
      if (ctx.json) printJson(view)
      else {
        const net = view.networkName ?? flags.net
        process.stdout.write(`added folder ${view.id} (${view.path}), shared with network ${net}\nother members accept it with: weft folder add PATH --net ${shellWord(net)} --id ${view.id}\n`)
      }
    })

  folder.command('ls').description('folders, and folders members offer').action(async (_f: unknown, command: Command) => {
    const ctx = contextOf(command)
    const list = await (await ctx.client()).request<{ folders: FolderView[], offered: OfferView[] }>('GET', '/folders')
    if (ctx.json) return printJson(list)
    if (list.folders.length === 0) process.stdout.write('no folders: weft folder add PATH --net NAME\n')
    else printTable(['ID', 'STATE', 'TYPE', 'FILES', 'SIZE', 'NEED', 'PATH'], list.folders.map((f) => [f.id, f.state, f.type, String(f.local.files), bytes(f.local.bytes), f.need.files === 0 ? '-' : `${f.need.files} files`, f.path]))
    for (const o of list.offered) {
      const by = o.deviceName === null ? o.device.slice(0, 7) : `${o.deviceName} (${o.device.slice(0, 7)})`
      const net = o.networkName === null ? o.network === null ? 'NAME' : o.network : shellWord(o.networkName)
      process.stdout.write(`offered: ${o.id} ("${o.label}") by ${by}${o.networkName === null ? '' : ` in network ${o.networkName}`}; accept with: weft folder add PATH --net ${net} --id ${o.id}\n`)
    }
  })

  folder.command('status [id]').description('state, counts, need, progress, rate and ETA')
    .option('--wait', 'wait until the folder is in sync (progress on a terminal)')
    .action(async (id: string | undefined, flags: { wait?: boolean }, command: Command) => {
      const ctx = contextOf(command)
      const client = await ctx.client()
      if (flags.wait === true) {
        if (id === undefined) throw new InvalidArgumentError('--wait needs a folder ID')
        const f = await follow(ctx, id)
        if (ctx.json) printJson(f)
        else process.stdout.write(describe(f) + '\n')
        if (f.state === 'error') process.exitCode = 1
        return
      }
      const views = id === undefined ? (await client.request<{ folders: FolderView[] }>('GET', '/folders')).folders : [await client.request<FolderView>('GET', `/folders/${encodeURIComponent(id)}`)]
      if (ctx.json) return printJson(id === undefined ? views : views[0])
      process.stdout.write(views.map(describe).join('\n\n') + '\n')
    })

  folder.command('conflicts [id]').description('conflict copies (NAME.sync-conflict-DATE-TIME-DEVICE.EXT)').action(async (id: string | undefined, _f: unknown, command: Command) => {
    const ctx = contextOf(command)
    const client = await ctx.client()
    const ids = id === undefined ? (await client.request<{ folders: FolderView[] }>('GET', '/folders')).folders.map((f) => f.id) : [id]
    const rows: Array<{ folder: string, name: string, size: number, modified: number }> = []
    for (const f of ids) for (const c of await client.request<Array<{ name: string, size: number, modified: number }>>('GET', `/folders/${encodeURIComponent(f)}/conflicts`)) rows.push({ folder: f, ...c })
    if (ctx.json) return printJson(rows)
    if (rows.length === 0) return void process.stdout.write('no conflicts\n')
    printTable(['FOLDER', 'NAME', 'SIZE', 'MODIFIED'], rows.map((r) => [r.folder, r.name, bytes(r.size), new Date(r.modified).toISOString()]))
  })

  folder.command('file <id> <name>').description("this device's record of a file and the global one (version, blocks, ...)")
    .action(async (id: string, name: string, _f: unknown, command: Command) => {
      const ctx = contextOf(command)
      const info = await (await ctx.client()).request<{ local: FileRecordView | null, global: FileRecordView | null }>('GET', `/folders/${encodeURIComponent(id)}/file?name=${encodeURIComponent(name)}`)
      if (ctx.json) return printJson(info)
      for (const [label, r] of [['local', info.local], ['global', info.global]] as const) {
        if (r === null) { process.stdout.write(`${label}: none\n`); continue }
        const version = r.version.map((c) => `${recordDevice(c.device)}:${c.value}`).join(' ')
        process.stdout.write(`${label}: ${r.type}${r.deleted ? ' (deleted)' : ''}${r.invalid ? ' (invalid)' : ''}, ${bytes(r.size)} in ${r.blocks} blocks of ${bytes(r.blockSize)}, modified ${r.modified} by ${recordDevice(r.modifier)}, version ${version}, sequence ${r.sequence}\n`)
      }
    })

  folder.command('rescan <id>').description('scan now')
    .option('--wait', 'wait for the scan (and any pull) to finish (progress on a terminal)')
    .action(async (id: string, flags: { wait?: boolean }, command: Command) => {
      const ctx = contextOf(command)
      const client = await ctx.client()
      const before = (await client.request<FolderView>('GET', `/folders/${encodeURIComponent(id)}`)).lastScanAt ?? -1
      const result = await client.request('POST', `/folders/${encodeURIComponent(id)}/rescan`)
      if (flags.wait !== true) {
        if (ctx.json) printJson(result)
        else process.stdout.write(`rescan: ${id}\n`)
        return
      }
      const f = await follow(ctx, id, before)
      if (f.state === 'error') process.exitCode = 1
      if (ctx.json) printJson(f)
      else process.stdout.write(describe(f) + '\n')
    })

  for (const [name, path, what] of [['share', 'share', 'also sync a folder with a Syncthing device (added with weft syncthing add)'], ['unshare', 'unshare', 'stop syncing a folder with a Syncthing device']] as const) {
    folder.command(`${name} <id>`).description(what).requiredOption('--syncthing <deviceId>', 'the Syncthing device')
      .action(async (id: string, flags: { syncthing: string }, command: Command) => {
        const ctx = contextOf(command)
        const view = await (await ctx.client()).request<FolderView>('POST', `/folders/${encodeURIComponent(id)}/${path}`, { syncthing: flags.syncthing })
        if (ctx.json) printJson(view)
        else process.stdout.write(`${name}: ${id} ${name === 'share' ? 'with' : 'from'} Syncthing device ${flags.syncthing}${name === 'share' ? `\non that device, share folder ID "${id}" with this one` : ''}\n`)
      })
  }

  for (const [name, method, verb, what] of [['pause', 'POST', 'pause', 'stop syncing for now'], ['resume', 'POST', 'resume', 'sync again'], ['remove', 'DELETE', '', 'stop syncing and forget the folder (files stay)']] as const) {
    folder.command(`${name} <id>`).description(what).action(async (id: string, _f: unknown, command: Command) => {
      const ctx = contextOf(command)
      const result = await (await ctx.client()).request('' + method, `/folders/${encodeURIComponent(id)}${verb === '' ? '' : `/${verb}`}`)
      if (ctx.json) printJson(result)
      else process.stdout.write(`${name}: ${id}\n`)
    })
  }
}
