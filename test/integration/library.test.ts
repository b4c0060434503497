/**
 * weft embedded as a library (issue 23): two nodes made with `createNode` in this process, on
 * loopback with ephemeral ports, form a network and use each area of the facade through real
 * sockets: events, streams, KV, exposed services (a connection and a forward to a real TCP
 * echo server), folder sync of a real file, and the errors bad calls get. No timing is
 * asserted; waits are bounded only so that a failure ends.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import type { AddressInfo, Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode, WeftError } from '../../src/index.js'
import type { WeftNode } from '../../src/index.js'
import { waitFor } from '../../src/testing/index.js'

const net = 'lib'

async function rejectsWith (code: string, action: () => Promise<unknown>): Promise<void> {
  await assert.rejects(action, (err: unknown) => err instanceof WeftError && err.code === code)
}

describe('weft as a library: two in-process nodes', { timeout: 300_000 }, () => {
  let dir = ''
  let alice: WeftNode
  let bob: WeftNode
  let echo: Server
  const online: string[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-library-'))
    alice = await createNode({ home: join(dir, 'alice'), name: 'alice', loopback: true, logLevel: 'warn' })
    bob = await createNode({ home: join(dir, 'bob'), name: 'bob', loopback: true, logLevel: 'warn' })
    alice.on('member:online', ({ deviceId }) => { online.push(deviceId) })
    await alice.start()
    await bob.start()
    await alice.networks.create(net)
    const { code } = await alice.networks.invite(net, { ttl: '10m' })
    await bob.networks.join(code)
    await bob.networks.waitForOnline(alice.id, { signal: AbortSignal.timeout(60_000) })
    await alice.networks.waitForOnline(bob.id, { signal: AbortSignal.timeout(60_000) })
    echo = createServer((socket) => socket.pipe(socket))
    echo.listen(0, '127.0.0.1')
    await once(echo, 'listening')
  })

  after(async () => {
    echo?.close()
    await bob?.stop()
    await alice?.stop()
    if (dir !== '') await rm(dir, { recursive: true, force: true })
  })

  it('forms a network both list, with an event for the member that came online', () => {
    assert.deepEqual(bob.networks.members(net).map((m) => m.name), ['alice', 'bob'])
    assert.deepEqual(alice.networks.peers().map((p) => [p.name, p.online]), [['bob', true]])
    assert.ok(online.includes(bob.id))
    const status = alice.status()
    assert.equal(status.deviceId, alice.id)
    assert.match(status.api, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.ok(status.addresses.every((a) => a.startsWith('/ip4/127.0.0.1/')), status.addresses.join(' '))
  })

  it('exchanges messages both ways over a stream opened by topic', async () => {
    const signal = AbortSignal.timeout(60_000)
    const [a, b] = await Promise.all([alice.streams.open('chat', { network: net, signal }), bob.streams.open('chat', { signal })])
    assert.equal(a.peer, bob.id)
    assert.equal(b.peer, alice.id)
    await Promise.all([a.write('hello bob'), b.write('hello alice')])
    await Promise.all([a.end(), b.end()])
    assert.deepEqual(await Promise.all([a.text(), b.text()]), ['hello alice', 'hello bob'])
  })

  it('replicates a KV write to the other node, with an event there', async () => {
    const changed = new Promise<string>((resolve) => { const off = bob.on('kv:changed', ({ key }) => { off(); resolve(key) }) })
    const written = alice.kv.put('greeting', 'hi', { network: net })
    assert.equal(await changed, 'greeting')
    assert.equal(bob.kv.get('greeting', net).value, 'hi')
    assert.equal(bob.kv.get('greeting').version, written.version)
    assert.throws(() => bob.kv.put('greeting', 'stale', { cas: '0' }), (err: unknown) => err instanceof WeftError && err.code === 'VERSION_MISMATCH')
  })

  it('reaches a service one node exposes, by a connection and through a forward', async () => {
    const port = (echo.address() as AddressInfo).port
    await alice.services.expose({ name: 'echo', port, network: net })
    assert.deepEqual(alice.services.exposed().map((s) => s.name), ['echo'])
    await waitFor('bob to list alice\'s echo service', () => bob.services.remote().some((s) => s.name === 'echo' && s.device === alice.id), 60_000)
    const stream = await bob.services.connect('alice', 'echo')
    await stream.write('ping')
    await stream.end()
    assert.equal(await stream.text(), 'ping')
    const forward = await bob.services.forward(alice.id, 'echo')
    const [host, fport] = [forward.listen.slice(0, forward.listen.lastIndexOf(':')), Number(forward.listen.slice(forward.listen.lastIndexOf(':') + 1))]
    const socket = connect(fport, host)
    socket.end('through the forward')
    const chunks: Buffer[] = []
    for await (const chunk of socket) chunks.push(chunk as Buffer)
    assert.equal(Buffer.concat(chunks).toString(), 'through the forward')
    await bob.services.unforward(forward.id)
    assert.deepEqual(bob.services.forwards(), [])
  })

  it('syncs a folder one node adds and the other accepts', async () => {
    const source = join(dir, 'shared-a')
    await mkdir(source)
    await writeFile(join(source, 'note.txt'), 'synced by weft')
    const folder = await alice.folders.add(source, { network: net, label: 'notes' })
    await waitFor('bob to be offered the folder', () => bob.folders.offered().some((o) => o.id === folder.id), 60_000)
    const target = join(dir, 'shared-b')
    await bob.folders.add(target, { network: net, id: folder.id })
    const text = await waitFor('the file to arrive on bob', async () => await readFile(join(target, 'note.txt'), 'utf8').catch(() => undefined), 120_000)
    assert.equal(text, 'synced by weft')
    assert.equal(alice.folders.get(folder.id).label, 'notes')
  })

  it('refuses bad calls with a WeftError and a stable code', async () => {
    await rejectsWith('INVALID_ARGUMENT', async () => await createNode({ home: '' }))
    await rejectsWith('CONFIG_INVALID', async () => await createNode({ home: join(dir, 'bad'), listen: ['not-an-address'], apiPort: 70_000 }))
    await rejectsWith('INVALID_ARGUMENT', async () => await alice.networks.invite(net, { uses: 0 }))
    await rejectsWith('INVALID_ARGUMENT', async () => await alice.networks.invite(net, { ttl: 'soon' }))
    await rejectsWith('NOT_FOUND', async () => await alice.networks.invite('no-such-network'))
    await rejectsWith('INVALID_ARGUMENT', async () => await alice.start())
    assert.throws(() => alice.on('no:such-event' as 'member:online', () => {}), (err: unknown) => err instanceof WeftError && err.code === 'INVALID_ARGUMENT')
    // One running node per home, in this process as across processes.
    const twin = await createNode({ home: alice.home })
    await rejectsWith('ALREADY_EXISTS', async () => await twin.start())
    await rejectsWith('INVALID_ARGUMENT', async () => await twin.start())
  })
})
