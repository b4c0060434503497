/**
 * Schema of the sync index database and the opening of its file: WAL journal,
 * `synchronous=NORMAL`, foreign keys on, schema version checked and migrations applied in order.
 * A file that is not a SQLite database, or is damaged, fails with CONFIG_INVALID.
 */
import Database from 'better-sqlite3'
import { WeftError } from '../../../core/errors.js'

/** The schema version this code writes. */
export const schemaVersion = 2

/**
 * Migrations by target version: `migrations[n]` brings a version n-1 database to version n.
 * Version 1 is the initial schema; later versions append here and never edit earlier ones.
 */
const migrations: Record<number, string> = {
  1: `
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE folders (idx INTEGER PRIMARY KEY, folder_id TEXT NOT NULL UNIQUE);
    CREATE TABLE devices (idx INTEGER PRIMARY KEY, device_id TEXT NOT NULL UNIQUE);
    CREATE TABLE files (
      id INTEGER PRIMARY KEY,
      folder_idx INTEGER NOT NULL REFERENCES folders(idx) ON DELETE CASCADE,
      device_idx INTEGER NOT NULL REFERENCES devices(idx) ON DELETE CASCADE,
      name TEXT NOT NULL,
      sequence INTEGER NOT NULL,
      type INTEGER NOT NULL,
      size INTEGER NOT NULL,
      permissions INTEGER NOT NULL,
      modified_s INTEGER NOT NULL,
      modified_ns INTEGER NOT NULL,
      modified_by BLOB NOT NULL,
      deleted INTEGER NOT NULL,
      invalid INTEGER NOT NULL,
      no_permissions INTEGER NOT NULL,
      locally_changed INTEGER NOT NULL,
      version BLOB NOT NULL,
      block_size INTEGER NOT NULL,
      blocks BLOB NOT NULL,
      symlink_target TEXT NOT NULL,
      inode INTEGER,
      UNIQUE (folder_idx, name, device_idx)
    );
    CREATE INDEX files_by_sequence ON files (folder_idx, device_idx, sequence);
    CREATE TABLE blocks (
      hash BLOB NOT NULL,
      file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
      offset INTEGER NOT NULL,
      size INTEGER NOT NULL,
      PRIMARY KEY (hash, file_id, offset)
    ) WITHOUT ROWID;
    CREATE INDEX blocks_by_file ON blocks (file_id);
    CREATE TABLE index_positions (
      folder_idx INTEGER NOT NULL REFERENCES folders(idx) ON DELETE CASCADE,
      device_idx INTEGER NOT NULL REFERENCES devices(idx) ON DELETE CASCADE,
      index_id INTEGER NOT NULL,
      max_sequence INTEGER NOT NULL,
      PRIMARY KEY (folder_idx, device_idx)
    ) WITHOUT ROWID;
  `,
  // Counters kept per folder as records change (see counters.ts). A folder without a row
  // here is counted by one pass when the store opens, which fills this table after upgrade.
  2: `
    CREATE TABLE folder_counts (
      folder_idx INTEGER PRIMARY KEY REFERENCES folders(idx) ON DELETE CASCADE,
      global_files INTEGER NOT NULL, global_directories INTEGER NOT NULL, global_symlinks INTEGER NOT NULL,
      global_deleted INTEGER NOT NULL, global_bytes INTEGER NOT NULL,
      local_files INTEGER NOT NULL, local_directories INTEGER NOT NULL, local_symlinks INTEGER NOT NULL,
      local_deleted INTEGER NOT NULL, local_bytes INTEGER NOT NULL,
      need_files INTEGER NOT NULL, need_bytes INTEGER NOT NULL, need_deletes INTEGER NOT NULL
    );
  `
}

/** Options of `openIndexDatabase`. */
export interface OpenOptions {
  /** Run `PRAGMA quick_check` after opening (reads the whole file; off by default). */
  verify?: boolean
  /** @internal Migrate no further than this version (tests of migrations); default {@link schemaVersion}. */
  upTo?: number
}

/**
 * Opens (creating if needed) the index database at `path` and brings its schema up to date.
 * Throws WeftError CONFIG_INVALID when the file is not a usable index database.
 */
export function openIndexDatabase (path: string, options: OpenOptions = {}): Database.Database {
  let db: Database.Database | undefined
  try {
    db = new Database(path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    if (options.verify === true) {
      const result = db.pragma('quick_check', { simple: true })
      if (result !== 'ok') throw new WeftError('CONFIG_INVALID', `sync index ${path} is corrupt: ${String(result)}`)
    }
    migrate(db, path, options.upTo ?? schemaVersion)
    return db
  } catch (err) {
    db?.close()
    if (err instanceof WeftError) throw err
    const code = err instanceof Database.SqliteError ? err.code : 'UNKNOWN'
    const what = /NOTADB|CORRUPT/.test(code) ? 'is corrupt or not a SQLite database' : 'cannot be opened'
    const message = err instanceof Error ? err.message : String(err)
    throw new WeftError('CONFIG_INVALID', `sync index ${path} ${what} (${code}: ${message})`, { cause: err })
  }
}

function migrate (db: Database.Database, path: string, target: number): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)')
  const row = db.prepare('SELECT max(version) AS version FROM schema_version').get() as { version: number | null }
  const current = row.version ?? 0
  if (current > schemaVersion) {
    throw new WeftError('CONFIG_INVALID', `sync index ${path} has schema version ${current}, newer than this weft supports (${schemaVersion})`)
  }
  for (let v = current + 1; v <= target; v++) {
    const sql = migrations[v]
    if (sql === undefined) throw new WeftError('INTERNAL', `no migration to sync index schema version ${v}`)
    db.transaction(() => {
      db.exec(sql)
      db.prepare('DELETE FROM schema_version').run()
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v)
    })()
  }
}
