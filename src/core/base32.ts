/**
 * RFC 4648 base32 (uppercase alphabet, no padding): the text form of device IDs and invites.
 */

/** The RFC 4648 base32 alphabet. */
export const base32Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** Encodes bytes as unpadded base32. */
export function base32Encode (bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += base32Alphabet[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
    buffer &= (1 << bits) - 1
  }
  if (bits > 0) out += base32Alphabet[(buffer << (5 - bits)) & 31]
  return out
}

/** Decodes unpadded base32; returns undefined on a character outside the alphabet or non-zero trailing bits. */
export function base32Decode (text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor(text.length * 5 / 8))
  let buffer = 0
  let bits = 0
  let i = 0
  for (const ch of text) {
    const value = base32Alphabet.indexOf(ch)
    if (value < 0) return undefined
    buffer = (buffer << 5) | value
    bits += 5
    if (bits >= 8) {
      out[i++] = (buffer >>> (bits - 8)) & 0xff
      bits -= 8
    }
    buffer &= (1 << bits) - 1
  }
  if (buffer !== 0) return undefined
  return out
}
