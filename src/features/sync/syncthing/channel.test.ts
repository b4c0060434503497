/**
 * SocketChannel over a real loopback TCP connection: chunks arrive in order, an abort ends a
 * waiting read with ABORTED, and a long-lived signal passed to many reads never holds more
 * than one abort listener (they used to pile up, one per wait); writers waiting for a full
 * socket share one drain listener.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { getEventListeners, once } from 'node:events'
import { createServer, connect } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { SocketChannel } from './channel.js'

async function pair (): Promise<{ a: Socket, b: Socket, close: () => void }> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const accepted = once(server, 'connection')
  const a = connect((server.address() as AddressInfo).port, '127.0.0.1')
  const [b] = await accepted as [Socket]
  await once(a, 'connect')
  return { a, b, close: () => { a.destroy(); b.destroy(); server.close() } }
}

describe('SocketChannel', () => {
  it('reads in order with one abort listener at most, however many reads wait', async () => {
    const { a, b, close } = await pair()
    try {
      const channel = new SocketChannel(b)
      const signal = new AbortController().signal
      let received = ''
      for (let i = 0; i < 50; i++) {
        const reading = channel.read(signal)
        await new Promise((resolve) => setImmediate(resolve))
        assert.ok(getEventListeners(signal, 'abort').length <= 1, 'one listener while a read waits')
        a.write(`m${i};`)
        received += Buffer.from(await reading as Uint8Array).toString()
        // A chunk may hold several writes; read on until this one is in.
        while (!received.endsWith(`m${i};`)) received += Buffer.from(await channel.read(signal) as Uint8Array).toString()
      }
      assert.equal(getEventListeners(signal, 'abort').length, 0, 'no listener left once reads return')
      assert.equal(received, Array.from({ length: 50 }, (_, i) => `m${i};`).join(''))
    } finally {
      close()
    }
  })

  it('an abort ends a waiting read with ABORTED', async () => {
    const { close, b } = await pair()
    try {
      const channel = new SocketChannel(b)
      const controller = new AbortController()
      const reading = channel.read(controller.signal)
      controller.abort()
      await assert.rejects(reading, { code: 'ABORTED' })
    } finally {
      close()
    }
  })

  it('writers waiting for a full socket to drain share one drain listener, and all go on once it drains', async () => {
    const { a, b, close } = await pair()
    try {
      const channel = new SocketChannel(b)
      a.pause()
      const big = Buffer.alloc(1024 * 1024, 1)
      const writes = Array.from({ length: 20 }, async () => { await channel.write(big) })
      await new Promise((resolve) => setImmediate(resolve))
      assert.ok(b.listenerCount('drain') <= 1, `${b.listenerCount('drain')} drain listeners for 20 waiting writers`)
      assert.ok(b.listenerCount('close') <= 2, `${b.listenerCount('close')} close listeners`)
      let got = 0
      a.on('data', (chunk: Buffer) => { got += chunk.length })
      a.resume()
      await Promise.all(writes)
      assert.equal(b.listenerCount('drain'), 0)
      while (got < 20 * big.length) await new Promise((resolve) => setTimeout(resolve, 5))
      assert.equal(got, 20 * big.length)
    } finally {
      close()
    }
  })
})
