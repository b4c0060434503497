/**
 * What `weft send` offers and how the receiver names it: a directory walked into files with
 * relative, `/`-separated names; names from a peer checked component by component so nothing
 * lands outside the target directory or over weft's own partial files; and the inbox journal
 * (`weft inbox`), one JSON line per received file.
 */
import { appendFile, lstat, readdir, readFile, realpath } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { z } from 'zod'
import { WeftError } from '../../core/errors.js'

/** A local file to offer, with its name on the wire (relative path, `/`-separated). */
export interface LocalFile { path: string, name: string, size: number, mtimeMs: number }

/** Most files one offer may hold. */
export const maxOfferFiles = 1000

/** Expands `paths` (files or directories) into the files to offer; symlinks and special files inside directories are skipped. */
export async function collectFiles (paths: string[]): Promise<LocalFile[]> {
  const out: LocalFile[] = []
  const walk = async (path: string, name: string): Promise<void> => {
    const s = await lstat(path)
    if (s.isFile()) out.push({ path, name, size: s.size, mtimeMs: s.mtimeMs })
    else if (s.isDirectory()) {
      for (const entry of (await readdir(path)).sort()) await walk(join(path, entry), `${name}/${entry}`)
    }
    if (out.length > maxOfferFiles) throw new WeftError('INVALID_ARGUMENT', `more than ${maxOfferFiles} files in one send; send an archive instead`)
  }
  for (const p of paths) {
    const path = resolve(p)
    const s = await lstat(path).catch(() => undefined)
    if (s === undefined || (!s.isFile() && !s.isDirectory() && !s.isSymbolicLink())) throw new WeftError('INVALID_ARGUMENT', `${p}: not a readable file or directory`)
    const real = s.isSymbolicLink() ? await realpath(path).catch(() => undefined) : path
    if (real === undefined) throw new WeftError('INVALID_ARGUMENT', `${p}: broken symbolic link`)
    await walk(real, basename(path))
  }
  if (out.length === 0) throw new WeftError('INVALID_ARGUMENT', 'nothing to send (only empty directories)')
  if (new Set(out.map((f) => f.name)).size !== out.length) throw new WeftError('INVALID_ARGUMENT', 'two files have the same name')
  return out
}

/** A safe relative name from a peer: `/`-separated components, none empty, `.`/`..`, hidden-internal or a partial-file name. */
export function safeName (name: string): string {
  const parts = name.split('/')
  const bad = (p: string): boolean => p === '' || p === '.' || p === '..' || p.startsWith('.weft') || p.endsWith('.weft-partial') || p.includes('\0') || p.includes('\\') || p.length > 255
  if (name.length > 1024 || parts.some(bad)) throw new WeftError('PROTOCOL_ERROR', `refused file name ${JSON.stringify(name)}`)
  return name
}

const inboxEntry = z.object({
  name: z.string(),
  size: z.number(),
  from: z.string(),
  at: z.string(),
  path: z.string().nullable(),
  text: z.string().optional()
})

/** One received file (or text) as `weft inbox` lists it. */
export type InboxEntry = z.infer<typeof inboxEntry>

/** Appends a received file to the journal. */
export async function recordReceived (journal: string, entry: InboxEntry): Promise<void> {
  await appendFile(journal, `${JSON.stringify(entry)}\n`, { mode: 0o600 })
}

/** Everything in the journal, oldest first; damaged lines are skipped. */
export async function listReceived (journal: string): Promise<InboxEntry[]> {
  const text = await readFile(journal, 'utf8').catch(() => '')
  const out: InboxEntry[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      const parsed = inboxEntry.safeParse(JSON.parse(line))
      if (parsed.success) out.push(parsed.data)
    } catch { /* a torn last line after a crash */ }
  }
  return out
}
