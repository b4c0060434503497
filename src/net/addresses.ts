/**
 * Addresses as the layers above see them: multiaddr strings. Here they are classified into
 * paths (lan, direct, relay), filtered for sharing, and packed compactly for invite codes.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { isPrivateIp } from '@libp2p/utils'
import { WeftError } from '../core/errors.js'
import type { PathKind } from './types.js'

function hostOf (address: string): string | undefined {
  const match = /^\/(?:ip4|ip6)\/([^/]+)/.exec(address)
  return match?.[1]
}

/** The path a connection over `address` takes. */
export function pathOfAddress (address: string): PathKind {
  if (address.includes('/p2p-circuit')) return 'relay'
  const host = hostOf(address)
  if (host !== undefined && isPrivateIp(host) === true) return 'lan'
  return 'direct'
}

/** True for loopback addresses (127/8, ::1). */
export function isLoopbackAddress (address: string): boolean {
  const host = hostOf(address)
  return host !== undefined && (host.startsWith('127.') || host === '::1')
}

/** Preference of paths for new streams: lower is better. */
export function pathRank (path: PathKind): number {
  return path === 'lan' ? 0 : path === 'direct' ? 1 : 2
}

/** True for addresses worth telling other devices about (not unspecified, not circuit-less garbage). */
export function isShareableAddress (address: string): boolean {
  const host = hostOf(address)
  if (host === undefined) return address.startsWith('/dns')
  return host !== '0.0.0.0' && host !== '::'
}

/** Validates a multiaddr string; INVALID_ARGUMENT with the reason otherwise. */
export function checkAddress (address: string): string {
  try {
    return multiaddr(address).toString()
  } catch (err) {
    throw new WeftError('INVALID_ARGUMENT', `invalid address "${address}": ${(err as Error).message}`)
  }
}

/** Packs an address into its binary multiaddr form (about 8 bytes for IPv4 + TCP). */
export function addressToBytes (address: string): Uint8Array {
  return multiaddr(address).bytes
}

/** Unpacks a binary multiaddr; INVALID_ARGUMENT if the bytes are not one. */
export function addressFromBytes (bytes: Uint8Array): string {
  try {
    return multiaddr(bytes).toString()
  } catch (err) {
    throw new WeftError('INVALID_ARGUMENT', 'invalid address bytes', { cause: err })
  }
}
