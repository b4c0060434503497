/**
 * The replicated map of one device, in SQLite (`<home>/catalog.db`, WAL): per network, key →
 * value or tombstone, with the HLC stamp of its last write. `merge` applies the
 * last-writer-wins rule (stamp order, see hlc.ts), so members that saw the same writes hold
 * the same map whatever the order they arrived in. Each change also gets a local sequence
 * number, which is what watches wait on. Tombstones are kept, so a delete cannot be undone
 * by a member that missed it.
 */
import Database from 'better-sqlite3'
import type { Database as Db } from 'better-sqlite3'
import { compareStamps } from './hlc.js'
import type { Stamp } from './hlc.js'

/** One replicated entry. */
export interface Entry {
  key: string
  /** Null for a deleted key (tombstone). */
  value: Buffer | null
  stamp: Stamp
}

interface Row { key: string, value: Buffer | null, ms: number, c: number, device: string, seq: number }

/** The on-disk replicated map. */
export class ReplicaStore {
  readonly #db: Db
  #seq = 0

  constructor (path: string) {
    this.#db = new Database(path)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = NORMAL')
    this.#db.exec(`CREATE TABLE IF NOT EXISTS entries (
      net TEXT NOT NULL, key TEXT NOT NULL, value BLOB, ms INTEGER NOT NULL, c INTEGER NOT NULL,
      device TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (net, key)) WITHOUT ROWID`)
    this.#db.exec('CREATE INDEX IF NOT EXISTS entries_seq ON entries (net, seq)')
    this.#seq = (this.#db.prepare('SELECT MAX(seq) AS s FROM entries').get() as { s: number | null }).s ?? 0
  }

  /** The highest sequence number given so far (grows with every change). */
  get seq (): number {
    return this.#seq
  }

  /** The newest stamp stored, to start the clock past it after a restart. */
  newestStamp (): { ms: number, c: number } {
    const row = this.#db.prepare('SELECT ms, c FROM entries ORDER BY ms DESC, c DESC LIMIT 1').get() as { ms: number, c: number } | undefined
    return row ?? { ms: 0, c: 0 }
  }

  get (net: string, key: string): (Entry & { seq: number }) | undefined {
    const row = this.#db.prepare('SELECT key, value, ms, c, device, seq FROM entries WHERE net = ? AND key = ?').get(net, key) as Row | undefined
    return row === undefined ? undefined : toEntry(row)
  }

  /** Entries of a network whose key starts with `prefix` (tombstones included), by key. */
  list (net: string, prefix = ''): Array<Entry & { seq: number }> {
    const rows = this.#db.prepare('SELECT key, value, ms, c, device, seq FROM entries WHERE net = ? AND substr(key, 1, ?) = ? ORDER BY key').all(net, prefix.length, prefix) as Row[]
    return rows.map(toEntry)
  }

  /** Stamps of every entry of a network (for anti-entropy digests). */
  digest (net: string): Array<{ key: string, stamp: Stamp }> {
    const rows = this.#db.prepare('SELECT key, ms, c, device FROM entries WHERE net = ?').all(net) as Row[]
    return rows.map((r) => ({ key: r.key, stamp: { ms: r.ms, c: r.c, device: r.device } }))
  }

  /** Applies an entry if it is newer than what is stored; returns true when it changed something. */
  merge (net: string, entry: Entry): boolean {
    return this.#db.transaction(() => {
      const cur = this.get(net, entry.key)
      if (cur !== undefined && compareStamps(entry.stamp, cur.stamp) <= 0) return false
      this.#seq++
      this.#db.prepare('INSERT OR REPLACE INTO entries (net, key, value, ms, c, device, seq) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(net, entry.key, entry.value, entry.stamp.ms, entry.stamp.c, entry.stamp.device, this.#seq)
      return true
    })()
  }

  /** Removes every entry of a network (the device left it). */
  dropNetwork (net: string): void {
    this.#db.prepare('DELETE FROM entries WHERE net = ?').run(net)
  }

  close (): void {
    this.#db.close()
  }
}

function toEntry (r: Row): Entry & { seq: number } {
  return { key: r.key, value: r.value, stamp: { ms: r.ms, c: r.c, device: r.device }, seq: r.seq }
}
