/**
 * The WebSockets transport: two daemons that listen only on `/ws` form a network and stay
 * connected over it.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { startTestnet, formNetwork, waitForOnline } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'

describe('WebSockets', () => {
  let net: Testnet
  before(async () => { net = await startTestnet(2, { names: ['ws-a', 'ws-b'], initArgs: ['--listen', '/ip4/127.0.0.1/tcp/0/ws'] }) })
  after(async () => { await net.stop() })

  it('carries membership and peers over /ws only', async () => {
    const [a, b] = net.daemons as [TestDaemon, TestDaemon]
    const status = await a.json<{ addresses: string[] }>(['status'])
    assert.ok(status.addresses.length > 0 && status.addresses.every((addr) => addr.endsWith('/ws')), status.addresses.join())
    await formNetwork([a, b], 'web')
    const peers = await waitForOnline(a, [b.deviceId])
    assert.ok(peers[0]!.addresses.some((addr) => addr.includes('/ws')), peers[0]!.addresses.join())
  })
})
