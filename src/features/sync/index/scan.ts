/**
 * Bounded-memory passes over a folder's records in name order: keyset pagination on the
 * (folder, name, device) unique index, handing out all devices' rows of one name at a time.
 * Each page is read whole (no cursor stays open between pages, so callers may write in between).
 */
import type Database from 'better-sqlite3'
import type { FileRow } from './codec.js'

/** Item counts of a folder view. `bytes` sums the sizes of existing files. */
export interface Counts {
  files: number
  directories: number
  symlinks: number
  deleted: number
  bytes: number
}

/** All-zero counts. */
export function emptyCounts (): Counts {
  return { files: 0, directories: 0, symlinks: 0, deleted: 0, bytes: 0 }
}

/** Counts one device's valid records in a folder with one aggregate query. */
export function countDevice (db: Database.Database, folderIdx: number, deviceIdx: number): Counts {
  const counts = emptyCounts()
  const rows = db.prepare(`SELECT type, deleted, count(*) AS n, total(size) AS bytes FROM files
    WHERE folder_idx = ? AND device_idx = ? AND invalid = 0 AND locally_changed = 0 GROUP BY type, deleted`)
    .all(folderIdx, deviceIdx) as Array<{ type: number, deleted: number, n: number, bytes: number }>
  for (const r of rows) {
    if (r.deleted !== 0) counts.deleted += r.n
    else if (r.type === 0) {
      counts.files += r.n
      counts.bytes += r.bytes
    } else if (r.type === 1) counts.directories += r.n
    else counts.symlinks += r.n
  }
  return counts
}

/**
 * Pages through one folder's `files` rows grouped by name: whole rows, or only the given
 * columns (which must include `name` and `device_idx`).
 */
export class FileScanner<Row extends { name: string } = FileRow> {
  private readonly first: Database.Statement
  private readonly next: Database.Statement
  private readonly byName: Database.Statement

  constructor (db: Database.Database, private readonly folderIdx: number, private readonly pageSize: number, columns = '*') {
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('page size must be a positive integer')
    this.first = db.prepare(`SELECT ${columns} FROM files WHERE folder_idx = ? ORDER BY name, device_idx LIMIT ?`)
    this.next = db.prepare(`SELECT ${columns} FROM files WHERE folder_idx = ? AND name > ? ORDER BY name, device_idx LIMIT ?`)
    this.byName = db.prepare(`SELECT ${columns} FROM files WHERE folder_idx = ? AND name = ? ORDER BY device_idx`)
  }

  /** Yields the rows of each name, names in ascending (binary) order, from after `start` if given. */
  * groups (start?: string): Generator<Row[]> {
    let after: string | undefined = start
    for (;;) {
      const rows = (after === undefined
        ? this.first.all(this.folderIdx, this.pageSize)
        : this.next.all(this.folderIdx, after, this.pageSize)) as Row[]
      if (rows.length === 0) return
      const full = rows.length === this.pageSize
      const groups = groupByName(rows)
      if (full) {
        // The last name may continue on the next page: read it whole on its own.
        const last = groups.pop() as Row[]
        if (groups.length === 0) groups.push(this.byName.all(this.folderIdx, (last[0] as Row).name) as Row[])
      }
      for (const g of groups) {
        yield g
        after = (g[0] as Row).name
      }
      if (!full) return
    }
  }
}

function groupByName<Row extends { name: string }> (rows: readonly Row[]): Row[][] {
  const out: Row[][] = []
  let current: Row[] = []
  for (const r of rows) {
    if (current.length > 0 && (current[0] as Row).name !== r.name) {
      out.push(current)
      current = []
    }
    current.push(r)
  }
  if (current.length > 0) out.push(current)
  return out
}
