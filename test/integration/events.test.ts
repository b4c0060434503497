/**
 * The API's event stream (server-sent events): a client with the token hears about network
 * changes and members coming online as they happen; without the token it hears nothing.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { startTestnet, formNetwork, waitFor } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'

describe('event stream', () => {
  let net: Testnet
  before(async () => { net = await startTestnet(2, { names: ['watcher', 'joiner'] }) })
  after(async () => { await net.stop() })

  it('streams network changes and members coming online', async () => {
    const [a, b] = net.daemons as [TestDaemon, TestDaemon]
    const { url, token } = await a.apiAccess()
    const refused = await fetch(`${url}/api/v1/events`)
    assert.equal(refused.status, 401)
    const controller = new AbortController()
    const response = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal })
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/)
    const events: string[] = []
    const reading = (async () => {
      const decoder = new TextDecoder()
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          for (const line of decoder.decode(chunk).split('\n')) if (line.startsWith('event: ')) events.push(line.slice(7))
        }
      } catch { /* aborted */ }
    })()
    await waitFor('the hello event', () => events.includes('hello'), 10_000, 50)
    await formNetwork([a, b], 'live')
    await waitFor(`network and member events (got ${events.join(', ')})`, () => events.includes('network:changed') && events.includes('member:online'), 20_000, 50)
    controller.abort()
    await reading
  })
})
