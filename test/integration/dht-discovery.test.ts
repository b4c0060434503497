/**
 * Members find each other's current addresses through the DHT: two members both restart on
 * new ports, so neither's cached address for the other works, and nothing else (no common
 * online member, no mDNS) can tell them; a bootstrap node that is not in their network holds
 * their records and cannot read them.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startTestnet, formNetwork, waitForOnline, TestDaemon } from '../../src/testing/index.js'
import type { Testnet } from '../../src/testing/index.js'
import type { DoctorReport } from '../../src/features/doctor.js'
import { peerIdOf } from '../../src/net/peer-ids.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'

describe('discovery through the DHT', () => {
  let boot: TestDaemon
  let net: Testnet
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-dht-'))
    boot = new TestDaemon('boot', join(dir, 'boot'))
    await boot.init(['--dht', 'server'])
    await boot.start()
    const address = (await boot.json<{ addresses: string[] }>(['status'])).addresses[0] ?? ''
    net = await startTestnet(2, { names: ['a', 'b'], initArgs: ['--bootstrap', `${address}/p2p/${peerIdOf(boot.deviceId).toString()}`] })
  })
  after(async () => {
    await net?.stop()
    await boot?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('two members that both moved to new ports meet again through their DHT records', async () => {
    const [a, b] = net.daemons as [TestDaemon, TestDaemon]
    await formNetwork([a, b], 'lab')
    await waitForOnline(a, [b.deviceId])
    const report = await a.json<DoctorReport>(['doctor'])
    assert.equal(report.dht.enabled, true)
    await Promise.all([a.stop(), b.stop()])
    await Promise.all([a.start(), b.start()])
    await waitForOnline(a, [b.deviceId], 120_000)
    const logs = await Promise.all([a, b].map(async (d) => await readFile(join(d.home, 'weft.log'), 'utf8')))
    assert.ok(logs.some((l) => l.includes('found member addresses in the DHT')), 'the addresses came from the DHT')
    // The bootstrap node is in no network: it stores records it cannot read and knows no member.
    assert.deepEqual(await boot.json<unknown[]>(['peers']), [])
  })
})
