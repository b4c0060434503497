/**
 * The SWIM state machine on its own and in the simulator: refutation, incarnation rules,
 * Lifeguard's suspicion timeouts, failure, leave and join reaching every member, partitions
 * healing, determinism, and updates about unknown members changing nothing (except a full
 * sync naming them dead or left).
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { Swim } from './state.js'
import { Simulator, seededRandom } from './sim.js'
import { defaultSwimParams, suspicionTimeout, suspicionTimeouts } from './params.js'
import type { MemberState, Update } from './types.js'

function machine (self = 'a'): Swim {
  const m = new Swim({ self, random: seededRandom(1), now: 0 })
  m.receive('b', [{ t: 'alive', id: 'b', inc: 0 }, { t: 'alive', id: 'c', inc: 0 }], 0)
  m.take()
  return m
}

/** What every running machine thinks of `subject`. */
function views (sim: Simulator, subject: number): Map<MemberState | undefined, number> {
  const out = new Map<MemberState | undefined, number>()
  sim.machines.forEach((m, i) => {
    if (m === undefined || i === subject) return
    const s = m.member(sim.ids[subject] ?? '')?.state
    out.set(s, (out.get(s) ?? 0) + 1)
  })
  return out
}

describe('SWIM state machine', () => {
  it('refutes a suspicion about itself with a higher incarnation, and says so', () => {
    const m = machine()
    m.receive('b', [{ t: 'suspect', id: 'a', inc: 0, from: 'b' }], 10)
    assert.equal(m.incarnation, 1)
    m.tick(1000)
    const sent = m.take().filter((o) => o.kind === 'send').flatMap((o) => o.kind === 'send' ? o.packet.msgs : [])
    assert.ok(sent.some((x) => x.t === 'alive' && x.id === 'a' && x.inc === 1))
  })

  it('answers its accuser directly, also when the accusation is stale, at most once a probe interval', () => {
    const m = machine()
    // Packets to `to` that carry our alive.
    const alivesTo = (to: string): number => m.take().filter((o) => o.kind === 'send' && o.to === to && o.packet.msgs.some((x) => x.t === 'alive' && x.id === 'a')).length
    // c accuses us, through b's gossip: c hears our alive straight from us.
    m.receive('b', [{ t: 'suspect', id: 'a', inc: 0, from: 'c' }], 10)
    assert.equal(m.incarnation, 1)
    assert.equal(alivesTo('c'), 1)
    // The same stale accusation again, soon: the answer is not repeated.
    m.receive('b', [{ t: 'suspect', id: 'a', inc: 0, from: 'c' }], 20)
    assert.equal(m.incarnation, 1, 'a stale accusation is not refuted again')
    assert.equal(alivesTo('c'), 0)
    // Later it is (the first answer may have been lost).
    m.receive('b', [{ t: 'dead', id: 'a', inc: 0, from: 'c' }], 20 + defaultSwimParams.probeIntervalMs)
    assert.equal(alivesTo('c'), 1)
    // An accuser nobody knows gets nothing.
    m.receive('b', [{ t: 'suspect', id: 'a', inc: 1, from: 'x' }], 3000)
    assert.equal(alivesTo('x'), 0)
  })

  it('applies the incarnation rules: newer wins, dead and left are final for an incarnation', () => {
    const m = machine()
    m.receive('b', [{ t: 'suspect', id: 'c', inc: 0, from: 'b' }], 1)
    assert.equal(m.member('c')?.state, 'suspect')
    m.receive('b', [{ t: 'alive', id: 'c', inc: 0 }], 2)
    assert.equal(m.member('c')?.state, 'suspect', 'an alive at the same incarnation does not clear a suspicion')
    m.receive('b', [{ t: 'alive', id: 'c', inc: 1 }], 3)
    assert.equal(m.member('c')?.state, 'alive')
    m.receive('b', [{ t: 'dead', id: 'c', inc: 1, from: 'b' }], 4)
    assert.equal(m.member('c')?.state, 'dead')
    m.receive('b', [{ t: 'suspect', id: 'c', inc: 1, from: 'b' }, { t: 'alive', id: 'c', inc: 1 }], 5)
    assert.equal(m.member('c')?.state, 'dead')
    m.receive('b', [{ t: 'left', id: 'c', inc: 1 }], 6)
    assert.equal(m.member('c')?.state, 'left')
    m.receive('b', [{ t: 'alive', id: 'c', inc: 2 }], 7)
    assert.equal(m.member('c')?.state, 'alive', 'a restarted member comes back with a higher incarnation')
  })

  it('ignores any update about a member it never met, except an alive', () => {
    fc.assert(fc.property(fc.constantFrom('suspect', 'dead', 'left'), fc.nat(), (t, inc) => {
      const m = machine()
      const u = (t === 'left' ? { t, id: 'z', inc } : { t, id: 'z', inc, from: 'b' }) as Update
      m.receive('b', [u], 1)
      assert.equal(m.member('z'), undefined)
    }))
  })

  it('learns from a full sync of members it never met that are dead or left, without spreading it', () => {
    const m = machine()
    const pending = m.pendingBroadcasts
    m.receive('b', [{ t: 'sync', join: false, reply: true, members: [{ id: 'y', inc: 3, state: 'left' }, { id: 'z', inc: 2, state: 'dead' }, { id: 'w', inc: 1, state: 'suspect' }] }], 1)
    assert.equal(m.member('y')?.state, 'left')
    assert.equal(m.member('z')?.state, 'dead')
    assert.equal(m.member('w'), undefined, 'a suspicion alone does not introduce a member')
    assert.equal(m.pendingBroadcasts, pending, 'nothing new to gossip')
    m.receive('b', [{ t: 'alive', id: 'z', inc: 3 }], 2)
    assert.equal(m.member('z')?.state, 'alive', 'back with a higher incarnation')
  })

  it('suspicion timeouts shrink with confirmations from the highest to the lowest', () => {
    const { min, max } = suspicionTimeouts(defaultSwimParams, 1000)
    assert.equal(min, 4 * 3 * 1000)
    assert.equal(max, 6 * min)
    const k = 2
    const t = [0, 1, 2, 3].map((c) => suspicionTimeout(min, max, k, c))
    assert.equal(t[0], max)
    assert.ok((t[1] ?? 0) < (t[0] ?? 0))
    assert.equal(t[2], min)
    assert.equal(t[3], min)
  })

  it('a crashed member is declared dead by every other member', () => {
    const sim = new Simulator({ members: 40, seed: 3 })
    sim.runUntil(5000)
    sim.kill(7)
    sim.runUntil(5000 + 120_000)
    assert.deepEqual([...views(sim, 7)], [['dead', 39]])
  })

  it('a leaving member is marked left by every other member, never dead', () => {
    const sim = new Simulator({ members: 40, seed: 4 })
    sim.runUntil(5000)
    sim.leave(5)
    sim.runUntil(60_000)
    assert.deepEqual([...views(sim, 5)], [['left', 39]])
  })

  it('a joiner becomes known to every member, and knows every member', () => {
    const sim = new Simulator({ members: 40, seed: 5 })
    sim.runUntil(2000)
    const j = sim.join([0])
    sim.runUntil(30_000)
    assert.deepEqual([...views(sim, j)], [['alive', 40]])
    assert.equal(sim.machines[j]?.members().filter((m) => m.state === 'alive').length, 41)
  })

  it('a partition heals: no member keeps anyone dead once the links are back', () => {
    const sim = new Simulator({ members: 20, seed: 6 })
    const side = (i: number): number => i < 10 ? 0 : 1
    sim.runUntil(2000)
    sim.partitioned = (a, b) => side(a) !== side(b)
    sim.runUntil(120_000)
    assert.equal(sim.machines[0]?.member(sim.ids[15] ?? '')?.state, 'dead', 'the partition was seen')
    sim.partitioned = () => false
    sim.runUntil(120_000 + 300_000)
    for (const m of sim.machines) {
      assert.deepEqual(m?.members().filter((x) => x.state !== 'alive').map((x) => `${x.id}:${x.state}`), [], `${m?.self ?? ''} still sees a split`)
    }
  })

  it('is deterministic for a seed', () => {
    const run = (): string => {
      const sim = new Simulator({ members: 30, seed: 9, loss: 0.2 })
      const log: string[] = []
      sim.onChange = (o, c, now) => { log.push(`${now}:${o}:${c.id}:${c.state}`) }
      sim.runUntil(60_000)
      return log.join('\n') + `|${sim.packetsSent}`
    }
    assert.equal(run(), run())
  })
})
