/**
 * What a receive has finished, kept beside the files (`.weft-receive-KEY.json` in the target
 * directory) so that running the same `weft receive` again after an interruption skips the
 * files that already arrived instead of fetching them again (and landing them as `NAME (1)`).
 * The key hashes the sender, the code and the offered names and sizes: another offer never
 * matches. A file counts as finished only while it is still where it landed, with its size.
 * Offered names cannot collide with the ledger: names starting with `.weft` are refused
 * (transfer-files.ts). The ledger is removed when the whole receive is done.
 */
import { createHash } from 'node:crypto'
import { rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { readFileIfExists, writeFileAtomic } from '../../core/atomic-file.js'

const ledgerSchema = z.object({ finished: z.record(z.string(), z.object({ path: z.string(), size: z.number() })) })

/** The finished files of one receive, by offer index. */
export class ReceiveLedger {
  readonly path: string
  readonly #finished: Map<number, { path: string, size: number }>

  private constructor (path: string, finished: Map<number, { path: string, size: number }>) {
    this.path = path
    this.#finished = finished
  }

  /**
   * Opens the ledger of the receive identified by `identity` (sender, code or token) and the
   * offered `files`, in `dir`. A missing or unreadable ledger is an empty one: at worst a
   * finished file is fetched again.
   */
  static async open (dir: string, identity: string, files: ReadonlyArray<{ name: string, size: number }>): Promise<ReceiveLedger> {
    const key = createHash('sha256').update(identity).update('\0').update(JSON.stringify(files.map((f) => [f.name, f.size]))).digest('hex').slice(0, 32)
    const path = join(dir, `.weft-receive-${key}.json`)
    const finished = new Map<number, { path: string, size: number }>()
    try {
      const raw = await readFileIfExists(path)
      const parsed = raw === undefined ? undefined : ledgerSchema.safeParse(JSON.parse(raw.toString('utf8')))
      for (const [index, entry] of Object.entries(parsed?.success === true ? parsed.data.finished : {})) finished.set(Number(index), entry)
    } catch {
      // Not JSON (a torn write cannot happen: writes are atomic; a hand edit can): start empty.
    }
    return new ReceiveLedger(path, finished)
  }

  /** Where file `index` landed in an earlier attempt, if it is still there with `size` bytes. */
  async finished (index: number, size: number): Promise<string | undefined> {
    const entry = this.#finished.get(index)
    if (entry === undefined || entry.size !== size) return undefined
    const s = await stat(entry.path).catch(() => undefined)
    return s?.isFile() === true && s.size === size ? entry.path : undefined
  }

  /** Records that file `index` landed at `path`. */
  async add (index: number, path: string, size: number): Promise<void> {
    this.#finished.set(index, { path, size })
    await writeFileAtomic(this.path, JSON.stringify({ finished: Object.fromEntries(this.#finished) }))
  }

  /** Removes the ledger (the receive is done). */
  async remove (): Promise<void> {
    await rm(this.path, { force: true })
  }
}
