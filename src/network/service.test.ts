/**
 * NetworkService over the in-memory mesh: forming a network by invites, removal and the
 * connection gate, invite use limits, admin-only invites, what a stranger can learn over the
 * membership protocol, convergence of concurrent admissions, and leaving.
 */
import { afterEach, beforeEach, describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { DeviceId, NetworkId } from '../core/ids.js'
import { WeftError } from '../core/errors.js'
import { silentLogger } from '../core/log.js'
import { generateDeviceKey } from '../identity/device-key.js'
import { FramedStream } from '../net/framed.js'
import { MemoryHub } from '../testing/memory-mesh.js'
import type { MemoryMesh } from '../testing/memory-mesh.js'
import { waitFor } from '../testing/wait.js'
import { NetworkService } from './service.js'
import { NetworkStore } from './store.js'
import type { Role } from './types.js'
import { errorSchema, membershipProtocol, parseWire } from './wire.js'

interface Device {
  name: string
  id: DeviceId
  mesh: MemoryMesh
  svc: NetworkService
  dir: string
}

let root: string
let hub: MemoryHub
let devices: Device[]

/** Starts a device the way the daemon does: load, gate, mesh, then the service. */
async function device (name: string): Promise<Device> {
  const key = generateDeviceKey()
  const dir = join(root, name)
  const mesh = hub.createMesh(key.deviceId)
  const svc = new NetworkService({ key, deviceName: name, mesh, store: new NetworkStore(dir), logger: silentLogger(), reconnect: { initialMs: 20, maxMs: 200 } })
  await svc.load()
  mesh.setGate(svc)
  await mesh.start()
  await svc.start()
  const d = { name, id: key.deviceId, mesh, svc, dir }
  devices.push(d)
  return d
}

async function invite (admin: Device, net: NetworkId, options: { uses?: number, role?: Role } = {}): Promise<string> {
  const view = await admin.svc.invite(net, { uses: options.uses ?? 1, ttlSeconds: 3600, role: options.role ?? 'member' })
  return view.code
}

/** Sorted member IDs of `net` as `d` sees them (empty when `d` holds no record of it). */
function members (d: Device, net: NetworkId): string[] {
  return [...d.svc.state(net)?.members.keys() ?? []].sort()
}

function ids (...ds: Device[]): string[] {
  return ds.map((d) => d.id).sort()
}

/** Waits until every device in `ds` sees exactly `expected` as the members of `net`. */
async function converged (ds: Device[], net: NetworkId, expected: Device[]): Promise<void> {
  const want = ids(...expected)
  await waitFor(`members of ${net} to converge on ${expected.map((d) => d.name).join(', ')}`, () => ds.every((d) => members(d, net).join() === want.join()))
}

async function online (a: Device, b: Device): Promise<void> {
  await waitFor(`${a.name} and ${b.name} to be connected`, () => a.mesh.link(b.id).online && b.mesh.link(a.id).online)
}

/** A creates "home"; B and C join by invite; all three converge and are connected. */
async function formThree (): Promise<{ a: Device, b: Device, c: Device, net: NetworkId }> {
  const [a, b, c] = [await device('a'), await device('b'), await device('c')]
  const { id: net } = await a.svc.create('home')
  await b.svc.join(await invite(a, net))
  await c.svc.join(await invite(a, net))
  await converged([a, b, c], net, [a, b, c])
  await online(a, b)
  await online(a, c)
  await online(b, c)
  return { a, b, c, net }
}

function hasCode (code: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof WeftError, `expected a WeftError, got ${String(err)}`)
    assert.equal(err.code, code)
    return true
  }
}

describe('NetworkService over the memory mesh', () => {
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'weft-service-test-'))
    hub = new MemoryHub()
    devices = []
  })

  afterEach(async () => {
    // Meshes first: no message arrives after that, so the services' queues hold the last writes.
    for (const d of devices) await d.mesh.stop()
    for (const d of devices) await d.svc.stop()
    await rm(root, { recursive: true, force: true, maxRetries: 5 })
  })

  it('create, invite and join: membership converges on all three devices', async () => {
    const { a, b, c, net } = await formThree()
    for (const d of [a, b, c]) {
      const state = d.svc.state(net)
      assert.ok(state !== undefined)
      assert.equal(state.networkName, 'home')
      assert.equal(state.creator, a.id)
      assert.equal(state.members.get(a.id)?.role, 'admin')
      assert.equal(state.members.get(b.id)?.role, 'member')
      assert.equal(state.members.get(c.id)?.role, 'member')
      assert.deepEqual([...state.members.values()].map((m) => m.name).sort(), ['a', 'b', 'c'])
      assert.equal(d.svc.summary(net).members, 3)
    }
    // Every device persisted the same entries.
    const stored = await Promise.all([a, b, c].map(async (d) => (await new NetworkStore(d.dir).loadAll()).map((r) => r.entries.length)))
    assert.deepEqual(stored, [[3], [3], [3]])
  })

  it('removing a member marks its record removed and closes the others\' gates to it', async () => {
    const { a, b, c, net } = await formThree()
    await a.svc.remove(net, c.id)
    await waitFor('c to learn it was removed', () => c.svc.record(net)?.removedAt !== undefined)
    assert.equal(c.svc.summary(net).role, 'removed')
    assert.deepEqual(c.svc.activeNetworks(), [])
    await converged([a, b], net, [a, b])
    assert.equal(a.svc.allowConnection(c.id), false)
    assert.equal(b.svc.allowConnection(c.id), false)
    assert.equal(a.svc.allowConnection(b.id), true)
    await waitFor('connections to c to close', () => !a.mesh.link(c.id).online && !b.mesh.link(c.id).online)
    await assert.rejects(c.mesh.connect(a.id, []), hasCode('PEER_UNREACHABLE'))
    await assert.rejects(c.mesh.connect(b.id, []), hasCode('PEER_UNREACHABLE'))
    await assert.rejects(c.mesh.openStream(a.id, membershipProtocol), hasCode('PEER_UNREACHABLE'))
    assert.equal(a.mesh.link(c.id).online, false)
  })

  it('a removed device can come back only with a fresh invite', async () => {
    const { a, c, net } = await formThree()
    await a.svc.remove(net, c.id)
    await waitFor('c to learn it was removed', () => c.svc.record(net)?.removedAt !== undefined)
    await waitFor('connections to c to close', () => !a.mesh.link(c.id).online)
    assert.equal(a.svc.allowConnection(c.id), false)
    await c.svc.leave(net)
    const code = await invite(a, net)
    assert.equal(a.svc.allowConnection(c.id), true, 'an outstanding invite opens the gate')
    await c.svc.join(code)
    await waitFor('c to be a member again', () => a.svc.isMember(net, c.id) && c.svc.isMember(net, c.id))
    assert.equal(c.svc.summary(net).role, 'member')
    assert.equal(a.svc.allowConnection(c.id), true)
  })

  it('an invite with one use admits one device; the second gets INVITE_EXHAUSTED', async () => {
    const [a, b, c] = [await device('a'), await device('b'), await device('c')]
    const { id: net } = await a.svc.create('home')
    const code = await invite(a, net, { uses: 1 })
    await b.svc.join(code)
    await assert.rejects(c.svc.join(code), hasCode('INVITE_EXHAUSTED'))
    assert.equal(c.svc.record(net), undefined)
    assert.deepEqual(members(a, net), ids(a, b))
    assert.equal(a.svc.record(net)?.invites.find((i) => i.usesLeft > 0), undefined)
  })

  it('a member who is not an admin cannot invite', async () => {
    const [a, b] = [await device('a'), await device('b')]
    const { id: net } = await a.svc.create('home')
    await b.svc.join(await invite(a, net, { role: 'member' }))
    await assert.rejects(b.svc.invite(net, { uses: 1, ttlSeconds: 3600, role: 'member' }), hasCode('NOT_ADMIN'))
    assert.deepEqual(b.svc.record(net)?.invites, [])
  })

  it('a stranger opening the membership protocol gets an error and learns no entries', async () => {
    const [a, b, stranger] = [await device('a'), await device('b'), await device('stranger')]
    const { id: net } = await a.svc.create('home')
    await b.svc.join(await invite(a, net))
    const ask = async (id: string): Promise<unknown> => {
      const stream = new FramedStream(await stranger.mesh.openStream(a.id, membershipProtocol))
      await stream.send({ type: 'state', net: id, entries: [], addresses: { [stranger.id]: stranger.mesh.listenAddresses() } })
      await stream.stream.closeWrite()
      const reply = await stream.expect()
      assert.equal(await stream.receive(), undefined, 'nothing follows the error answer')
      return reply
    }
    const known = await ask(net)
    const unknown = await ask(randomBytes(16).toString('hex'))
    assert.equal(parseWire(errorSchema, known, 'error').code, 'NOT_MEMBER')
    assert.equal((known as { entries?: unknown }).entries, undefined)
    // Same answer whether the network exists or not.
    assert.deepEqual(known, unknown)
    // And the stranger's addresses were not taken in.
    assert.deepEqual(members(a, net), ids(a, b))
    assert.equal(a.svc.record(net)?.addresses[stranger.id], undefined)
  })

  it('concurrent admissions by two admins converge', async () => {
    const [a, b, d, e] = [await device('a'), await device('b'), await device('d'), await device('e')]
    const { id: net } = await a.svc.create('home')
    await b.svc.join(await invite(a, net, { role: 'admin' }))
    await converged([a, b], net, [a, b])
    assert.equal(b.svc.state(net)?.members.get(b.id)?.role, 'admin')
    // Cut a from b so that neither admin hears of the other's admission before signing its own.
    hub.partition(a.id, b.id)
    const [codeA, codeB] = [await invite(a, net), await invite(b, net)]
    await Promise.all([d.svc.join(codeA), e.svc.join(codeB)])
    assert.deepEqual(members(a, net), ids(a, b, d))
    assert.deepEqual(members(b, net), ids(a, b, e))
    hub.heal(a.id, b.id)
    await converged([a, b, d, e], net, [a, b, d, e])
    const valid = [a, b, d, e].map((x) => [...x.svc.state(net)?.validIds ?? []].sort().join())
    assert.equal(new Set(valid).size, 1, 'every device counts the same entries')
    const names = [a, b, d, e].map((x) => JSON.stringify([...x.svc.state(net)?.members.values() ?? []].map((m) => [m.deviceId, m.name, m.role]).sort()))
    assert.equal(new Set(names).size, 1, 'every device sees the same names and roles')
  })

  it('leaving deletes the record and the others see the member gone', async () => {
    const { a, b, c, net } = await formThree()
    await c.svc.leave(net)
    assert.equal(c.svc.record(net), undefined)
    assert.deepEqual(c.svc.list(), [])
    assert.deepEqual((await readdir(c.dir)).filter((f) => f.endsWith('.json')), [])
    await converged([a, b], net, [a, b])
    assert.ok(a.svc.state(net)?.removed.has(c.id))
    assert.ok(b.svc.state(net)?.removed.has(c.id))
  })
})
