/**
 * Port planning over a fake probe: which sockets each setting binds, taken defaults moved to
 * free spare ports (never onto another setting's port), configured ones refused with one line,
 * and bind errors traced back to their setting. One test binds a real loopback port.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { defaultConfig, portKeys } from './config.js'
import type { Config } from './config.js'
import { findTakenPort, firstSparePort, pickFreePorts, portInUseError, probeBind, settlePorts, slotOfBindError, slotsOf } from './ports.js'
import type { Bind, Probe } from './ports.js'

/** A probe that calls `taken` ports (any host) in use. */
function fakeProbe (taken: number[]): Probe & { calls: Bind[] } {
  const calls: Bind[] = []
  const probe = async (bind: Bind): Promise<string | undefined> => {
    calls.push(bind)
    return await Promise.resolve(taken.includes(bind.port) ? 'EADDRINUSE' : undefined)
  }
  return Object.assign(probe, { calls })
}

const base = (): Config => ({ ...defaultConfig('t'), autoPorts: [...portKeys] })

describe('ports', () => {
  it('knows what each setting binds', () => {
    const c = base()
    assert.deepEqual(slotsOf(c, 'api.port'), [{ key: 'api.port', port: 7557, binds: [{ proto: 'tcp', host: '127.0.0.1', port: 7557 }] }])
    assert.deepEqual(slotsOf(c, 'p2p.listen')[0]?.binds, [{ proto: 'tcp', host: '0.0.0.0', port: 7558 }, { proto: 'tcp', host: '::', port: 7558 }])
    assert.deepEqual(slotsOf(c, 'reach.dns')[0]?.binds, [{ proto: 'udp', host: '127.0.0.1', port: 7553 }])
    assert.deepEqual(slotsOf({ ...c, reach: { ...c.reach, socks: null, dns: '127.0.0.1:0' } }, 'reach.socks'), [])
    assert.deepEqual(slotsOf({ ...c, reach: { ...c.reach, dns: '127.0.0.1:0' } }, 'reach.dns'), [])
    assert.deepEqual(slotsOf({ ...c, p2p: { ...c.p2p, listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/0.0.0.0/tcp/7559/ws'] } }, 'p2p.listen').map((s) => s.port), [7559])
  })

  it('moves taken ports to free spare ones, never onto another setting\'s port', async () => {
    const probe = fakeProbe([7557, 7558, firstSparePort])
    const { config, moves } = await pickFreePorts(base(), portKeys, probe)
    assert.deepEqual(moves, [{ key: 'api.port', from: 7557, to: firstSparePort + 1 }, { key: 'p2p.listen', from: 7558, to: firstSparePort + 2 }])
    assert.equal(config.api.port, firstSparePort + 1)
    assert.deepEqual(config.p2p.listen, [`/ip4/0.0.0.0/tcp/${firstSparePort + 2}`, `/ip6/::/tcp/${firstSparePort + 2}`])
    assert.equal(config.reach.dns, '127.0.0.1:7553')
    // Only the keys asked for move.
    assert.deepEqual((await pickFreePorts(base(), ['reach.dns'], fakeProbe([7557]))).moves, [])
  })

  it('refuses a taken configured port with one line naming port, setting and command', async () => {
    const c = { ...base(), autoPorts: [] }
    const taken = await findTakenPort(c, portKeys, fakeProbe([7555]))
    assert.equal(taken?.slot.key, 'reach.socks')
    const err = await portInUseError(c, taken.slot, taken.problem, 'weft --home /h', fakeProbe([7555]))
    assert.equal(err.code, 'PORT_IN_USE')
    assert.equal(err.message, `port 7555 (127.0.0.1) is in use by another program; it is set by reach.socks: change it with "weft --home /h config set reach.socks 127.0.0.1:${firstSparePort}"`)
    assert.doesNotMatch(err.message, /\n/)
    await assert.rejects(settlePorts(c, 'weft', async () => { await Promise.reject(new Error('must not save')) }, fakeProbe([7558])), /set by p2p\.listen: change it with "weft config set p2p\.listen \/ip4\/0\.0\.0\.0\/tcp\/7560,\/ip6\/::\/tcp\/7560"/)
  })

  it('settles: saves only when an automatic port moved', async () => {
    const saved: Config[] = []
    const save = async (c: Config): Promise<void> => { saved.push(c); await Promise.resolve() }
    assert.deepEqual((await settlePorts(base(), 'weft', save, fakeProbe([]))).moves, [])
    assert.equal(saved.length, 0)
    const { moves } = await settlePorts({ ...base(), autoPorts: ['reach.dns'] }, 'weft', save, fakeProbe([7553]))
    assert.deepEqual(moves, [{ key: 'reach.dns', from: 7553, to: firstSparePort }])
    assert.equal(saved[0]?.reach.dns, `127.0.0.1:${firstSparePort}`)
  })

  it('traces a listener\'s EADDRINUSE back to its setting', () => {
    const c = base()
    const err = new Error('Some configured addresses failed to be listened on:\n\n  /ip4/0.0.0.0/tcp/7558: Error: listen EADDRINUSE: address already in use 0.0.0.0:7558\n      at Server.setupListenHandle')
    assert.equal(slotOfBindError(c, err)?.key, 'p2p.listen')
    assert.equal(slotOfBindError(c, new Error('bind EADDRINUSE 127.0.0.1:7553'))?.key, 'reach.dns')
    assert.equal(slotOfBindError(c, new Error('ECONNREFUSED 127.0.0.1:7553')), undefined)
    assert.equal(slotOfBindError(c, new Error('API port 7557 is in use', { cause: new Error('listen EADDRINUSE: address already in use 127.0.0.1:7557') }))?.key, 'api.port')
  })

  it('probes a real loopback port', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    try {
      assert.equal(await probeBind({ proto: 'tcp', host: '127.0.0.1', port }), 'EADDRINUSE')
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
    assert.equal(await probeBind({ proto: 'tcp', host: '127.0.0.1', port }), undefined)
  })
})
