/**
 * Self-signed TLS certificates for the bare data path of `npm run bench:sync`, made with
 * node:crypto alone (no weft code, no third-party library): an ECDSA P-256 key and a minimal
 * X.509 v3 certificate (CN=bench, no extensions, valid for a day) encoded in DER by hand.
 * The two ends pin each other's certificate by its SHA-256 fingerprint, as BEP pins device IDs.
 */
import { X509Certificate, generateKeyPairSync, randomBytes, sign } from 'node:crypto'

/** A key and certificate (PEM) and the certificate's fingerprint as node shows it (`AA:BB:…`). */
export interface BareIdentity {
  keyPem: string
  certPem: string
  fingerprint256: string
}

function length (n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

function tlv (tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), length(body.length), body])
}

const sequence = (...content: Buffer[]): Buffer => tlv(0x30, ...content)

function oid (dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]]
  const bytes = [40 * a + b]
  for (const arc of rest) {
    const groups: number[] = []
    for (let v = arc; ; v = Math.floor(v / 128)) { groups.unshift(v & 0x7f); if (v < 128) break }
    bytes.push(...groups.map((g, i) => i < groups.length - 1 ? g | 0x80 : g))
  }
  return tlv(0x06, Buffer.from(bytes))
}

function utcTime (date: Date): Buffer {
  const two = (n: number): string => String(n).padStart(2, '0')
  const text = `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`
  return tlv(0x17, Buffer.from(text, 'ascii'))
}

/** Makes a new key and self-signed certificate. */
export function bareIdentity (): BareIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'))
  const name = sequence(tlv(0x31, sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from('bench')))))
  const serial = randomBytes(8)
  serial[0] = serial[0]! & 0x7f | 0x01 // positive and non-zero
  const now = Date.now()
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version 3
    tlv(0x02, serial),
    ecdsaWithSha256,
    name,
    sequence(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' })
  )
  const signature = sign('sha256', tbs, privateKey)
  const der = sequence(tbs, ecdsaWithSha256, tlv(0x03, Buffer.from([0]), signature))
  const certPem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`
  const cert = new X509Certificate(certPem)
  if (!cert.checkPrivateKey(privateKey)) throw new Error('bench: the generated certificate does not match its key')
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem, fingerprint256: cert.fingerprint256 }
}
