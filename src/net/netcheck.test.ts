/**
 * NAT classification from what two observers saw, and the observer protocol against a real
 * listener socket on loopback (observe, dial-back, garbage).
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import * as net from 'node:net'
import { classify } from './netcheck.js'
import { answerObserver, observeAddress, observerProtocols, requestDialback } from './native-tls/observer.js'
import { handleProtocol } from './native-tls/multistream.js'

describe('NAT classification', () => {
  const local = new Set(['10.0.1.2'])
  it('own address and port: no NAT', () => {
    assert.equal(classify([{ host: '10.0.1.2', port: 5000 }, { host: '10.0.1.2', port: 5000 }], 5000, local), 'none')
  })
  it('one mapping for both observers: endpoint-independent', () => {
    assert.equal(classify([{ host: '11.0.0.50', port: 5000 }, { host: '11.0.0.50', port: 5000 }], 5000, local), 'endpoint-independent')
    assert.equal(classify([{ host: '11.0.0.50', port: 61000 }, { host: '11.0.0.50', port: 61000 }], 5000, local), 'endpoint-independent')
  })
  it('a mapping per observer: endpoint-dependent', () => {
    assert.equal(classify([{ host: '11.0.0.50', port: 5000 }, { host: '11.0.0.50', port: 5001 }], 5000, local), 'endpoint-dependent')
  })
  it('fewer than two answers: unknown', () => {
    assert.equal(classify([], 5000, local), 'unknown')
    assert.equal(classify([{ host: '11.0.0.50', port: 5000 }], 5000, local), 'unknown')
  })
})

describe('address observer', () => {
  async function observerServer (): Promise<{ port: number, close: () => void }> {
    const server = net.createServer((socket) => {
      socket.on('error', () => {})
      void handleProtocol(socket, [...observerProtocols], AbortSignal.timeout(2000)).then(async (p) => { await answerObserver(p, socket, AbortSignal.timeout(5000)) }, () => { socket.destroy() })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { port: (server.address() as net.AddressInfo).port, close: () => { server.close() } }
  }

  it('tells a client the address and port it came from', async () => {
    const s = await observerServer()
    try {
      const seen = await observeAddress({ host: '127.0.0.1', port: s.port }, 0, AbortSignal.timeout(5000))
      assert.equal(seen.host, '127.0.0.1')
      assert.ok(seen.port > 0)
    } finally { s.close() }
  })

  it('dials back only the asker\'s own address: a closed port is unreachable', async () => {
    const s = await observerServer()
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as net.AddressInfo).port
    closed.close()
    try {
      assert.equal(await requestDialback({ host: '127.0.0.1', port: s.port }, port, AbortSignal.timeout(10_000)), 'unreachable')
      // The observer itself speaks multistream-select: reachable.
      assert.equal(await requestDialback({ host: '127.0.0.1', port: s.port }, s.port, AbortSignal.timeout(10_000)), 'reachable')
    } finally { s.close() }
  })

  it('answers a bad port with an error message, and survives garbage', async () => {
    const s = await observerServer()
    try {
      const garbage = net.connect(s.port, '127.0.0.1')
      garbage.on('error', () => {})
      garbage.end(Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]))
      await new Promise((resolve) => garbage.once('close', resolve))
      await assert.rejects(requestDialback({ host: '127.0.0.1', port: s.port }, 0, AbortSignal.timeout(5000)), /bad-port/)
      const seen = await observeAddress({ host: '127.0.0.1', port: s.port }, 0, AbortSignal.timeout(5000))
      assert.equal(seen.host, '127.0.0.1')
    } finally { s.close() }
  })
})
