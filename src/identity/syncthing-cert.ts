/**
 * This device's identity towards Syncthing devices: a self-signed ECDSA P-384 certificate with
 * Syncthing's own subject (O=Syncthing, OU=Automatically Generated, CN=syncthing), created once and kept beside the device key
 * (`syncthing-key.pem` mode 0600, `syncthing-cert.pem`), and the Syncthing device ID derived
 * from it as Syncthing does: SHA-256 of the DER certificate in the device ID form.
 */
import { createHash, webcrypto, X509Certificate as NodeX509 } from 'node:crypto'
import { join } from 'node:path'
// @peculiar/x509 needs the Reflect metadata API (its dependency injection), as @libp2p/tls does.
import 'reflect-metadata'
import { X509CertificateGenerator } from '@peculiar/x509'
import { WeftError } from '../core/errors.js'
import type { DeviceId } from '../core/ids.js'
import { readFileIfExists, writeFileAtomic } from '../core/atomic-file.js'
import { formatDeviceId } from './device-id.js'

/** The certificate and key, PEM-encoded, and the device ID they give. */
export interface SyncthingIdentity {
  certPem: string
  keyPem: string
  deviceId: DeviceId
}

/** Files of the Syncthing identity in a weft home. */
export function syncthingIdentityPaths (home: string): { cert: string, key: string } {
  return { cert: join(home, 'syncthing-cert.pem'), key: join(home, 'syncthing-key.pem') }
}

/** The Syncthing device ID of a certificate (PEM or DER). */
export function syncthingDeviceId (cert: string | Uint8Array): DeviceId {
  const der = new NodeX509(cert).raw
  return formatDeviceId(createHash('sha256').update(der).digest())
}

function pem (label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').match(/.{1,64}/g)?.join('\n') ?? ''
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`
}

/** Makes a new certificate like Syncthing's own (ECDSA P-384 signed with SHA-256, CN=syncthing, 20 years). */
export async function generateSyncthingIdentity (): Promise<SyncthingIdentity> {
  const alg = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-256' }
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])
  const notBefore = new Date()
  const notAfter = new Date(notBefore.getTime() + 20 * 365 * 24 * 3600 * 1000)
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    name: 'O=Syncthing, OU=Automatically Generated, CN=syncthing',
    notBefore,
    notAfter,
    signingAlgorithm: alg,
    keys
  }, webcrypto)
  const certPem = cert.toString('pem') + '\n'
  const keyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  return { certPem, keyPem, deviceId: syncthingDeviceId(certPem) }
}

/** Loads the Syncthing identity of a home, creating it on first use. */
export async function loadOrCreateSyncthingIdentity (home: string): Promise<SyncthingIdentity> {
  const paths = syncthingIdentityPaths(home)
  const [cert, key] = await Promise.all([readFileIfExists(paths.cert), readFileIfExists(paths.key)])
  if (cert !== undefined && key !== undefined) {
    try {
      return { certPem: cert.toString('utf8'), keyPem: key.toString('utf8'), deviceId: syncthingDeviceId(cert.toString('utf8')) }
    } catch (err) {
      throw new WeftError('CONFIG_INVALID', `${paths.cert} is not a valid certificate; move it away to make a new identity (Syncthing devices will see a new device ID)`, { cause: err })
    }
  }
  const identity = await generateSyncthingIdentity()
  await writeFileAtomic(paths.key, identity.keyPem, { mode: 0o600 })
  await writeFileAtomic(paths.cert, identity.certPem, { mode: 0o644 })
  return identity
}
