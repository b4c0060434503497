/**
 * Forged gossip from outside a network, through the real gossip transport and SWIM binding on
 * an in-memory mesh: a well-formed "dead" about a third member, sent by a device that is a
 * member of another of the receiver's networks or of none, is dropped and counted and changes
 * nothing; the same packet from a member is acted on (so the test can fail). In the daemon the
 * mesh gate refuses strangers' connections before this layer; here the gate lets everyone in,
 * so the gossip layer's own checks are what is tested.
 */
import { afterEach, beforeEach, describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import type { DeviceId, NetworkId } from '../../core/ids.js'
import { silentLogger } from '../../core/log.js'
import { generateDeviceKey } from '../../identity/device-key.js'
import { MemoryHub } from '../../testing/memory-mesh.js'
import type { MemoryMesh } from '../../testing/memory-mesh.js'
import { waitFor } from '../../testing/wait.js'
import { NetworkGossip, shortId } from './gossip.js'
import { GossipTransport } from './transport.js'
import { encodePacket } from './swim/codec.js'
import type { IdCodec } from './swim/codec.js'
import type { Message } from './swim/types.js'

const home = randomBytes(16).toString('hex') as NetworkId
const work = randomBytes(16).toString('hex') as NetworkId

interface Device { id: DeviceId, mesh: MemoryMesh, transport: GossipTransport }

/** Wire IDs for any device (the sender's side: a forger can name whoever it likes). */
const anyIds: IdCodec = {
  encode: (id) => Buffer.from(shortId(id as DeviceId), 'hex'),
  decode: () => undefined
}

describe('gossip from non-members', () => {
  let hub: MemoryHub
  let started: Device[]
  // receiver is in `home` with member and third, and in `work` with colleague; stranger is in neither.
  let receiver: Device
  let member: Device
  let third: Device
  let colleague: Device
  let stranger: Device
  let gossip: NetworkGossip
  const networks = new Map<NetworkId, Set<DeviceId>>()

  async function device (): Promise<Device> {
    const id = generateDeviceKey().deviceId
    const mesh = hub.createMesh(id)
    const transport = new GossipTransport({
      mesh,
      log: silentLogger(),
      accepts: (from, net) => net === null
        ? [...networks.values()].some((m) => m.has(id) && m.has(from))
        : networks.get(net)?.has(from) === true && networks.get(net)?.has(id) === true,
      onPacket: (net, from, packet) => { if (id === receiver.id && net === home) gossip.receive(from, packet) }
    })
    await mesh.start()
    await transport.start()
    const d = { id, mesh, transport }
    started.push(d)
    return d
  }

  /** Sends `msgs` as one gossip packet for `net` from `from` to the receiver. */
  function send (from: Device, net: NetworkId, msgs: Message[]): void {
    from.transport.send(receiver.id, net, encodePacket({ msgs }, anyIds))
  }

  beforeEach(async () => {
    hub = new MemoryHub()
    started = []
    receiver = await device()
    member = await device()
    third = await device()
    colleague = await device()
    stranger = await device()
    networks.clear()
    networks.set(home, new Set([receiver.id, member.id, third.id]))
    networks.set(work, new Set([receiver.id, colleague.id]))
    gossip = new NetworkGossip({ network: home, self: receiver.id, members: () => networks.get(home) ?? new Set(), params: {}, transport: receiver.transport, log: silentLogger(), onChange: () => {} })
    // The receiver learns of both members from the member.
    send(member, home, [{ t: 'alive', id: member.id, inc: 0 }, { t: 'alive', id: third.id, inc: 0 }])
    await waitFor('the receiver to know the third member', () => gossip.stateOf(third.id) === 'alive')
  })

  afterEach(async () => {
    gossip.stop()
    for (const d of started) {
      await d.transport.stop()
      await d.mesh.stop()
    }
  })

  it('drops a forged "dead" about a third member from a member of another network, and counts it', async () => {
    const before = receiver.transport.stats.fromNonMembers
    // Framed for `home`, naming a real member as accuser; the colleague shares only `work`.
    send(colleague, home, [{ t: 'dead', id: third.id, inc: 0, from: member.id }, { t: 'left', id: member.id, inc: 5 }])
    await waitFor('the frame to be refused', () => receiver.transport.stats.fromNonMembers > before)
    assert.equal(gossip.stateOf(third.id), 'alive', 'the third member is still alive')
    assert.equal(gossip.stateOf(member.id), 'alive', 'and so is the member the forger named')
    assert.equal(receiver.transport.stats.framesReceived, 2, 'the frame reached the receiver (and was then dropped)')
  })

  it('refuses the stream of a device in none of its networks', async () => {
    const before = receiver.transport.stats.fromNonMembers
    send(stranger, home, [{ t: 'dead', id: third.id, inc: 0, from: stranger.id }])
    await waitFor('the stream to be refused', () => receiver.transport.stats.fromNonMembers > before)
    assert.equal(gossip.stateOf(third.id), 'alive')
    assert.equal(receiver.transport.stats.framesReceived, 1, 'not one frame of the stranger was read')
  })

  it('ignores a non-member handed to the network layer directly', () => {
    const before = gossip.stats.unknownMemberMessages
    gossip.receive(colleague.id, encodePacket({ msgs: [{ t: 'dead', id: third.id, inc: 0, from: colleague.id }] }, anyIds))
    assert.equal(gossip.stats.unknownMemberMessages, before + 1)
    assert.equal(gossip.stateOf(third.id), 'alive')
  })

  it('acts on the same "dead" from a member (so the refusals above are what protect the view)', async () => {
    send(member, home, [{ t: 'dead', id: third.id, inc: 0, from: member.id }])
    await waitFor('the receiver to mark the third member dead', () => gossip.stateOf(third.id) === 'dead')
    assert.equal(receiver.transport.stats.fromNonMembers, 0)
  })
})
