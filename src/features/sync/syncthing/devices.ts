/**
 * The Syncthing devices this device knows (`<home>/syncthing.json`): each with its device ID,
 * a name, and where to dial it (`tcp://HOST:PORT`, or `dynamic` to only accept its calls).
 * Replaced atomically, validated on load. Addresses are parsed here, in one place.
 */
import { z } from 'zod'
import { WeftError } from '../../../core/errors.js'
import { readJsonFile, writeJsonFile } from '../../../core/json-file.js'
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
    const file = await readJsonFile(this.#path, fileSchema)
    return file?.devices ?? []
  }

  /** Saves the device list atomically. */
  async save (devices: readonly SyncthingDeviceConfig[]): Promise<void> {
    await writeJsonFile(this.#path, { version: 1, devices })
  }
}
