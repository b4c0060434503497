/**
 * Folder configuration: which folders this device syncs, where they live, with which network,
 * their type and versioning. Kept in `<home>/folders.json`, replaced atomically, validated on load.
 */
import { z } from 'zod'
import { readJsonFile, writeJsonFile } from '../../core/json-file.js'
import type { DeviceId, NetworkId } from '../../core/ids.js'
import type { FolderId, FolderType, VersioningConfig } from './types.js'

/** One synced folder. */
export interface FolderConfig {
  id: FolderId
  label: string
  /** Absolute path of the folder root. */
  path: string
  network: NetworkId
  type: FolderType
  paused: boolean
  versioning: VersioningConfig
  /** Full rescan interval (seconds); the watcher catches most changes sooner. */
  rescanIntervalS: number
  /** Watch the folder for changes. */
  watch: boolean
  /** Syncthing devices the folder is also shared with (over BEP on TCP+TLS). */
  syncthing?: DeviceId[]
}

const folderIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** Checks a folder ID typed by a person or sent by a peer. */
export function isFolderId (text: string): text is FolderId {
  return folderIdPattern.test(text)
}

const versioningSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('trashcan'), cleanoutDays: z.number().int().min(0).max(36500) }).strict(),
  z.object({ type: z.literal('simple'), keep: z.number().int().min(1).max(1000) }).strict()
])

const folderSchema = z.object({
  id: z.string().regex(folderIdPattern).transform((s) => s as FolderId),
  label: z.string().max(256),
  path: z.string().startsWith('/'),
  network: z.string().regex(/^[0-9a-f]{32}$/).transform((s) => s as NetworkId),
  type: z.enum(['sendreceive', 'sendonly', 'receiveonly']),
  paused: z.boolean(),
  versioning: versioningSchema,
  rescanIntervalS: z.number().int().min(10).max(86400 * 7),
  watch: z.boolean(),
  syncthing: z.array(z.string().regex(/^[A-Z2-7]{7}(-[A-Z2-7]{7}){7}$/).transform((s) => s as DeviceId)).max(1000).optional()
}).strict()

const fileSchema = z.object({ version: z.literal(1), folders: z.array(folderSchema).max(1000) }).strict()

/** Reads and writes folders.json. */
export class FolderConfigStore {
  readonly #path: string

  constructor (path: string) {
    this.#path = path
  }

  /** Loads the folder list (empty when the file does not exist). */
  async load (): Promise<FolderConfig[]> {
    const file = await readJsonFile(this.#path, fileSchema)
    return file?.folders ?? []
  }

  /** Saves the folder list atomically. */
  async save (folders: readonly FolderConfig[]): Promise<void> {
    await writeJsonFile(this.#path, { version: 1, folders })
  }
}
