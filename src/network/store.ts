/**
 * Persistence of network records: one JSON file per network under `<home>/networks/`,
 * replaced atomically on every change, validated on load.
 */
import { readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { readJsonFile, stateFileError, writeJsonFile } from '../core/json-file.js'
import type { NetworkId } from '../core/ids.js'
import type { NetworkRecord } from './types.js'
import { maxAddressesPerDevice, maxEntries, signedEntrySchema } from './wire.js'

const recordSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{32}$/).transform((s) => s as NetworkId),
  secret: z.string().regex(/^[0-9a-f]{64}$/),
  entries: z.array(signedEntrySchema).max(maxEntries),
  invites: z.array(z.object({
    tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
    role: z.enum(['admin', 'member']),
    createdAt: z.number(),
    expiresAt: z.number(),
    usesLeft: z.number().int().min(0)
  }).strict()),
  addresses: z.record(z.string(), z.array(z.string()).max(maxAddressesPerDevice)),
  removedAt: z.number().optional()
}).strict()

/** Reads and writes network records in a directory. */
export class NetworkStore {
  readonly #dir: string

  constructor (dir: string) {
    this.#dir = dir
  }

  #path (id: NetworkId): string {
    return join(this.#dir, `${id}.json`)
  }

  /** Loads every record; CONFIG_INVALID naming the file if one is corrupt. */
  async loadAll (): Promise<NetworkRecord[]> {
    let names: string[]
    try {
      names = await readdir(this.#dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    const records: NetworkRecord[] = []
    for (const name of names.filter((n) => /^[0-9a-f]{32}\.json$/.test(n)).sort()) {
      const path = join(this.#dir, name)
      const record = await readJsonFile(path, recordSchema)
      if (record === undefined) continue
      if (`${record.id}.json` !== name) throw stateFileError(path, 'id', `holds network ${record.id}, not the one its name says`)
      records.push(record)
    }
    return records
  }

  /** Atomically writes a record. */
  async save (record: NetworkRecord): Promise<void> {
    await writeJsonFile(this.#path(record.id), record)
  }

  /** Deletes a record. */
  async delete (id: NetworkId): Promise<void> {
    await unlink(this.#path(id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }
}
