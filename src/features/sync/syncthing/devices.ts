/**
 * The Syncthing devices this device knows (`<home>/syncthing.json`): each with its device ID,
 * a name, and where to dial it (`tcp://HOST:PORT`, or `dynamic` to only accept its calls).
 * Replaced atomically, validated on load. Addresses are parsed here, in one place.
 */
import { z } from 'zod'
import { WeftError } from '../../../core/errors.js'
import { readFileIfExists, writeFileAtomic } from '../../../core/atomic-file.js'
import type { DeviceId } from '../../../core/ids.js'
import { parseDeviceId } from '../../../identity/device-id.js'

/** One Syncthing device. */
export interface SyncthingDeviceConfig {
  id: DeviceId
  name: string
  /** `tcp://HOST:PORT` addresses to dial, or `dynamic` (never dialled: it calls us). */
  addresses: string[]
}

/** A dialable BEP address. */
export interface BepAddress { host: string, port: number }

/**
 * Parses `tcp://HOST:PORT` (also `tcp4://`, `tcp6://`, IPv6 in brackets); undefined for
 * `dynamic`. Throws INVALID_ARGUMENT for anything else (relay and QUIC addresses included:
 * weft speaks BEP over TCP only).
 */
export function parseBepAddress (text: string): BepAddress | undefined {
  if (text === 'dynamic') return undefined
  const m = /^tcp[46]?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(text)
  const port = Number(m?.[2])
  if (m === null || port < 1 || port > 65535) throw new WeftError('INVALID_ARGUMENT', `invalid Syncthing address "${text}": expected tcp://HOST:PORT or dynamic`)
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port }
}

const addressSchema = z.string().max(300).refine((a) => { try { parseBepAddress(a); return true } catch { return false } }, 'expected tcp://HOST:PORT or dynamic')

const deviceSchema = z.object({
  id: z.string().transform((s, ctx) => {
    try { return parseDeviceId(s).deviceId } catch (err) { ctx.addIssue({ code: 'custom', message: (err as Error).message }); return z.NEVER }
  }),
  name: z.string().max(64),
  addresses: z.array(addressSchema).max(16)
}).strict()

const fileSchema = z.object({ version: z.literal(1), devices: z.array(deviceSchema).max(1000) }).strict()

/** Reads and writes syncthing.json. */
export class SyncthingDeviceStore {
  readonly #path: string

  constructor (path: string) {
    this.#path = path
  }

  /** Loads the device list (empty when the file does not exist). */
  async load (): Promise<SyncthingDeviceConfig[]> {
    const raw = await readFileIfExists(this.#path)
    if (raw === undefined) return []
    let parsed: unknown
    try {
      parsed = JSON.parse(raw.toString('utf8'))
    } catch {
      throw new WeftError('CONFIG_INVALID', `${this.#path} is not valid JSON`)
    }
    const result = fileSchema.safeParse(parsed)
    if (!result.success) {
      const issue = result.error.issues[0]
      throw new WeftError('CONFIG_INVALID', `${this.#path}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`)
    }
    return result.data.devices
  }

  /** Saves the device list atomically. */
  async save (devices: readonly SyncthingDeviceConfig[]): Promise<void> {
    await writeFileAtomic(this.#path, JSON.stringify({ version: 1, devices }, null, 2) + '\n')
  }
}
