/**
 * Direct connections between real meshes on loopback: a stream of its own for a protocol
 * registered as direct, bytes and half-closes both ways; refused for a device the gate does
 * not allow, for a protocol not offered, and by a peer that does not answer as the expected
 * device; closed when the device is disconnected. Loopback only.
 */
import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { silentLogger } from '../core/log.js'
import type { DeviceId } from '../core/ids.js'
import { Libp2pMesh } from './libp2p-mesh.js'
import type { ConnectionGate, MeshStream } from './types.js'

function makeMesh (): Libp2pMesh {
  return new Libp2pMesh({
    seed: randomBytes(32),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    announce: [],
    mdns: { enabled: false, intervalMs: 10_000 },
    agentVersion: 'weft/test',
    relays: [],
    bootstrap: [],
    dht: 'off',
    holePunching: false,
    logger: silentLogger()
  })
}

/** Polls `probe` until it holds (5 s at most). */
async function waitFor (what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function readAll (stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of stream) parts.push(Buffer.from(chunk))
  return Buffer.concat(parts)
}

describe('direct connections', () => {
  const a = makeMesh()
  const b = makeMesh()
  const allowed = new Set<DeviceId>()
  const gate = (): ConnectionGate => ({ allowConnection: (d) => allowed.has(d), isFellow: () => true, shareNetwork: () => true })
  const held: MeshStream[] = []

  before(async () => {
    await a.start()
    await b.start()
    allowed.add(a.deviceId).add(b.deviceId)
    a.setGate(gate())
    b.setGate(gate())
    // An echo that answers after the asker half-closed, so half-closes must pass both ways.
    await b.handle('/test/echo/1', async (stream) => {
      const data = await readAll(stream)
      await stream.write(data)
      await stream.closeWrite()
    }, { direct: true })
    await b.handle('/test/muxed-only/1', async (stream) => { await stream.closeWrite() })
    await b.handle('/test/hold/1', async (stream) => { held.push(stream); for await (const chunk of stream) void chunk }, { direct: true })
    await a.connect(b.deviceId, b.listenAddresses())
  })
  after(async () => {
    await a.stop()
    await b.stop()
  })

  it('carries a protocol registered as direct on a connection of its own, half-closes included', async () => {
    const stream = await a.openDirect(b.deviceId, '/test/echo/1')
    assert.ok(stream !== undefined, 'a direct stream opened')
    const payload = randomBytes(3 * 1024 * 1024 + 17)
    await stream.write(payload)
    await stream.closeWrite()
    assert.ok((await readAll(stream)).equals(payload))
    assert.equal(a.directStats().opened, 1)
    await waitFor('b counts the accepted connection', () => b.directStats().accepted === 1)
  })

  it('refuses a protocol that is not offered on direct connections', async () => {
    const before = b.directStats().refused
    const stream = await a.openDirect(b.deviceId, '/test/muxed-only/1')
    assert.ok(stream !== undefined, 'the TLS handshake itself succeeds')
    await assert.rejects(async () => {
      await stream.write(Buffer.from('x'))
      const got = await readAll(stream)
      if (got.length === 0) throw new Error('closed without an answer')
    })
    await waitFor('b counts the refusal', () => b.directStats().refused === before + 1)
  })

  it('closes direct connections when the device is disconnected, and refuses a device the gate does not allow', async () => {
    const stream = await a.openDirect(b.deviceId, '/test/hold/1')
    assert.ok(stream !== undefined)
    await stream.write(Buffer.from('hello'))
    await waitFor('b holds the stream', () => held.length === 1)
    allowed.delete(a.deviceId)
    const refusedBefore = b.directStats().refused
    await b.disconnect(a.deviceId)
    // The held stream ends on both sides.
    await readAll(stream).catch(() => Buffer.alloc(0))
    await readAll(held[0] as MeshStream).catch(() => Buffer.alloc(0))
    // a still has no connection to b now, so it has nothing to dial beside: no direct stream.
    assert.equal(await a.openDirect(b.deviceId, '/test/echo/1'), undefined)
    // Reconnected by a (b's gate refuses it), a direct dial is refused at b's end too.
    allowed.add(a.deviceId)
    await a.connect(b.deviceId, b.listenAddresses())
    allowed.delete(a.deviceId)
    const refused = await a.openDirect(b.deviceId, '/test/echo/1')
    if (refused !== undefined) {
      await refused.closeWrite()
      assert.equal((await readAll(refused).catch(() => Buffer.alloc(0))).length, 0, 'nothing comes back')
    }
    await waitFor('b counts the refused device', () => b.directStats().refused > refusedBefore)
    allowed.add(a.deviceId)
  })
})
