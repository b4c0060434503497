/**
 * `npm run bench:gossip`: the SWIM simulator at 1,000 and 10,000 members (200 ms gossip,
 * fanout 3, as in Serf's simulator), printing times to 99.9% for a join, a failure and a
 * leave, bandwidth per member, and false positives at 10% and 30% packet loss, next to
 * Serf's published figures. `--quick` runs smaller versions.
 */
import { cpus } from 'node:os'
import { failureSpread, falsePositives, joinSpread, leaveSpread } from './gossip-scenarios.js'
import type { Spread } from './gossip-scenarios.js'

const quick = process.argv.includes('--quick')
const sizes = quick ? [200, 1000] : [1000, 10_000]
const serf: Record<number, number> = { 1000: 1840, 10_000: 2150 }
const s = (ms: number): string => (ms / 1000).toFixed(2) + ' s'

console.log(`bench:gossip  ${new Date().toISOString()}  ${cpus()[0]?.model ?? '?'} x${cpus().length}  node ${process.version}`)
console.log('| members | event | event → first | first → 99.9% | event → 99.9% | Serf (spread) | max kbit/s | mean kbit/s | max kbit/s with syncs | wall |')
console.log('|---|---|---|---|---|---|---|---|---|---|')
for (const n of sizes) {
  const runs: Array<[string, () => Spread]> = [
    ['join', () => joinSpread({ members: n, seed: 1 })],
    ['failure', () => failureSpread({ members: n, seed: 2 })],
    ['leave', () => leaveSpread({ members: n, seed: 3 })]
  ]
  for (const [name, run] of runs) {
    const t0 = performance.now()
    const r = run()
    const wall = (performance.now() - t0) / 1000
    console.log(`| ${n} | ${name}${r.reached ? '' : ' (NOT reached)'} | ${s(r.toFirstMs)} | ${s(r.firstToQuorumMs)} | ${s(r.totalMs)} | ${serf[n] === undefined ? '-' : s(serf[n] ?? 0)} | ${r.maxKbps.toFixed(1)} | ${r.meanKbps.toFixed(1)} | ${r.maxWithSyncKbps.toFixed(1)} | ${wall.toFixed(1)} s |`)
  }
}
const fpMembers = quick ? 200 : 1000
const fpMs = quick ? 300_000 : 3_600_000
console.log(`\nfalse positives, ${fpMembers} members, ${fpMs / 60_000} virtual minutes, nobody fails`)
console.log('| loss | declared dead | per hour | suspicions raised | refutations | wall |')
console.log('|---|---|---|---|---|---|')
for (const loss of [0.1, 0.3]) {
  const t0 = performance.now()
  const r = falsePositives({ members: fpMembers, seed: 7, loss, durationMs: fpMs })
  console.log(`| ${loss * 100}% | ${r.declaredDead} | ${r.perHour.toFixed(1)} | ${r.suspicions} | ${r.refutations} | ${((performance.now() - t0) / 1000).toFixed(1)} s |`)
}
