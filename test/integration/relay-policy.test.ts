/**
 * A relay serves only the members of its networks and only up to its limits, and says why it
 * refuses (as `weft doctor` shows); a flood of garbage connections to a daemon's listener
 * costs it nothing lasting. Real daemons on loopback (no NAT needed to be refused).
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { connect } from 'node:net'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startTestnet, formNetwork, waitForOnline, waitFor } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'
import type { DoctorReport } from '../../src/features/doctor.js'
import { peerIdOf } from '../../src/net/peer-ids.js'

async function relayAddress (relay: TestDaemon): Promise<string> {
  const status = await relay.json<{ addresses: string[] }>(['status'])
  const tcp = status.addresses.find((a) => /^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/.test(a))
  if (tcp === undefined) throw new Error(`no loopback TCP address in ${status.addresses.join(' ')}`)
  return `${tcp}/p2p/${peerIdOf(relay.deviceId).toString()}`
}

async function useRelay (daemon: TestDaemon, address: string): Promise<void> {
  await daemon.stop()
  const path = join(daemon.home, 'config.json')
  const config = JSON.parse(await readFile(path, 'utf8')) as { p2p: { relays: string[] } }
  config.p2p.relays = [address]
  await writeFile(path, JSON.stringify(config))
  await daemon.start()
}

async function relayState (daemon: TestDaemon): Promise<DoctorReport['relays'][number]> {
  return await waitFor(`${daemon.name} to settle with its relay`, async () => {
    const report = await daemon.json<DoctorReport>(['doctor'])
    const relay = report.relays[0]
    return relay !== undefined && relay.state !== 'connecting' ? relay : undefined
  }, 30_000, 300)
}

describe('relay policy', () => {
  let net: Testnet
  let relay: TestDaemon
  let member: TestDaemon
  let second: TestDaemon
  let stranger: TestDaemon
  before(async () => {
    net = await startTestnet(4, { names: ['relay', 'member', 'second', 'stranger'] })
    ;[relay, member, second, stranger] = net.daemons as [TestDaemon, TestDaemon, TestDaemon, TestDaemon]
    // A relay that takes one reservation at a time.
    await relay.stop()
    const path = join(relay.home, 'config.json')
    const config = JSON.parse(await readFile(path, 'utf8')) as { p2p: { relay: { enabled: boolean, maxReservations: number } } }
    config.p2p.relay = { ...config.p2p.relay, enabled: true, maxReservations: 1 }
    await writeFile(path, JSON.stringify(config))
    await relay.start()
    await formNetwork([relay, member, second], 'lab')
    await waitForOnline(relay, [member.deviceId, second.deviceId])
  })
  after(async () => { await net.stop() })

  it('members reserve a slot on a member that relays; one over the limit is refused, and told why', async () => {
    // Both members find the relay among their fellows; it takes one reservation only.
    const states = await Promise.all([member, second].map(relayState))
    const reserved = states.filter((s) => s.state === 'reserved')
    const refused = states.filter((s) => s.state === 'refused')
    assert.equal(reserved.length, 1, JSON.stringify(states))
    assert.equal(refused.length, 1, JSON.stringify(states))
    assert.match(refused[0]?.reason ?? '', /RESERVATION_REFUSED|RESOURCE_LIMIT_EXCEEDED/)
    assert.match(reserved[0]?.address ?? '', /\/p2p-circuit$/)
    const holder = states[0]?.state === 'reserved' ? member : second
    assert.ok((await holder.json<{ addresses: string[] }>(['status'])).addresses.includes(reserved[0]?.address ?? ''))
    assert.equal((await relay.json<DoctorReport>(['doctor'])).servesRelay, true)
  })

  it('a device in none of the relay\'s networks is refused, and told why', async () => {
    await useRelay(stranger, await relayAddress(relay))
    const state = await relayState(stranger)
    assert.equal(state.state, 'refused')
    assert.match(state.reason ?? '', /PERMISSION_DENIED/)
    assert.ok(!(await stranger.json<{ addresses: string[] }>(['status'])).addresses.some((a) => a.includes('p2p-circuit')))
  })

  it('a flood of garbage connections to the listener leaves the daemon working', async () => {
    const address = await relayAddress(relay)
    const port = Number(/\/tcp\/(\d+)/.exec(address)?.[1])
    const garbage = [
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
      Buffer.concat([Buffer.from([19]), Buffer.from('/multistream/1.0.0\n'), Buffer.from([12]), Buffer.from('/tls/1.0.0\n'), Buffer.alloc(500, 0x16)]),
      Buffer.alloc(64 * 1024, 0x41)
    ]
    await Promise.all(Array.from({ length: 150 }, async (_, i) => {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1')
        socket.on('error', () => { resolve() })
        socket.on('close', () => { resolve() })
        socket.on('connect', () => { socket.end(garbage[i % garbage.length] ?? Buffer.alloc(1)) })
        setTimeout(() => { socket.destroy(); resolve() }, 15_000).unref()
      })
    }))
    const report = await member.json<DoctorReport>(['doctor'])
    assert.equal(report.members.find((m) => m.deviceId === relay.deviceId)?.path, 'lan')
    const { code } = await relay.json<{ code: string }>(['net', 'invite', 'lab'])
    assert.match(code, /^weft1/)
  })
})
