/**
 * Device IDs in text form: the device's 32-byte Ed25519 public key in base32 (52 characters),
 * cut into four groups of 13, each followed by a Luhn mod 32 check character, and shown as
 * eight groups of seven joined by dashes (the layout Syncthing made familiar). The check
 * characters catch every single-character typo and most transpositions.
 */
import { WeftError } from '../core/errors.js'
import { base32Alphabet, base32Decode, base32Encode } from '../core/base32.js'
import type { DeviceId } from '../core/ids.js'

const keyLength = 32
const groupLength = 13

/** Luhn mod 32 check character over base32 text (the algorithm Syncthing uses). */
export function luhn32 (text: string): string {
  let factor = 1
  let sum = 0
  const n = base32Alphabet.length
  for (const ch of text) {
    const codepoint = base32Alphabet.indexOf(ch)
    if (codepoint < 0) throw new WeftError('INVALID_ARGUMENT', `character "${ch}" is not base32`)
    let addend = factor * codepoint
    factor = factor === 2 ? 1 : 2
    addend = Math.floor(addend / n) + (addend % n)
    sum += addend
  }
  const check = (n - (sum % n)) % n
  return base32Alphabet[check] as string
}

/** Formats a raw Ed25519 public key as a device ID. */
export function deviceIdFromPublicKey (publicKey: Uint8Array): DeviceId {
  if (publicKey.length !== keyLength) throw new WeftError('INVALID_ARGUMENT', `an Ed25519 public key has ${keyLength} bytes, got ${publicKey.length}`)
  return formatDeviceId(publicKey)
}

/**
 * Formats 32 bytes in the device ID form: base32 (52 characters), a Luhn mod 32 check character
 * after each 13, shown as 8 groups of 7. Syncthing formats SHA-256(certificate) this way.
 */
export function formatDeviceId (bytes: Uint8Array): DeviceId {
  if (bytes.length !== keyLength) throw new WeftError('INVALID_ARGUMENT', `a device ID holds ${keyLength} bytes, got ${bytes.length}`)
  const b32 = base32Encode(bytes)
  let withChecks = ''
  for (let i = 0; i < 4; i++) {
    const group = b32.slice(i * groupLength, (i + 1) * groupLength)
    withChecks += group + luhn32(group)
  }
  const chunks = withChecks.match(/.{7}/g) ?? []
  return chunks.join('-') as DeviceId
}

/**
 * Parses a device ID typed or pasted by a person: case, dashes and spaces are ignored, and
 * the letters people confuse with digits (0→O, 1→I, 8→B) are read as base32 would have them.
 * Throws INVALID_ARGUMENT naming what is wrong.
 */
export function parseDeviceId (text: string): { deviceId: DeviceId, publicKey: Uint8Array } {
  const cleaned = text.trim().toUpperCase().replace(/[-\s]/g, '').replace(/0/g, 'O').replace(/1/g, 'I').replace(/8/g, 'B')
  if (cleaned.length !== 56) throw new WeftError('INVALID_ARGUMENT', `invalid device ID "${text}": expected 56 characters (8 groups of 7), got ${cleaned.length}`)
  let b32 = ''
  for (let i = 0; i < 4; i++) {
    const chunk = cleaned.slice(i * (groupLength + 1), (i + 1) * (groupLength + 1))
    const group = chunk.slice(0, groupLength)
    if (!/^[A-Z2-7]+$/.test(chunk)) throw new WeftError('INVALID_ARGUMENT', `invalid device ID "${text}": group ${i + 1} has a character outside base32`)
    if (luhn32(group) !== chunk[groupLength]) throw new WeftError('INVALID_ARGUMENT', `invalid device ID "${text}": check character of group ${i + 1} does not match (typo?)`)
    b32 += group
  }
  const publicKey = base32Decode(b32)
  if (publicKey?.length !== keyLength) throw new WeftError('INVALID_ARGUMENT', `invalid device ID "${text}": does not encode a 32-byte key`)
  return { deviceId: deviceIdFromPublicKey(publicKey), publicKey }
}

/** The first group of a device ID, as shown in compact listings. */
export function shortDeviceId (deviceId: DeviceId): string {
  return deviceId.slice(0, 7)
}
