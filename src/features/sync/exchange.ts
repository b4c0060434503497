/**
 * The BEP conversation with one peer, per Syncthing's rules: send a ClusterConfig, then the
 * index each shared folder needs (delta from the peer's max sequence when its index ID is still
 * ours, else everything), then IndexUpdates as local records change; apply the peer's Index and
 * IndexUpdates; serve its block Requests from local files after checking the block's hash.
 */
import type { Logger } from '../../core/log.js'
import type { IndexStore } from './index/store.js'
import type { BepLink } from './link/bep-link.js'
import type { BepMessage, BepRequest } from './wire/messages.js'
import { encodeFrame } from './wire/framing.js'
import type { BlockServer } from './serve/block-server.js'
import type { BepFolder } from './wire/clusterconfig.js'
import type { BepFileInfo } from './wire/fileinfo.js'
import { computeBlocksHash } from './wire/fileinfo.js'
import { nameProblem } from './fs/names.js'
import { announcedFile } from './model/global.js'
import { mayChangeNeed } from './model/news.js'
import type { FolderRunner } from './folder-runner.js'
import type { BepDeviceId, FileInfo, FolderId } from './types.js'

const indexBatch = 1000
/** Block requests of one link served at once. */
const maxServing = 16

/** What the exchange needs from the service. */
export interface ExchangeContext {
  index: IndexStore
  self: BepDeviceId
  selfName: string
  log: Logger
  /** The runner of a folder shared with `link`'s device, if any. */
  sharedRunner: (link: BepLink, folder: FolderId) => FolderRunner | undefined
  /** Folders this device would share with `link`'s device. */
  foldersFor: (link: BepLink) => FolderRunner[]
  /** A peer offered a folder this device does not have. */
  onOffer: (link: BepLink, folder: BepFolder) => void
  /** Answers block requests (shared by every link of the device). */
  blocks: BlockServer
}

/** Per-link state of the conversation. */
export class Exchange {
  readonly #ctx: ExchangeContext
  readonly link: BepLink
  /** Folders both sides share, with the highest local sequence sent so far. */
  readonly sent = new Map<FolderId, number>()
  /** Kinds of ignored data already logged (once per folder and kind, not per record). */
  readonly #noted = new Set<string>()
  /** Folders our last ClusterConfig listed. */
  #announced = new Set<FolderId>()
  /** The folders of the peer's last ClusterConfig. */
  #peerFolders: BepFolder[] = []
  /** Block requests being served. */
  readonly #serving = new Set<Promise<void>>()
  /** Per folder, the max sequence of the peer's records our last ClusterConfig said we hold. */
  readonly #told = new Map<FolderId, number>()
  /** Per folder, the max sequence of its own records the peer's last ClusterConfig stated. */
  readonly #theirMax = new Map<FolderId, number>()
  /** Folders for which the peer's full Index arrived on this link. */
  readonly #fullIndexIn = new Set<FolderId>()
  /** Per folder, the highest sequence among the peer's records received on this link (refused ones too). */
  readonly #seenMax = new Map<FolderId, number>()

  constructor (ctx: ExchangeContext, link: BepLink) {
    this.#ctx = ctx
    this.link = link
  }

  /** Sends our ClusterConfig. */
  async hello (): Promise<void> {
    const { index, self, selfName } = this.#ctx
    const me = this.link.self
    const folders: BepFolder[] = this.#ctx.foldersFor(this.link).map((runner) => {
      const id = runner.config.id
      const local = index.indexPosition(id, self)
      const remote = index.indexPosition(id, this.link.bepId)
      return {
        id,
        label: runner.config.label,
        type: runner.config.type,
        readOnly: runner.config.type === 'sendonly',
        ignorePermissions: false,
        ignoreDelete: false,
        disableTempIndexes: false,
        paused: runner.config.paused,
        devices: [
          { id: me, name: selfName, addresses: ['dynamic'], compression: 'metadata', certName: '', maxSequence: local?.maxSequence ?? 0, introducer: false, indexId: index.localIndexId(id), skipIntroductionRemovals: false, encryptionPasswordToken: new Uint8Array() },
          { id: this.link.bepId, name: this.link.peer?.name ?? '', addresses: ['dynamic'], compression: 'metadata', certName: '', maxSequence: remote?.maxSequence ?? 0, introducer: false, indexId: remote?.indexId ?? 0n, skipIntroductionRemovals: false, encryptionPasswordToken: new Uint8Array() }
        ]
      }
    })
    this.#announced = new Set(folders.map((f) => f.id))
    for (const folder of folders) this.#told.set(folder.id, folder.devices[1]?.maxSequence ?? 0)
    await this.link.send({ type: 'clusterConfig', folders, secondary: false })
  }

  /** Handles one message from the peer. */
  async onMessage (message: BepMessage): Promise<void> {
    switch (message.type) {
      case 'clusterConfig': return await this.#onClusterConfig(message.folders)
      case 'index': return this.#onIndex(message.folder, message.files, 'full')
      case 'indexUpdate': return this.#onIndex(message.folder, message.files, 'update')
      case 'request': return await this.#onRequest(message)
      default: return undefined // ping, downloadProgress: nothing to do
    }
  }

  /**
   * After a local change of sharing: sends our ClusterConfig again, starts the index exchange
   * for folders the peer already offered and we now share, and stops announcing folders no
   * longer shared with it.
   */
  async refresh (): Promise<void> {
    const shared = new Set(this.#ctx.foldersFor(this.link).map((r) => r.config.id))
    for (const folder of [...this.sent.keys()]) if (!shared.has(folder)) this.sent.delete(folder)
    await this.hello()
    const waiting = this.#peerFolders.filter((f) => shared.has(f.id) && !this.sent.has(f.id))
    if (waiting.length > 0) await this.#applyFolders(waiting)
  }

  async #onClusterConfig (folders: BepFolder[]): Promise<void> {
    this.#peerFolders = folders
    await this.#applyFolders(folders)
  }

  async #applyFolders (folders: BepFolder[]): Promise<void> {
    const { index, log } = this.#ctx
    let newlyShared = false
    for (const folder of folders) {
      if ((folder.unsupported ?? []).length > 0) {
        log.warn({ device: this.link.device, folder: folder.id, unsupported: folder.unsupported }, 'peer shares a folder in a way weft does not support; ignoring it')
        continue
      }
      const runner = this.#ctx.sharedRunner(this.link, folder.id)
      if (runner === undefined) {
        this.#ctx.onOffer(this.link, folder)
        continue
      }
      const theirs = folder.devices.find((d) => d.id === this.link.bepId)
      this.#theirMax.set(folder.id, theirs?.maxSequence ?? 0)
      if (theirs !== undefined && index.setRemoteIndexId(folder.id, this.link.bepId, theirs.indexId)) {
        log.info({ device: this.link.device, folder: folder.id }, 'peer has a new index; expecting a full index')
      }
      // On a Syncthing link this device is known by its certificate's ID, not its weft key.
      const ours = folder.devices.find((d) => d.id === this.link.self)
      const from = ours !== undefined && ours.indexId === index.localIndexId(folder.id) ? ours.maxSequence : 0
      if (!this.#announced.has(folder.id)) newlyShared = true
      this.sent.set(folder.id, from)
      await this.sendIndex(folder.id, from === 0)
    }
    // The peer shares a folder our last ClusterConfig did not list: tell it. Not otherwise: a
    // ClusterConfig restarts the peer's index sending from the max sequence it states, so an
    // extra one sent before the peer's first updates arrive makes it send them twice.
    if (newlyShared) await this.hello()
  }

  /** Sends local records newer than what the peer has (all of them, as an Index, when `full`). */
  async sendIndex (folder: FolderId, full = false): Promise<void> {
    if (!this.sent.has(folder)) return
    let after = this.sent.get(folder) ?? 0
    let first = full
    for (;;) {
      const page = this.#ctx.index.localSince(folder, after, indexBatch)
      if (page.length === 0 && !first) return
      // blocks_hash as Syncthing 2.x computes it (SHA-256 of the block hashes); 1.x compares the
      // block lists when its own differs (its hash also covers weak hashes, which weft lacks).
      const files: BepFileInfo[] = page.map((r) => {
        const f = announcedFile(r)
        return f.blocks.length > 0 ? { ...f, blocksHash: computeBlocksHash(f.blocks) } : f
      })
      const last = files[files.length - 1]?.sequence ?? after
      if (first) await this.link.send({ type: 'index', folder, files, lastSequence: last })
      else await this.link.send({ type: 'indexUpdate', folder, files, lastSequence: last, prevSequence: after })
      first = false
      after = last
      this.sent.set(folder, after)
      if (page.length < indexBatch) return
    }
  }

  /**
   * Whether the peer's records of `folder` have arrived on this link: its full Index when we
   * told it we hold none of its records (it always sends one then, even empty), else its
   * updates up to the max sequence its ClusterConfig stated (it sends nothing when it has no
   * news). Until then "in sync" would only mean "in sync with what we knew before".
   */
  indexCaughtUp (folder: FolderId): boolean {
    if (!this.sent.has(folder)) return false
    if (this.#fullIndexIn.has(folder)) return true
    const told = this.#told.get(folder) ?? 0
    if (told === 0) return false
    const position = Math.max(this.#ctx.index.indexPosition(folder, this.link.bepId)?.maxSequence ?? 0, this.#seenMax.get(folder) ?? 0)
    return position >= (this.#theirMax.get(folder) ?? 0)
  }

  #onIndex (folder: FolderId, files: BepFileInfo[], kind: 'full' | 'update'): void {
    const runner = this.#ctx.sharedRunner(this.link, folder)
    if (runner === undefined) {
      this.#ctx.log.debug({ device: this.link.device, folder }, 'index for a folder not shared with this device; ignored')
      return
    }
    if (kind === 'full') this.#fullIndexIn.add(folder)
    // A record refused below still counts as received: the peer will not send it again.
    let seen = this.#seenMax.get(folder) ?? 0
    for (const f of files) if (f.sequence > seen) seen = f.sequence
    this.#seenMax.set(folder, seen)
    const accepted: FileInfo[] = []
    for (const f of files) {
      const problem = (f.unsupported ?? []).join(', ') || nameProblem(f.name)
      if (problem !== undefined && problem !== '') {
        this.#ctx.log.warn({ device: this.link.device, folder, name: f.name, problem }, 'refused a record from a peer')
        continue
      }
      for (const note of f.ignored ?? []) this.#noteIgnored(folder, f.name, note)
      accepted.push(toFileInfo(f))
    }
    // A peer echoing versions we have (it pulled them from us) cannot create a need: no pass.
    const { index, self } = this.#ctx
    const news = kind === 'full' || accepted.some((f) => mayChangeNeed(index.getFile(folder, self, f.name), f))
    index.applyRemote(folder, this.link.bepId, accepted, kind)
    // An IndexUpdate changes the need of its names only: the pull pass looks at those.
    if (news) runner.requestPull(kind === 'full' ? undefined : accepted.map((f) => f.name))
  }

  #noteIgnored (folder: FolderId, name: string, note: string): void {
    const kind = note.split(':')[0] ?? note
    const key = `${folder}/${kind}`
    if (this.#noted.has(key)) return
    this.#noted.add(key)
    const what = kind === 'platform' ? 'ownership and extended attributes (platform data)' : kind === 'permissions' ? 'permission bits above 0o777' : `unknown field ${note}`
    this.#ctx.log.info({ device: this.link.device, folder, name, ignored: note }, `peer sends ${what}; weft does not apply it (logged once per folder)`)
  }

  /**
   * Serves a block Request. Requests are served concurrently (up to {@link maxServing} per
   * link; the next is read from the link only when one finishes), so reading one block from
   * disk overlaps hashing and sending another; Responses may leave out of order, as BEP allows.
   */
  async #onRequest (req: BepRequest): Promise<void> {
    const runner = this.#ctx.sharedRunner(this.link, req.folder)
    if (runner === undefined) {
      await this.link.sendFrame(encodeFrame({ type: 'response', id: req.id, data: new Uint8Array(), code: 'generic' }), 'response')
      return
    }
    while (this.#serving.size >= maxServing) await Promise.race(this.#serving)
    const task: Promise<void> = this.#serve(req, runner).finally(() => this.#serving.delete(task))
    this.#serving.add(task)
  }

  async #serve (req: BepRequest, runner: FolderRunner): Promise<void> {
    const served = await this.#ctx.blocks.serve(req, runner.config.path)
    if (served.changed === true) runner.requestScan([req.name])
    try {
      await this.link.sendFrame(served.frame, 'response', served.release)
    } catch {
      // The link closed under us: the peer re-requests on the next link; nothing to report.
    }
  }
}

/** The domain record of a wire record (drops wire-only fields). */
function toFileInfo (f: BepFileInfo): FileInfo {
  const file: FileInfo & Partial<Pick<BepFileInfo, 'unsupported' | 'ignored' | 'blocksHash' | 'previousBlocksHash'>> = { ...f }
  delete file.unsupported
  delete file.ignored
  delete file.blocksHash
  delete file.previousBlocksHash
  return file
}
