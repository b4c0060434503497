/**
 * Settings flags of `weft init` and `weft daemon`: only flags given on the command line
 * count (not commander's `mdns: true` default), they become the daemon's config overlay
 * (`off` for none), and a malformed port is refused with a message.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { Command } from 'commander'
import { defaultConfig, portKeys } from '../daemon/config.js'
import { overlayConfig, overlayPorts } from '../daemon/config-overlay.js'
import { givenFlags, overlayOfFlags, withConfigFlags } from './config-flags.js'
import type { ConfigFlags } from './config-flags.js'

function parse (args: string[]): ConfigFlags {
  const command = withConfigFlags(new Command('daemon')).exitOverride()
  command.parse(args, { from: 'user' })
  return givenFlags(command, command.opts<ConfigFlags>())
}

describe('config flags', () => {
  it('count only what was given', () => {
    assert.deepEqual(parse([]), {})
    assert.deepEqual(parse(['--no-mdns', '--api-port', '7600']), { mdns: false, apiPort: '7600' })
  })
  it('become the overlay, with off for none', () => {
    assert.deepEqual(overlayOfFlags(parse([])), {})
    assert.deepEqual(overlayOfFlags(parse(['--api-port', '7600', '--dns', 'off', '--socks', '127.0.0.1:9050', '--relay', '--syncthing-listen', 'off'])),
      { apiPort: 7600, dns: null, socks: '127.0.0.1:9050', relay: true, syncthingListen: null })
  })
  it('apply to a config and fix the ports they give', () => {
    const overlay = overlayOfFlags(parse(['--api-port', '7600', '--dns', 'off', '--relay']))
    assert.deepEqual(overlayPorts(overlay), ['api.port', 'reach.dns'])
    const c = overlayConfig(overlay)({ ...defaultConfig('t'), autoPorts: [...portKeys] })
    assert.equal(c.api.port, 7600)
    assert.equal(c.reach.dns, null)
    assert.equal(c.p2p.relay.enabled, true)
    assert.equal(c.p2p.mdns, true)
    assert.deepEqual(c.autoPorts, ['p2p.listen', 'reach.socks'])
  })
  it('refuse a malformed port with a message', () => {
    assert.throws(() => overlayOfFlags(parse(['--api-port', 'x'])), { code: 'INVALID_ARGUMENT', message: /--api-port x: expected a port/ })
    assert.throws(() => overlayOfFlags(parse(['--api-port', '70000'])), /--api-port 70000: expected a port/)
  })
})
