/**
 * Dotted config keys: listing, reading, typing command-line words by the schema, and refusing
 * unknown keys and bad values with one line that says what is accepted.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { defaultConfig, portKeys } from './config.js'
import { describeChanges, flattenConfig, getSetting, parseSettingValue, setSetting } from './config-keys.js'

const base = defaultConfig('t')

describe('config keys', () => {
  it('list every setting under dotted keys', () => {
    const rows = new Map(flattenConfig(base))
    assert.equal(rows.get('api.port'), 7557)
    assert.equal(rows.get('p2p.relay.enabled'), false)
    assert.deepEqual(rows.get('catalog.gossip'), {})
    assert.equal(getSetting(base, 'p2p.relay.enabled'), false)
    assert.equal(getSetting(base, 'catalog.gossip.probeIntervalMs'), undefined)
  })

  it('type words by the schema: booleans, numbers, durations, lists, off', () => {
    assert.equal(parseSettingValue('p2p.relay.enabled', 'on'), true)
    assert.equal(parseSettingValue('api.port', '7600'), 7600)
    assert.equal(setSetting(base, 'p2p.mdnsIntervalMs', parseSettingValue('p2p.mdnsIntervalMs', '30s')).p2p.mdnsIntervalMs, 30_000)
    assert.equal(setSetting(base, 'p2p.relay.maxCircuitSeconds', parseSettingValue('p2p.relay.maxCircuitSeconds', '2h')).p2p.relay.maxCircuitSeconds, 7200)
    assert.equal(setSetting(base, 'catalog.gossip.probeIntervalMs', parseSettingValue('catalog.gossip.probeIntervalMs', '2s')).catalog.gossip.probeIntervalMs, 2000)
    assert.deepEqual(parseSettingValue('p2p.listen', '/ip4/0.0.0.0/tcp/1, /ip6/::/tcp/1'), ['/ip4/0.0.0.0/tcp/1', '/ip6/::/tcp/1'])
    assert.deepEqual(parseSettingValue('p2p.announce', '["/ip4/1.2.3.4/tcp/1"]'), ['/ip4/1.2.3.4/tcp/1'])
    assert.equal(parseSettingValue('reach.dns', 'off'), null)
    assert.equal(parseSettingValue('deviceName', 'off'), 'off')
  })

  it('refuse unknown keys and bad values, saying what is accepted', () => {
    assert.throws(() => getSetting(base, 'nope'), /unknown setting "nope"; settings are: version, deviceName, api, p2p/)
    assert.throws(() => parseSettingValue('p2p.relay.nope', '1'), /p2p\.relay has: enabled, maxReservations/)
    assert.throws(() => parseSettingValue('api.port.x', '1'), /api\.port has no settings under it/)
    assert.throws(() => parseSettingValue('p2p.mdns', 'maybe'), /expected true or false/)
    assert.throws(() => parseSettingValue('api.port', 'eighty'), /expected a number/)
    assert.throws(() => setSetting(base, 'p2p.dht', 'sometimes'), /accepted: auto, server, client, off/)
    assert.throws(() => setSetting(base, 'api.port', 70000), /api\.port: .*accepted: whole numbers from 0 to 65535/)
    assert.throws(() => setSetting(base, 'p2p.mdnsIntervalMs', 'soon'), /not a duration/)
    assert.throws(() => setSetting(base, 'reach.socks', '10.0.0.1:1080'), /loopback/)
  })

  it('a port set by hand is the user\'s, and changes are described', () => {
    const auto = { ...base, autoPorts: [...portKeys] }
    const after = setSetting(auto, 'api.port', 7600)
    assert.deepEqual(after.autoPorts, portKeys.filter((k) => k !== 'api.port'))
    assert.deepEqual(describeChanges(auto, after), ['api.port = 7600 (was 7557)'])
  })
})
