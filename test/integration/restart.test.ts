/**
 * A daemon restarts with the same identity and memberships, and its members reconnect.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { startTestnet, formNetwork, waitForOnline } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'

describe('restart', () => {
  let net: Testnet
  before(async () => { net = await startTestnet(2, { names: ['stays', 'restarts'] }) })
  after(async () => { await net.stop() })

  it('keeps identity and memberships, and reconnects', async () => {
    const [a, b] = net.daemons as [TestDaemon, TestDaemon]
    await formNetwork([a, b], 'home')
    await waitForOnline(a, [b.deviceId])
    const idBefore = await b.json<{ deviceId: string }>(['id'])
    const netsBefore = await b.json(['net', 'ls'])
    assert.equal(await b.stop(), 0, 'SIGTERM stops the daemon cleanly (exit 0)')
    await waitForOnline(a, [])
    await b.start()
    assert.deepEqual(await b.json(['id']), idBefore)
    const netsAfter = await b.json<Array<{ id: string, name: string, members: number }>>(['net', 'ls'])
    assert.deepEqual(netsAfter.map(({ id, name, members }) => ({ id, name, members })), (netsBefore as typeof netsAfter).map(({ id, name, members }) => ({ id, name, members })))
    // b listens on a new ephemeral port; it reconnects from its cached addresses of a.
    await waitForOnline(b, [a.deviceId])
    await waitForOnline(a, [b.deviceId])
    // And the other way: a restarts and finds b again.
    assert.equal(await a.stop(), 0)
    await a.start()
    await waitForOnline(a, [b.deviceId])
  })
})
