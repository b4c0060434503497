/**
 * The Syncthing identity: created once (key 0600), the same ID when loaded again, the ID in
 * Syncthing's form with valid check characters.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { loadOrCreateSyncthingIdentity, syncthingIdentityPaths } from './syncthing-cert.js'
import { luhn32 } from './device-id.js'

describe('syncthing identity', () => {
  it('is created once, kept private, and gives the same device ID when loaded again', async () => {
    const home = await mkdtemp(join(tmpdir(), 'weft-st-id-'))
    try {
      const first = await loadOrCreateSyncthingIdentity(home)
      const again = await loadOrCreateSyncthingIdentity(home)
      assert.equal(again.deviceId, first.deviceId)
      assert.match(first.deviceId, /^([A-Z2-7]{7}-){7}[A-Z2-7]{7}$/)
      const plain = first.deviceId.replace(/-/g, '')
      for (let i = 0; i < 4; i++) assert.equal(plain[i * 14 + 13], luhn32(plain.slice(i * 14, i * 14 + 13)))
      assert.equal((await stat(syncthingIdentityPaths(home).key)).mode & 0o777, 0o600)
      const cert = new X509Certificate(first.certPem)
      assert.match(cert.subject, /CN=syncthing/)
      assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1', 'the curve Syncthing uses')
      assert.ok(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(first.keyPem)))
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  })
})
