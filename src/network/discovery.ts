/**
 * Finding members' current addresses through the DHT, privately. Each member publishes, for
 * each of its networks, a record under a key only members can compute and contents only
 * members can read:
 *
 * - the record's signing key pair comes from the seed HMAC(secret, net | device | epoch), so
 *   its DHT key (the hash of that public key, see net/dht/records.ts) changes every epoch
 *   (one hour) and reveals neither the network nor the device: an outsider can neither tell
 *   who is in a network nor link one epoch's announcement to the next;
 * - the payload is AES-256-GCM under HMAC(secret, net | epoch) and carries the addresses, a
 *   time and the device's own signature over them, so another member cannot forge them either.
 *
 * Lookups try the current and the previous epoch. The DHT node that stores a record still sees
 * who sent it (its address), as in any DHT; what it stores tells it nothing.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import type { DeviceId, NetworkId } from '../core/ids.js'
import { verifyByDevice } from '../identity/device-key.js'
import type { DiscoveryContext } from './context.js'

/** Length of an epoch: keys rotate this often. */
export const epochMs = 3600_000
const republishMs = 10 * 60_000
const lookupSpacingMs = 20_000
const maxAddresses = 8
const timeoutMs = 15_000

/** The epoch number of time `at`. */
export function epochOf (at: number): number {
  return Math.floor(at / epochMs)
}

function hmac (secret: string, label: string): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'hex')).update(label).digest()
}

/** Seed of the record `device` publishes in `net` during `epoch`. */
export function recordSeed (secret: string, net: NetworkId, device: DeviceId, epoch: number): Uint8Array {
  return hmac(secret, `weft/dht-seed/v1|${net}|${device}|${epoch}`)
}

function signedText (net: NetworkId, epoch: number, device: DeviceId, at: number, addresses: string[]): Buffer {
  return Buffer.from(`weft/dht-addr/v1|${net}|${epoch}|${device}|${at}|${addresses.join(' ')}`)
}

/** Encrypts a member's address announcement. */
export function sealAddresses (secret: string, net: NetworkId, epoch: number, device: DeviceId, sign: (data: Uint8Array) => Uint8Array, addresses: string[], at: number): Uint8Array {
  const list = addresses.slice(0, maxAddresses)
  const body = Buffer.from(JSON.stringify({ a: list, t: at, s: Buffer.from(sign(signedText(net, epoch, device, at, list))).toString('base64url') }))
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', hmac(secret, `weft/dht-key/v1|${net}|${epoch}`), nonce)
  cipher.setAAD(Buffer.from(`${net}|${epoch}|${device}`))
  return Buffer.concat([nonce, cipher.update(body), cipher.final(), cipher.getAuthTag()])
}

/** Decrypts and checks an announcement; undefined if it is not a genuine one by `device`. */
export function openAddresses (secret: string, net: NetworkId, epoch: number, device: DeviceId, payload: Uint8Array, now = Date.now()): string[] | undefined {
  try {
    const buf = Buffer.from(payload)
    if (buf.length < 12 + 16 + 2) return undefined
    const decipher = createDecipheriv('aes-256-gcm', hmac(secret, `weft/dht-key/v1|${net}|${epoch}`), buf.subarray(0, 12))
    decipher.setAAD(Buffer.from(`${net}|${epoch}|${device}`))
    decipher.setAuthTag(buf.subarray(buf.length - 16))
    const body = JSON.parse(Buffer.concat([decipher.update(buf.subarray(12, buf.length - 16)), decipher.final()]).toString('utf8')) as { a?: unknown, t?: unknown, s?: unknown }
    if (!Array.isArray(body.a) || body.a.length > maxAddresses || !body.a.every((x) => typeof x === 'string' && x.length < 256) || typeof body.t !== 'number' || typeof body.s !== 'string') return undefined
    const addresses = body.a as string[]
    if (Math.abs(now - body.t) > 2 * epochMs) return undefined
    return verifyByDevice(device, signedText(net, epoch, device, body.t, addresses), Buffer.from(body.s, 'base64url')) ? addresses : undefined
  } catch {
    return undefined
  }
}

/** Publishes this device's addresses and looks up members' in the mesh's DHT. */
export class DhtDiscovery {
  readonly #svc: DiscoveryContext
  readonly #lastLookup = new Map<DeviceId, number>()
  #timer?: NodeJS.Timeout
  #soon?: NodeJS.Timeout

  constructor (svc: DiscoveryContext) {
    this.#svc = svc
  }

  start (): void {
    if (this.#svc.mesh.dht === undefined) return
    this.#timer = setInterval(() => { void this.publish() }, republishMs)
    this.#timer.unref()
    this.publishSoon(5000)
  }

  stop (): void {
    clearInterval(this.#timer)
    clearTimeout(this.#soon)
  }

  /** Publishes after `delayMs`, once however often it is asked. */
  publishSoon (delayMs = 1000): void {
    if (this.#svc.mesh.dht === undefined) return
    clearTimeout(this.#soon)
    this.#soon = setTimeout(() => { void this.publish() }, delayMs)
    this.#soon.unref()
  }

  /** Publishes this device's current addresses in every active network. */
  async publish (): Promise<void> {
    const dht = this.#svc.mesh.dht
    if (dht === undefined) return
    const now = Date.now()
    const epoch = epochOf(now)
    const self = this.#svc.key.deviceId
    const addresses = this.#svc.mesh.listenAddresses()
    for (const record of this.#svc.activeNetworks()) {
      const payload = sealAddresses(record.secret, record.id, epoch, self, this.#svc.key.sign, addresses, now)
      try {
        await dht.put(recordSeed(record.secret, record.id, self, epoch), payload, { signal: AbortSignal.timeout(timeoutMs) })
      } catch (err) {
        this.#svc.log.debug({ network: record.id, err: (err as Error).message }, 'could not publish addresses in the DHT')
      }
    }
  }

  /** Addresses `device` published in a network we share (at most one lookup per 20 s per device). */
  async lookup (device: DeviceId): Promise<string[]> {
    const dht = this.#svc.mesh.dht
    const now = Date.now()
    if (dht === undefined || now - (this.#lastLookup.get(device) ?? 0) < lookupSpacingMs) return []
    this.#lastLookup.set(device, now)
    const epoch = epochOf(now)
    for (const record of this.#svc.activeNetworks().filter((r) => this.#svc.isMember(r.id, device))) {
      for (const e of [epoch, epoch - 1]) {
        const payload = await dht.get(recordSeed(record.secret, record.id, device, e), { signal: AbortSignal.timeout(timeoutMs) }).catch(() => undefined)
        const addresses = payload === undefined ? undefined : openAddresses(record.secret, record.id, e, device, payload, now)
        if (addresses !== undefined && addresses.length > 0) return addresses
      }
    }
    return []
  }
}
