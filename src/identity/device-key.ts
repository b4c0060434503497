/**
 * The device's Ed25519 key: generated once, stored as PKCS#8 PEM with mode 0600 in the
 * device's home, used to sign membership records and (through the net layer) as the
 * libp2p peer key, so the device ID, the libp2p PeerId and the signer are the same key.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { WeftError } from '../core/errors.js'
import { readFileIfExists, writeFileAtomic } from '../core/atomic-file.js'
import type { DeviceId } from '../core/ids.js'
import { deviceIdFromPublicKey, parseDeviceId } from './device-id.js'

/** A device's key pair and the ID derived from it. */
export interface DeviceKey {
  readonly deviceId: DeviceId
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
  /** Raw 32-byte Ed25519 seed (the private key); never leaves the process except to the key file. */
  readonly seed: Uint8Array
  /** Signs `data` with the device key. */
  sign: (data: Uint8Array) => Uint8Array
}

const spkiEd25519Prefix = Buffer.from('302a300506032b6570032100', 'hex')

function rawPublicKey (key: KeyObject): Uint8Array {
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(der.length - 32))
}

function rawSeed (key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' })
  if (typeof jwk.d !== 'string') throw new WeftError('INTERNAL', 'private key has no seed')
  return new Uint8Array(Buffer.from(jwk.d, 'base64url'))
}

function fromKeyObject (privateKey: KeyObject): DeviceKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new WeftError('CONFIG_INVALID', `device key must be Ed25519, found ${privateKey.asymmetricKeyType ?? 'unknown'}`)
  const publicKey = rawPublicKey(privateKey)
  return {
    deviceId: deviceIdFromPublicKey(publicKey),
    publicKey,
    seed: rawSeed(privateKey),
    sign: (data) => new Uint8Array(sign(null, data, privateKey))
  }
}

const pkcs8Ed25519Prefix = Buffer.from('302e020100300506032b657004220420', 'hex')

/** The Ed25519 key pair of a 32-byte seed (device keys, and keys derived for one purpose). */
export function keyFromSeed (seed: Uint8Array): DeviceKey {
  if (seed.length !== 32) throw new WeftError('INVALID_ARGUMENT', 'an Ed25519 seed has 32 bytes')
  return fromKeyObject(createPrivateKey({ key: Buffer.concat([pkcs8Ed25519Prefix, seed]), format: 'der', type: 'pkcs8' }))
}

/** Verifies an Ed25519 signature by a raw 32-byte public key. Never throws on bad input. */
export function verifyEd25519 (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([spkiEd25519Prefix, publicKey]), format: 'der', type: 'spki' })
    return verify(null, data, key, signature)
  } catch {
    return false
  }
}

/** Generates a fresh device key (not stored). */
export function generateDeviceKey (): DeviceKey {
  return fromKeyObject(generateKeyPairSync('ed25519').privateKey)
}

/** Writes the key to `path` (0600); refuses to overwrite an existing key. */
export async function saveDeviceKey (path: string, key: DeviceKey): Promise<void> {
  if (await readFileIfExists(path) !== undefined) throw new WeftError('ALREADY_EXISTS', `a device key already exists at ${path}`)
  const jwk = { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(key.seed).toString('base64url'), x: Buffer.from(key.publicKey).toString('base64url') }
  const pem = createPrivateKey({ key: jwk, format: 'jwk' }).export({ format: 'pem', type: 'pkcs8' })
  await writeFileAtomic(path, pem, { mode: 0o600 })
}

/** Loads the device key; NOT_INITIALIZED if missing, CONFIG_INVALID if unreadable or too open. */
export async function loadDeviceKey (path: string): Promise<DeviceKey> {
  const pem = await readFileIfExists(path)
  if (pem === undefined) throw new WeftError('NOT_INITIALIZED', `no device key at ${path}: run "weft init" first`)
  const info = await stat(path)
  if ((info.mode & 0o077) !== 0) throw new WeftError('CONFIG_INVALID', `device key ${path} is readable by others (mode ${(info.mode & 0o777).toString(8)}); run: chmod 600 ${path}`)
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(pem)
  } catch (err) {
    throw new WeftError('CONFIG_INVALID', `device key ${path} is not a valid PEM private key`, { cause: err })
  }
  return fromKeyObject(privateKey)
}

/** Verifies an Ed25519 signature by the device with ID `signer`. Never throws on bad input. */
export function verifyByDevice (signer: DeviceId | string, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verifyEd25519(parseDeviceId(signer).publicKey, data, signature)
  } catch {
    return false
  }
}
