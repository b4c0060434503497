/**
 * LAN discovery by mDNS, inside a network namespace holding only a loopback (so nothing
 * multicasts on the machine's real interfaces): two members whose cached addresses are all
 * stale (both restarted on new ports) find each other again with no configuration.
 */
import { describe, it, before, after } from 'node:test'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startTestnet, formNetwork, waitForOnline, createLoopbackNamespace, netnsUnavailable } from '../../src/testing/index.js'
import type { Testnet, TestDaemon, LoopbackNamespace } from '../../src/testing/index.js'

const unavailable = await netnsUnavailable()
if (unavailable !== undefined) console.log(`# skipped mDNS discovery tests: ${unavailable}`)

describe('LAN discovery (mDNS in a namespace)', { skip: unavailable }, () => {
  let ns: LoopbackNamespace
  let net: Testnet
  before(async () => {
    ns = await createLoopbackNamespace('mdns')
    net = await startTestnet(2, { names: ['lan-a', 'lan-b'], mdns: true, wrap: ns.wrap })
  })
  after(async () => {
    await net?.stop()
    await ns?.remove()
  })

  it('members with only stale addresses find each other again', async () => {
    const [a, b] = net.daemons as [TestDaemon, TestDaemon]
    await formNetwork([a, b], 'lan')
    await waitForOnline(a, [b.deviceId])
    await Promise.all([a.stop(), b.stop()])
    for (const d of [a, b]) {
      const path = join(d.home, 'config.json')
      const config = JSON.parse(await readFile(path, 'utf8')) as { p2p: { mdnsIntervalMs: number } }
      config.p2p.mdnsIntervalMs = 1000
      await writeFile(path, JSON.stringify(config))
    }
    // Both come back on new ephemeral ports: every cached address is now wrong.
    await Promise.all([a.start(), b.start()])
    await waitForOnline(a, [b.deviceId])
    await waitForOnline(b, [a.deviceId])
  })
})
