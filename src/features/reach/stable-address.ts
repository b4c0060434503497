/**
 * Stable loopback addresses for members, so any program can reach a member's exposed
 * services at a fixed IP without root: on Linux every address of 127.0.0.0/8 is local, so
 * the daemon can listen on 127.a.b.c for each member. The address is derived from this
 * device's ID and the member's (SHA-256), so it never changes for a pair of devices, and two
 * daemons on one machine (tests) get different addresses for the same member. Collisions
 * within one device's members are resolved by probing the next address, members taken in
 * device-ID order.
 */
import { createHash } from 'node:crypto'
import type { DeviceId } from '../../core/ids.js'

/** First octet after 127: addresses live in 127.64.0.0/10, away from 127.0.0.1 and friends. */
const base = 64

function candidate (self: DeviceId, member: DeviceId, attempt: number): string {
  const h = createHash('sha256').update(`weft-stable-address\0${self}\0${member}\0${attempt}`).digest()
  const b1 = base + (h[0]! % 64)
  const b2 = h[1]!
  const b3 = 1 + (h[2]! % 254) // never .0 or .255
  return `127.${b1}.${b2}.${b3}`
}

/** Assigns every member a loopback address; the same inputs always give the same map. */
export function assignStableAddresses (self: DeviceId, members: Iterable<DeviceId>): Map<DeviceId, string> {
  const out = new Map<DeviceId, string>()
  const taken = new Set<string>()
  for (const member of [...new Set(members)].sort()) {
    if (member === self) continue
    let attempt = 0
    let address = candidate(self, member, attempt)
    while (taken.has(address)) address = candidate(self, member, ++attempt)
    taken.add(address)
    out.set(member, address)
  }
  return out
}
