/**
 * How one membership update changes a machine's table (memberlist's aliveNode, suspectNode
 * and deadNode, plus explicit leave): higher incarnations win, a suspicion about a suspect
 * at the same incarnation is a confirmation, dead and left are final for an incarnation,
 * and anything claimed about this member itself that is not "alive" is refuted.
 */
import type { BroadcastQueue } from './broadcasts.js'
import type { MemberTable } from './members.js'
import type { Suspicions } from './suspicion.js'
import type { MemberId, MemberRecord, Update } from './types.js'

/** What {@link applyUpdate} reads and changes of a machine (the `Swim` of state.ts, which calls it). */
export interface UpdateTarget {
  readonly self: MemberId
  readonly table: MemberTable
  readonly broadcasts: BroadcastQueue
  readonly suspicions: Suspicions
  readonly incarnation: number
  readonly leaving: boolean
  setMember: (id: MemberId, record: MemberRecord) => void
  refute: (inc: number, now: number) => void
  reannounce: () => void
  answerAccuser: (accuser: MemberId, now: number) => void
  suspicionBounds: () => { min: number, max: number, k: number }
}

/** Applies `u` to `swim`; `spread` queues it for gossip when it changed something. */
export function applyUpdate (swim: UpdateTarget, u: Update, now: number, spread: boolean): void {
  const cur = swim.table.get(u.id)
  if (u.id === swim.self) {
    if (swim.leaving) return
    // Anything about us with our incarnation or newer that is not our own alive: refute.
    if (u.inc > swim.incarnation || (u.t !== 'alive' && u.inc >= swim.incarnation)) swim.refute(u.inc, now)
    // A stale accusation (older incarnation): whoever holds it missed our refutation; say it again.
    else if (u.t !== 'alive') swim.reannounce()
    // The accuser is the one whose timer will declare us dead: tell it directly too, since
    // gossip reaches any one member only with high probability, not certainty.
    if (u.t === 'suspect' || u.t === 'dead') swim.answerAccuser(u.from, now)
    return
  }
  const queue = (): void => { if (spread) swim.broadcasts.push(u) }
  if (cur === undefined) {
    // Only an alive introduces a member; the rest says nothing about someone we never met.
    if (u.t !== 'alive') return
    swim.setMember(u.id, { incarnation: u.inc, state: 'alive', since: now })
    queue()
    return
  }
  if (u.inc < cur.incarnation) return
  switch (u.t) {
    case 'alive':
      if (u.inc === cur.incarnation) return
      swim.suspicions.stop(u.id)
      swim.setMember(u.id, { incarnation: u.inc, state: 'alive', since: cur.state === 'alive' ? cur.since : now })
      queue()
      return
    case 'suspect': {
      if (cur.state === 'dead' || cur.state === 'left') return
      const bounds = swim.suspicionBounds()
      if (cur.state === 'suspect' && u.inc === cur.incarnation) {
        if (swim.suspicions.confirm(u.id, u.inc, u.from, bounds)) queue()
        return
      }
      swim.suspicions.start(u.id, u.inc, u.from, now, bounds)
      swim.setMember(u.id, { incarnation: u.inc, state: 'suspect', since: now })
      queue()
      return
    }
    case 'dead':
      if (cur.state === 'dead' || cur.state === 'left') return
      swim.suspicions.stop(u.id)
      swim.setMember(u.id, { incarnation: u.inc, state: 'dead', since: now })
      queue()
      return
    case 'left':
      if (cur.state === 'left') return
      swim.suspicions.stop(u.id)
      swim.setMember(u.id, { incarnation: u.inc, state: 'left', since: now })
      queue()
  }
}
