/**
 * weft derives Syncthing device IDs exactly as Syncthing does: for certificates Syncthing
 * itself generates, our ID equals the one Syncthing prints. Skipped (with one line saying why)
 * when `syncthing` is not installed.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { once } from 'node:events'
import { generateSyncthingIdentity, syncthingDeviceId } from '../../src/identity/syncthing-cert.js'
import { SyncthingInstance, syncthingUnavailable } from '../../src/testing/syncthing.js'

describe('Syncthing device IDs', () => {
  it('match what Syncthing prints for its own certificates', async (t) => {
    const why = await syncthingUnavailable()
    if (why !== undefined) return t.skip(`syncthing not available: ${why}`)
    for (let i = 0; i < 3; i++) {
      const home = await mkdtemp(join(tmpdir(), 'weft-st-gen-'))
      try {
        const output = await new Promise<string>((resolve, reject) => {
          execFile('syncthing', ['generate', `--home=${home}`], { timeout: 60_000 }, (err, stdout, stderr) => { if (err !== null) reject(new Error(err.message)); else resolve(stdout + stderr) })
        })
        const printed = /Device ID:\s*([A-Z0-9-]{63})/.exec(output)?.[1]
        assert.ok(printed !== undefined, `syncthing generate printed no device ID: ${output}`)
        assert.equal(syncthingDeviceId(await readFile(join(home, 'cert.pem'), 'utf8')), printed)
      } finally {
        await rm(home, { recursive: true, force: true })
      }
    }
  })

  it('a real Syncthing completes TLS 1.3 with ALPN bep/1.0 against weft\'s certificate and sends its Hello', async (t) => {
    const why = await syncthingUnavailable()
    if (why !== undefined) return t.skip(`syncthing not available: ${why}`)
    const me = await generateSyncthingIdentity()
    const st = await SyncthingInstance.start({ name: 'peer' })
    try {
      await st.addDevice(me.deviceId, 'dynamic', 'weft')
      const [host = '', port = ''] = st.address.replace(/^tcp:\/\//, '').split(':')
      const socket = connect({ host, port: Number(port), cert: me.certPem, key: me.keyPem, ALPNProtocols: ['bep/1.0'], minVersion: 'TLSv1.3', rejectUnauthorized: false })
      await once(socket, 'secureConnect')
      assert.equal(socket.alpnProtocol, 'bep/1.0')
      assert.equal(syncthingDeviceId(socket.getPeerX509Certificate()?.raw ?? new Uint8Array()), st.deviceId, 'the peer is the Syncthing we started')
      const [first] = await once(socket, 'data') as [Buffer]
      assert.equal(first.readUInt32BE(0), 0x2EA7D90B, 'Syncthing sent its Hello (BEP magic)')
      socket.destroy()
    } finally {
      await st.stop()
    }
  })
})
