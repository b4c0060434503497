/**
 * Laying settings over a config: set ones win, unset ones keep the config's, and the ports
 * given become the user's (off `autoPorts`).
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { defaultConfig, portKeys, validateConfig } from './config.js'
import { overlayConfig, overlayPorts } from './config-overlay.js'

describe('config overlay', () => {
  const base = { ...defaultConfig('t'), autoPorts: [...portKeys] }

  it('keeps the config when nothing is set', () => {
    assert.deepEqual(overlayConfig({})(base), base)
    assert.deepEqual(overlayPorts({}), [])
  })

  it('replaces what is set, everywhere it lives', () => {
    const c = validateConfig(overlayConfig({
      name: 'pi',
      apiPort: 0,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
      relay: true,
      dht: 'off',
      holePunching: false,
      dns: null,
      socks: '127.0.0.1:0',
      syncthingListen: 'tcp://0.0.0.0:22001',
      logLevel: 'debug'
    })(base), 'test')
    assert.equal(c.deviceName, 'pi')
    assert.equal(c.api.port, 0)
    assert.equal(c.api.host, base.api.host)
    assert.deepEqual(c.p2p.listen, ['/ip4/127.0.0.1/tcp/0'])
    assert.equal(c.p2p.mdns, false)
    assert.equal(c.p2p.relay.enabled, true)
    assert.equal(c.p2p.relay.maxReservations, base.p2p.relay.maxReservations)
    assert.equal(c.p2p.dht, 'off')
    assert.equal(c.p2p.holePunching, false)
    assert.equal(c.reach.dns, null)
    assert.equal(c.reach.socks, '127.0.0.1:0')
    assert.equal(c.reach.stableAddresses, base.reach.stableAddresses)
    assert.equal(c.syncthing.listen, 'tcp://0.0.0.0:22001')
    assert.equal(c.log.level, 'debug')
    assert.deepEqual(c.autoPorts, [])
  })

  it('makes the ports it gives the user\'s, and only those', () => {
    const overlay = { apiPort: 7600, dns: null }
    assert.deepEqual(overlayPorts(overlay), ['api.port', 'reach.dns'])
    assert.deepEqual(overlayConfig(overlay)(base).autoPorts, ['p2p.listen', 'reach.socks'])
    assert.deepEqual(overlayConfig({ mdns: false })(base).autoPorts, base.autoPorts)
  })

  it('leaves validation to the caller', () => {
    assert.throws(() => validateConfig(overlayConfig({ dns: '0.0.0.0:53' })(base), 'flags'), /CONFIG_INVALID|flags: reach.dns/)
  })
})
