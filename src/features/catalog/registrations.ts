/**
 * Services registered on this device: those added by CLI or API, kept in
 * `<home>/catalog.json` (atomic writes, schema-checked at start), and those defined in the
 * daemon's config file (read-only here: change them in config.json). One service name per
 * network on a device.
 */
import { z } from 'zod'
import { WeftError } from '../../core/errors.js'
import { readJsonFile, writeJsonFile } from '../../core/json-file.js'
import type { NetworkId } from '../../core/ids.js'
import { registrationSchema } from './types.js'
import type { StoredRegistration } from './types.js'

const storedSchema = registrationSchema.extend({ network: z.string().regex(/^[0-9a-f]{32}$/) })
const fileSchema = z.object({ version: z.literal(1), services: z.array(storedSchema) }).strict()

/** A registration and where it came from. */
export type SourcedRegistration = StoredRegistration & { origin: 'api' | 'config' }

function keyOf (r: { network: NetworkId, name: string }): string {
  return `${r.network}/${r.name}`
}

/** The registrations of this device. */
export class Registrations {
  readonly #path: string
  #api = new Map<string, StoredRegistration>()
  #config = new Map<string, StoredRegistration>()

  constructor (path: string) {
    this.#path = path
  }

  async load (): Promise<void> {
    const parsed = await readJsonFile(this.#path, fileSchema)
    if (parsed === undefined) return
    this.#api = new Map(parsed.services.map((s) => { const r = { ...s, network: s.network as NetworkId }; return [keyOf(r), r] }))
  }

  /** Sets the registrations defined in the config file. */
  setConfig (list: StoredRegistration[]): void {
    this.#config = new Map(list.map((r) => [keyOf(r), r]))
  }

  list (): SourcedRegistration[] {
    const out = new Map<string, SourcedRegistration>()
    for (const [k, r] of this.#config) out.set(k, { ...r, origin: 'config' })
    for (const [k, r] of this.#api) out.set(k, { ...r, origin: 'api' })
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  /** Adds or replaces a registration and saves. */
  async put (r: StoredRegistration): Promise<void> {
    if (this.#config.has(keyOf(r))) throw new WeftError('ALREADY_EXISTS', `service ${r.name} is defined in config.json; change it there`)
    const next = new Map(this.#api)
    next.set(keyOf(r), r)
    await this.#save(next)
  }

  /** Removes a registration by name (in `network` when given); NOT_FOUND when none. */
  async remove (name: string, network?: NetworkId): Promise<StoredRegistration> {
    const matches = [...this.#api.values()].filter((r) => r.name === name && (network === undefined || r.network === network))
    if (matches.length === 0) {
      const inConfig = [...this.#config.values()].some((r) => r.name === name)
      throw new WeftError(inConfig ? 'FORBIDDEN' : 'NOT_FOUND', inConfig ? `service ${name} is defined in config.json; remove it there` : `no registered service named ${JSON.stringify(name)}`)
    }
    if (matches.length > 1) throw new WeftError('INVALID_ARGUMENT', `service ${name} is registered in several networks: say which with --net`)
    const r = matches[0] as StoredRegistration
    const next = new Map(this.#api)
    next.delete(keyOf(r))
    await this.#save(next)
    return r
  }

  async #save (next: Map<string, StoredRegistration>): Promise<void> {
    await writeJsonFile(this.#path, { version: 1, services: [...next.values()] })
    this.#api = next
  }
}
