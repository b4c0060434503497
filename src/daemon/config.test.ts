/**
 * Config validation: defaults contact no public node; bad fields are named.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { defaultConfig, validateConfig } from './config.js'
import { resolveHome } from './home.js'

describe('config', () => {
  it('defaults: loopback API, no bootstrap peers', () => {
    const config = defaultConfig('laptop')
    assert.equal(config.api.host, '127.0.0.1')
    assert.deepEqual(config.p2p.bootstrap, [])
    assert.equal(config.deviceName, 'laptop')
  })
  it('names the bad field', () => {
    assert.throws(() => validateConfig({ version: 1, deviceName: 'x', api: { port: 'eighty' } }, 'cfg'), /cfg: api\.port/)
    assert.throws(() => validateConfig({ version: 2, deviceName: 'x' }, 'cfg'), /version/)
    assert.throws(() => validateConfig({ version: 1, deviceName: 'has space' }, 'cfg'), /deviceName/)
    assert.throws(() => validateConfig({ version: 1, deviceName: 'x', api: { host: '0.0.0.0' } }, 'cfg'), /api\.host/)
  })
  it('home: flag, then WEFT_HOME, then XDG_DATA_HOME', () => {
    assert.equal(resolveHome('/a', { WEFT_HOME: '/b' }), '/a')
    assert.equal(resolveHome(undefined, { WEFT_HOME: '/b', XDG_DATA_HOME: '/c' }), '/b')
    assert.equal(resolveHome(undefined, { XDG_DATA_HOME: '/c' }), '/c/weft')
  })
})
