/**
 * Invite codes: one pasteable line carrying what a joiner needs — the network's ID, the
 * inviter's key (to authenticate whom it talks to), a random one-time token, the expiry, and
 * the inviter's current addresses — with a checksum that catches truncation and typos.
 *
 * Layout (then base32, lowercase, prefixed `weft1`): u8 version, 16 B network ID,
 * 32 B inviter public key, 16 B token, u32 expiry (unix s), u8 address count, per address
 * u8 length + binary multiaddr, then 4 B of SHA-256 over everything before.
 * The token alone admits nobody: the inviter checks it against the hash it stored, its
 * expiry and its remaining uses, so a forged or altered code is refused.
 */
import { createHash } from 'node:crypto'
import { WeftError } from '../core/errors.js'
import { base32Decode, base32Encode } from '../core/base32.js'
import type { DeviceId, NetworkId } from '../core/ids.js'
import { deviceIdFromPublicKey, parseDeviceId } from '../identity/device-id.js'

/** Prefix of every invite code (names the format version). */
export const invitePrefix = 'weft1'
const version = 1
const maxAddresses = 8

/** What an invite code carries. */
export interface Invite {
  networkId: NetworkId
  inviter: DeviceId
  /** 16 random bytes. */
  token: Uint8Array
  /** Unix seconds. */
  expiresAt: number
  /** Binary multiaddrs of the inviter. */
  addresses: Uint8Array[]
}

function checksum (bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest().subarray(0, 4)
}

/** Encodes an invite as one line of text. */
export function encodeInvite (invite: Invite): string {
  const addresses = invite.addresses.filter((a) => a.length < 256).slice(0, maxAddresses)
  const parts: Uint8Array[] = [
    Uint8Array.of(version),
    Buffer.from(invite.networkId, 'hex'),
    parseDeviceId(invite.inviter).publicKey,
    invite.token,
    (() => { const b = Buffer.alloc(4); b.writeUInt32BE(invite.expiresAt); return b })(),
    Uint8Array.of(addresses.length),
    ...addresses.flatMap((a) => [Uint8Array.of(a.length), a])
  ]
  const body = Buffer.concat(parts)
  return invitePrefix + base32Encode(Buffer.concat([body, checksum(body)])).toLowerCase()
}

function invalid (why: string): WeftError {
  return new WeftError('INVITE_INVALID', `invalid invite code: ${why}`)
}

/** Decodes an invite code; INVITE_INVALID naming what is wrong (never a crash). */
export function decodeInvite (text: string): Invite {
  const code = text.trim().replace(/\s+/g, '')
  if (!code.toLowerCase().startsWith(invitePrefix)) throw invalid(`it should start with "${invitePrefix}"`)
  if (code.length > 2048) throw invalid('it is far too long')
  const bytes = base32Decode(code.slice(invitePrefix.length).toUpperCase())
  if (bytes === undefined) throw invalid('it contains characters that cannot be part of a code (was it copied completely?)')
  if (bytes.length < 1 + 16 + 32 + 16 + 4 + 1 + 4) throw invalid('it is too short (was it truncated?)')
  const body = bytes.subarray(0, bytes.length - 4)
  if (!checksum(body).equals(bytes.subarray(bytes.length - 4))) throw invalid('checksum mismatch (was it truncated or mistyped?)')
  const buf = Buffer.from(body)
  if (buf[0] !== version) throw invalid(`unsupported version ${buf[0] ?? '?'}`)
  let offset = 1
  const take = (n: number): Buffer => {
    if (offset + n > buf.length) throw invalid('it ends too early')
    const out = buf.subarray(offset, offset + n)
    offset += n
    return out
  }
  const networkId = take(16).toString('hex') as NetworkId
  const inviter = deviceIdFromPublicKey(take(32))
  const token = new Uint8Array(take(16))
  const expiresAt = take(4).readUInt32BE(0)
  const count = take(1)[0] ?? 0
  if (count > maxAddresses) throw invalid('too many addresses')
  const addresses: Uint8Array[] = []
  for (let i = 0; i < count; i++) addresses.push(new Uint8Array(take(take(1)[0] ?? 0)))
  if (offset !== buf.length) throw invalid('unexpected trailing bytes')
  return { networkId, inviter, token, expiresAt, addresses }
}

/** Hex SHA-256 of a token, the form in which the issuer stores it. */
export function hashToken (token: Uint8Array): string {
  return createHash('sha256').update(token).digest('hex')
}
