/**
 * Conversions between weft device IDs and libp2p PeerIds: both are the same Ed25519 key.
 */
import { publicKeyFromRaw, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { WeftError } from '../core/errors.js'
import type { DeviceId } from '../core/ids.js'
import { deviceIdFromPublicKey, parseDeviceId } from '../identity/device-id.js'

/** The libp2p PeerId of a device. */
export function peerIdOf (device: DeviceId): PeerId {
  return peerIdFromPublicKey(publicKeyFromRaw(parseDeviceId(device).publicKey))
}

/** The device ID of a libp2p PeerId; throws PROTOCOL_ERROR for non-Ed25519 peers. */
export function deviceIdOf (peer: PeerId): DeviceId {
  if (peer.type !== 'Ed25519' || peer.publicKey === undefined) throw new WeftError('PROTOCOL_ERROR', `peer ${peer.toString()} does not use an Ed25519 key`)
  return deviceIdFromPublicKey(peer.publicKey.raw)
}

/** Like {@link deviceIdOf} but returns undefined for peers that cannot be weft devices. */
export function tryDeviceIdOf (peer: PeerId): DeviceId | undefined {
  try {
    return deviceIdOf(peer)
  } catch {
    return undefined
  }
}

/** The libp2p private key for a device's Ed25519 seed. */
export async function libp2pKeyFromSeed (seed: Uint8Array): Promise<PrivateKey> {
  return await generateKeyPairFromSeed('Ed25519', seed)
}
