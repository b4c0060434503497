/**
 * Hostile or broken BEP peers against a daemon's Syncthing listener, from raw TLS clients:
 * an unknown certificate, a wrong or missing ALPN, a bad magic, an oversized Hello, and after
 * a good Hello an over-long, truncated, malformed, badly compressed or unknown frame, plus
 * random garbage. Each is disconnected with its reason in the log; the daemon keeps running
 * and a well-behaved peer still gets its ClusterConfig. Needs no Syncthing.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { connect, createServer } from 'node:tls'
import type { TLSSocket } from 'node:tls'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startTestnet } from '../../src/testing/testnet.js'
import type { Testnet, TestDaemon } from '../../src/testing/testnet.js'
import { freeLoopbackPort } from '../../src/testing/syncthing.js'
import { waitFor } from '../../src/testing/wait.js'
import { generateSyncthingIdentity } from '../../src/identity/syncthing-cert.js'
import type { SyncthingIdentity } from '../../src/identity/syncthing-cert.js'
import { BepDecoder, encodeFrame, encodeHello } from '../../src/features/sync/wire/framing.js'

interface Client { socket: TLSSocket, received: Buffer[], closed: Promise<void> }

/** Opens a TLS connection like a Syncthing device would (or with another ALPN). */
async function dial (port: number, id: SyncthingIdentity, alpn: string[] | null = ['bep/1.0']): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port, cert: id.certPem, key: id.keyPem, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...(alpn === null ? {} : { ALPNProtocols: alpn }) })
  const received: Buffer[] = []
  socket.on('data', (d: Buffer) => received.push(d))
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => { resolve() }))
  await new Promise<void>((resolve) => { socket.once('secureConnect', resolve); socket.once('close', resolve) })
  return { socket, received, closed }
}

const hello = { deviceName: 'evil', clientName: 'syncthing', clientVersion: 'v1.19.2', numConnections: 0, timestamp: 1n }

function u16 (n: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b }
function u32 (n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }
/** A frame with a raw header (type, compression) and body. */
function rawFrame (type: number, compression: number, body: Buffer, declared = body.length): Buffer {
  const header = Buffer.from([0x08, type, ...(compression === 0 ? [] : [0x10, compression])])
  return Buffer.concat([u16(header.length), header, u32(declared), body])
}

describe('bad input on the Syncthing listener', () => {
  let net: Testnet
  let weft: TestDaemon
  let port: number
  let known: SyncthingIdentity
  let logFrom = 0

  /** Waits for a log line (written after the previous check) matching `pattern`. */
  async function logged (pattern: RegExp): Promise<string> {
    return await waitFor(`a log line matching ${String(pattern)}`, async () => {
      const text = (await readFile(join(weft.home, 'weft.log'), 'utf8')).slice(logFrom)
      const line = text.split('\n').find((l) => pattern.test(l))
      if (line !== undefined) logFrom += text.indexOf(line) + line.length
      return line
    }, 30_000, 100)
  }

  /** A known client past the Hello exchange (it received the daemon's Hello). */
  async function helloDone (): Promise<Client> {
    const c = await dial(port, known)
    c.socket.write(encodeHello(hello))
    await waitFor('the daemon\'s Hello', () => {
      const frames = new BepDecoder({ expectHello: true }).feed(Buffer.concat(c.received))
      return frames[0]?.kind === 'hello'
    }, 20_000, 20)
    return c
  }

  before(async () => {
    port = await freeLoopbackPort()
    net = await startTestnet(1, { names: ['weft'], initArgs: ['--syncthing-listen', `tcp://127.0.0.1:${port}`] })
    weft = net.daemons[0] as TestDaemon
    known = await generateSyncthingIdentity()
    await weft.json(['syncthing', 'add', known.deviceId, 'dynamic', '--name', 'tester'])
  })
  after(async () => { await net?.stop() })

  it('an unknown certificate is refused before any BEP byte, and listed as pending', async () => {
    const stranger = await generateSyncthingIdentity()
    const c = await dial(port, stranger)
    c.socket.write(encodeHello(hello))
    await c.closed
    assert.equal(Buffer.concat(c.received).length, 0, 'the daemon sent nothing, not even its Hello')
    assert.match(await logged(/refused a Syncthing connection/), new RegExp(`unknown device ${stranger.deviceId}`))
    const view = await weft.json<{ pending: Array<{ device: string }> }>(['syncthing', 'ls'])
    assert.ok(view.pending.some((p) => p.device === stranger.deviceId))
  })

  it('a wrong or missing ALPN is refused', async () => {
    const wrong = await dial(port, known, ['h2'])
    await wrong.closed
    assert.match(await logged(/refused a Syncthing connection/), /no application protocol/i)
    const none = await dial(port, known, null)
    await none.closed
    assert.match(await logged(/refused a Syncthing connection/), /did not negotiate ALPN bep\/1\.0/)
  })

  it('a peer that sends no Hello is dropped after the handshake timeout', async () => {
    const c = await dial(port, known)
    await c.closed
    assert.match(await logged(/refused a Syncthing connection/), /no Hello from the peer in time/)
  })

  it('a device that answers at a known address with another certificate is dropped before any BEP byte (pinning)', async () => {
    const impostor = await generateSyncthingIdentity()
    const expected = await generateSyncthingIdentity()
    const received: Buffer[] = []
    const server = createServer({ cert: impostor.certPem, key: impostor.keyPem, ALPNProtocols: ['bep/1.0'], minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: false }, (socket) => {
      socket.on('data', (d: Buffer) => received.push(d))
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    try {
      await weft.json(['syncthing', 'add', expected.deviceId, `tcp://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`])
      assert.match(await logged(/could not connect to Syncthing device/), new RegExp(`presented device ID ${impostor.deviceId}, expected ${expected.deviceId}`))
      assert.equal(Buffer.concat(received).length, 0, 'weft sent the impostor nothing, not even its Hello')
    } finally {
      await weft.json(['syncthing', 'remove', expected.deviceId])
      server.close()
    }
  })

  it('a bad magic and an oversized Hello are refused', async () => {
    const c = await dial(port, known)
    c.socket.write(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 4, 1, 2, 3, 4]))
    await c.closed
    assert.match(await logged(/refused a Syncthing connection/), /unknown magic 0xdeadbeef/)
    const old = await dial(port, known)
    old.socket.write(Buffer.from([0x9f, 0x79, 0xbc, 0x40, 0, 0]))
    await old.closed
    assert.match(await logged(/refused a Syncthing connection/), /pre-v0\.14/)
    const big = await dial(port, known)
    big.socket.write(Buffer.from([0x2e, 0xa7, 0xd9, 0x0b, 0xff, 0xff]))
    await big.closed
    assert.match(await logged(/refused a Syncthing connection/), /Hello of 65535 bytes exceeds 32767/)
  })

  it('an over-long message is refused when its length arrives, before its body', async () => {
    const c = await helloDone()
    // 100 MB: within BEP's 500 MB, beyond what weft buffers for one message (64 MiB).
    c.socket.write(rawFrame(1, 0, Buffer.alloc(0), 100_000_000))
    await c.closed
    assert.match(await logged(/BEP connection failed/), /message of 100000000 bytes exceeds 67108864/)
  })

  it('a truncated frame, an invalid protobuf, a bad LZ4 block and an unknown type each end the connection', async () => {
    const cases: Array<{ bytes: Buffer, end?: boolean, reason: RegExp }> = [
      { bytes: rawFrame(0, 0, Buffer.alloc(10), 1000), end: true, reason: /stream ended inside a frame/ },
      { bytes: rawFrame(0, 0, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2])), reason: /malformed ClusterConfig/ },
      { bytes: rawFrame(1, 1, Buffer.concat([u32(5000), Buffer.from([0xf0, 0xff, 0xff, 0xff, 0x00, 0x01])])), reason: /LZ4|lz4/ },
      { bytes: rawFrame(9, 0, Buffer.alloc(0)), reason: /unknown message type 9/ },
      { bytes: rawFrame(0, 3, Buffer.alloc(0)), reason: /unknown message compression 3/ }
    ]
    for (const { bytes, end, reason } of cases) {
      const c = await helloDone()
      c.socket.write(bytes)
      if (end === true) c.socket.end()
      await c.closed
      assert.match(await logged(/BEP connection failed/), reason)
    }
  })

  it('random garbage, before or after the Hello, never harms the daemon; a good peer still gets its ClusterConfig', async () => {
    for (let i = 0; i < 12; i++) {
      const c = i % 2 === 0 ? await dial(port, known) : await helloDone()
      c.socket.end(randomBytes(1 + Math.floor(Math.random() * 4000)))
      await c.closed
    }
    const status = await weft.cli(['status', '--json'])
    assert.equal(status.code, 0, 'the daemon still answers')
    const good = await helloDone()
    const frames = await waitFor('the daemon\'s ClusterConfig', () => {
      const all = new BepDecoder({ expectHello: true }).feed(Buffer.concat(good.received))
      return all.length >= 2 ? all : undefined
    }, 20_000, 20)
    assert.equal(frames[1]?.kind === 'message' ? frames[1].message.type : undefined, 'clusterConfig', 'BEP starts with the ClusterConfig')
    good.socket.write(encodeFrame({ type: 'close', reason: 'test done' }))
    assert.match(await logged(/peer closed the BEP connection/), /test done/)
    good.socket.destroy()
  })
})
