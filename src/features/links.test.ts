/**
 * Link tables over the in-memory mesh: a member learns the links between other members of a
 * shared network; a device outside the network, or asking about a network the answerer is not
 * in, learns nothing; rows about non-members are dropped by the asker.
 */
import { describe, it, afterEach } from 'node:test'
import { strict as assert } from 'node:assert'
import type { DeviceId, NetworkId } from '../core/ids.js'
import { generateDeviceKey } from '../identity/device-key.js'
import { MemoryHub } from '../testing/memory-mesh.js'
import type { MemoryMesh } from '../testing/memory-mesh.js'
import { LinkTables } from './links.js'
import type { LinkAccess } from './links.js'

const home = 'home-network-id' as NetworkId
const other = 'other-network-id' as NetworkId

function access (networks: Map<NetworkId, DeviceId[]>): LinkAccess {
  return {
    resolveNetwork: (ref) => ref as NetworkId,
    membersOf: (id) => networks.get(id) ?? [],
    isMember: (id, device) => networks.get(id)?.includes(device) === true
  }
}

describe('link tables', () => {
  const meshes: MemoryMesh[] = []
  afterEach(async () => { await Promise.all(meshes.splice(0).map(async (m) => { await m.stop() })) })

  async function start (hub: MemoryHub, n: number): Promise<MemoryMesh[]> {
    const out = Array.from({ length: n }, () => hub.createMesh(generateDeviceKey().deviceId))
    meshes.push(...out)
    await Promise.all(out.map(async (m) => { await m.start() }))
    return out
  }

  it('shows a member the links between the others, and an outsider nothing', async () => {
    const hub = new MemoryHub({ rttMs: 2 })
    const [a, b, c, stranger] = await start(hub, 4) as [MemoryMesh, MemoryMesh, MemoryMesh, MemoryMesh]
    const networks = new Map<NetworkId, DeviceId[]>([[home, [a.deviceId, b.deviceId, c.deviceId]], [other, [b.deviceId, stranger.deviceId]]])
    const tables = [a, b, c, stranger].map((m) => new LinkTables(m, access(networks)))
    await Promise.all(tables.map(async (t) => { await t.start() }))
    const [ta, tb, , ts] = tables as [LinkTables, LinkTables, LinkTables, LinkTables]
    await a.connect(b.deviceId, [])
    await b.connect(c.deviceId, [])
    await b.connect(stranger.deviceId, [])

    const view = await ta.mesh(home)
    const pairs = view.edges.map((e) => `${e.from === a.deviceId ? 'a' : e.from === b.deviceId ? 'b' : 'c'}>${e.to === a.deviceId ? 'a' : e.to === b.deviceId ? 'b' : e.to === c.deviceId ? 'c' : 'stranger'}:${e.path}`).sort()
    // b's link to the stranger belongs to another network: it is neither sent nor shown.
    assert.deepEqual(pairs, ['a>b:lan', 'b>a:lan', 'b>c:lan'])
    assert.deepEqual(view.unanswered, [])

    // The stranger shares a connection with b but not the network: b tells it nothing about home.
    assert.deepEqual(await ts.ask(b.deviceId, home), [])
    // About "other", which they share, each tells the other its link (and nothing about home).
    assert.deepEqual((await ts.ask(b.deviceId, other)).map((r) => r.device), [stranger.deviceId])
    assert.deepEqual((await tb.ask(stranger.deviceId, other)).map((r) => r.device), [b.deviceId])
    // Once the stranger is a member of home, b shares its home links with it.
    networks.set(home, [a.deviceId, b.deviceId, c.deviceId, stranger.deviceId])
    assert.deepEqual((await ts.ask(b.deviceId, home)).map((r) => r.device).sort(), [a.deviceId, c.deviceId, stranger.deviceId].sort())
  })
})
