/**
 * createNode's options as config settings: the loopback preset under the explicit options, and
 * the options that are not settings (home, logger) left out.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { overlayOf } from './options.js'

describe('node options', () => {
  it('are settings, without home, loopback or logger', () => {
    assert.deepEqual(overlayOf({ home: '/h', name: 'pi', mdns: undefined }), { name: 'pi' })
  })
  it('expand loopback under what is given explicitly', () => {
    const o = overlayOf({ home: '/h', loopback: true, apiPort: 7600, dns: null })
    assert.equal(o.apiPort, 7600)
    assert.equal(o.dns, null)
    assert.equal(o.socks, '127.0.0.1:0')
    assert.equal(o.mdns, false)
    assert.deepEqual(o.listen, ['/ip4/127.0.0.1/tcp/0'])
    assert.equal('home' in o, false)
    assert.equal('loopback' in o, false)
  })
})
