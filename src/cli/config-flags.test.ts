/**
 * Settings flags of `weft init` and `weft daemon`: only flags given on the command line
 * count (not commander's `mdns: true` default), and port flags make their port the user's.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { Command } from 'commander'
import { defaultConfig, portKeys } from '../daemon/config.js'
import { applyFlags, explicitPorts, givenFlags, withConfigFlags } from './config-flags.js'
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
  it('apply to a config and fix the ports they give', () => {
    const flags = parse(['--api-port', '7600', '--dns', 'off', '--relay'])
    assert.deepEqual(explicitPorts(flags), ['api.port', 'reach.dns'])
    const c = applyFlags(flags)({ ...defaultConfig('t'), autoPorts: [...portKeys] })
    assert.equal(c.api.port, 7600)
    assert.equal(c.reach.dns, null)
    assert.equal(c.p2p.relay.enabled, true)
    assert.equal(c.p2p.mdns, true)
    assert.deepEqual(c.autoPorts, ['p2p.listen', 'reach.socks'])
    assert.throws(() => applyFlags(parse(['--api-port', 'x']))(defaultConfig('t')), /--api-port x: expected a port/)
  })
})
