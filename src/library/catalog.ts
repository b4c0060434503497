/**
 * `node.catalog` and `node.kv`: the service catalog with health checks and the replicated
 * key-value store of each network (`weft catalog ...`, `weft kv ...`, `weft members`), over
 * the daemon's CatalogService.
 */
import type { AbortOptions } from '../core/lifecycle.js'
import type { CatalogService, MemberRow } from '../features/catalog/service.js'
import type { SourcedRegistration } from '../features/catalog/registrations.js'
import type { Health, InstanceView, KvView, RegistrationInput } from '../features/catalog/types.js'
import type { CatalogQuery } from '../features/catalog/views.js'

/** Options of KV writes: the network (optional in one network) and a check-and-set version. */
export interface KvWriteOptions {
  /** Network name or ID; optional when this node is in one network. */
  network?: string
  /** Write only if the key's current version is this one (`'0'`: only if it does not exist). */
  cas?: string
}

/** Services registered with health checks, as every member of a network sees them. */
export class Catalog {
  readonly #catalog: CatalogService

  /** @internal Built by {@link WeftNode}. */
  constructor (catalog: CatalogService) {
    this.#catalog = catalog
  }

  /**
   * Registers (or replaces) a service of this device in a network's catalog, with optional
   * checks (`tcp`, `http`, `script`, `ttl`). Its instance reaches every member by gossip.
   */
  async register (registration: RegistrationInput): Promise<SourcedRegistration> {
    return await this.#catalog.register(registration)
  }

  /** Removes a registration of this device. */
  async deregister (name: string, network?: string): Promise<void> {
    await this.#catalog.deregister(name, network)
  }

  /** Reports the state of a service with a `ttl` check (`passing`, `warning` or `critical`). */
  checkIn (name: string, status: Health = 'passing', note = '', network?: string): void {
    this.#catalog.checkIn(name, status, note, network)
  }

  /** This device's registrations. */
  registrations (): SourcedRegistration[] {
    return this.#catalog.registrations.list()
  }

  /** Instances of every member, filtered by network, name, tag and health. */
  instances (query: CatalogQuery & { network?: string } = {}): InstanceView[] {
    return this.#catalog.instances(query)
  }

  /** Gossip's view of the members (alive, suspect, dead, gone) of one network or all. */
  members (network?: string): MemberRow[] {
    return this.#catalog.members(network)
  }

  /**
   * Resolves with the new change index once the catalog, KV or a member state changes after
   * `index` (the value of {@link Catalog.index} you last read), or after `waitMs`.
   */
  async waitForChange (index: number, waitMs: number, options: AbortOptions = {}): Promise<number> {
    return await this.#catalog.waitForChange(index, waitMs, options.signal)
  }

  /** The change index: it grows with every change to the catalog, KV or member states. */
  get index (): number {
    return this.#catalog.index
  }
}

/** A network's key-value store, replicated to every member (last writer wins, by hybrid clock). */
export class Kv {
  readonly #catalog: CatalogService

  /** @internal Built by {@link WeftNode}. */
  constructor (catalog: CatalogService) {
    this.#catalog = catalog
  }

  /** One key's value and version; NOT_FOUND when absent. */
  get (key: string, network?: string): KvView {
    return this.#catalog.kvGet(key, network)
  }

  /** Keys under `prefix` (all keys by default). */
  list (prefix = '', network?: string): KvView[] {
    return this.#catalog.kvList(prefix, network)
  }

  /** Writes a value (a string is stored as UTF-8; at most 512 KiB); VERSION_MISMATCH when `cas` does not match. */
  put (key: string, value: string | Uint8Array, options: KvWriteOptions = {}): KvView {
    return this.#catalog.kvPut(key, typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value), options)
  }

  /** Deletes a key; NOT_FOUND when absent (unless `cas` is given). */
  delete (key: string, options: KvWriteOptions = {}): void {
    this.#catalog.kvDelete(key, options)
  }
}
