/**
 * `node.folders`: folder sync (Syncthing's Block Exchange Protocol) with a network's members,
 * as `weft folder ...` offers it, over the daemon's SyncService.
 */
import type { AddFolderRequest, SyncService } from '../features/sync/service.js'
import type { FileRecordView, FolderView, OfferView } from '../features/sync/views.js'
import { addFolderBody } from '../daemon/api/schemas.js'
import { checked } from './validate.js'

/** What {@link Folders.add} takes: `weft folder add`'s request without the path. */
export type AddFolderOptions = Omit<AddFolderRequest, 'path'>

/** Synced folders of this node. */
export class Folders {
  readonly #sync: SyncService

  /** @internal Built by {@link WeftNode}. */
  constructor (sync: SyncService) {
    this.#sync = sync
  }

  /**
   * Syncs directory `path` (created if missing) with the members of a network. Members see it
   * in {@link Folders.offered} and accept it by adding a folder with the same `id`.
   */
  async add (path: string, options: AddFolderOptions): Promise<FolderView> {
    const request = await checked(addFolderBody, { ...options, path })
    return await this.#sync.add(request)
  }

  /** Every folder of this node, with its state and counters. */
  list (): FolderView[] {
    return this.#sync.list().folders
  }

  /** Folders members offer that this node has not added. */
  offered (): OfferView[] {
    return this.#sync.list().offered
  }

  /** One folder's state: idle, scanning, syncing, counters, peers. NOT_FOUND for an unknown ID. */
  get (id: string): FolderView {
    return this.#sync.view(id)
  }

  /** This device's record of a file and the global (winning) one. */
  file (id: string, name: string): { local: FileRecordView | null, global: FileRecordView | null } {
    return this.#sync.file(id, name)
  }

  /** Conflict copies present in a folder. */
  conflicts (id: string): Array<{ name: string, size: number, modified: number }> {
    return this.#sync.conflicts(id)
  }

  /** Scans the folder now rather than at the next interval. */
  rescan (id: string): void {
    this.#sync.rescan(id)
  }

  /** Stops syncing a folder until {@link Folders.resume} (kept across restarts). */
  async pause (id: string): Promise<FolderView> {
    return await this.#sync.setPaused(id, true)
  }

  /** Resumes a paused folder. */
  async resume (id: string): Promise<FolderView> {
    return await this.#sync.setPaused(id, false)
  }

  /** Stops syncing a folder and forgets its index; the files stay where they are. */
  async remove (id: string): Promise<void> {
    await this.#sync.remove(id)
  }
}
