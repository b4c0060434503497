/**
 * The services this device exposes, persisted in `<home>/services.json` (atomic writes). A
 * file that does not match the schema stops the daemon with a message naming the problem
 * rather than silently exposing less (or more) than the user asked for.
 */
import { z } from 'zod'
import { WeftError } from '../../core/errors.js'
import { readJsonFile, writeJsonFile } from '../../core/json-file.js'
import type { DeviceId, NetworkId } from '../../core/ids.js'
import { serviceNamePattern } from './types.js'
import type { ExposedService } from './types.js'

const serviceSchema = z.object({
  name: z.string().regex(serviceNamePattern),
  port: z.number().int().min(1).max(65535),
  host: z.string().min(1).max(255),
  network: z.string().min(1),
  allow: z.array(z.string()),
  udp: z.boolean()
}).strict()

const fileSchema = z.object({ version: z.literal(1), services: z.array(serviceSchema) }).strict()

/** Loads and saves the exposed services. */
export class ServiceRegistry {
  readonly #path: string
  #services = new Map<string, ExposedService>()

  constructor (path: string) {
    this.#path = path
  }

  async load (): Promise<void> {
    const parsed = await readJsonFile(this.#path, fileSchema)
    if (parsed === undefined) return
    this.#services = new Map(parsed.services.map((s) => [s.name, { ...s, network: s.network as NetworkId, allow: s.allow as DeviceId[] }]))
  }

  list (): ExposedService[] {
    return [...this.#services.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  get (name: string): ExposedService | undefined {
    return this.#services.get(name)
  }

  /** Adds or replaces a service and saves. */
  async put (service: ExposedService): Promise<void> {
    const next = new Map(this.#services)
    next.set(service.name, service)
    await this.#save(next)
  }

  /** Removes a service and saves; NOT_FOUND when there is none of that name. */
  async remove (name: string): Promise<void> {
    if (!this.#services.has(name)) throw new WeftError('NOT_FOUND', `no exposed service named ${JSON.stringify(name)}`)
    const next = new Map(this.#services)
    next.delete(name)
    await this.#save(next)
  }

  async #save (next: Map<string, ExposedService>): Promise<void> {
    await writeJsonFile(this.#path, { version: 1, services: [...next.values()] })
    this.#services = next
  }
}
