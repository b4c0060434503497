/**
 * `weft doctor [--json]`: this device's NAT behaviour and reachability, its relays, the DHT,
 * hole punching and the path to every member, readable by a person (exact in JSON).
 */
import type { Command } from 'commander'
import type { DoctorReport, MemberPath, RelayView } from '../../features/doctor.js'
import { contextOf } from '../context.js'
import { printJson, printTable } from '../output.js'

const mappingText: Record<DoctorReport['nat']['mapping'], string> = {
  none: 'no NAT (observers see this device\'s own address)',
  'endpoint-independent': 'endpoint-independent ("cone"): hole punching can make direct connections',
  'endpoint-dependent': 'endpoint-dependent ("symmetric"): members reach this device through relays',
  unknown: 'unknown (fewer than two observers answered: configure relays or bootstrap peers)'
}

/** A device as other commands show it: its name with the short ID, or the short ID alone. */
function device (id: string, name: string | null): string {
  return name === null ? id.slice(0, 7) : `${name} (${id.slice(0, 7)})`
}

/** One relay as the human report lists it: name and short ID, where it is known from, its state. */
export function relayLine (r: RelayView): string {
  const reason = r.reason !== undefined && r.state !== 'reserved' ? `: ${r.reason}` : ''
  const until = r.expiresAt !== undefined && r.state === 'reserved' ? `, until ${new Date(r.expiresAt).toISOString()}` : ''
  return `  ${device(r.deviceId, r.name)} (${r.source})  ${r.state}${reason}${until}`
}

/** One member's row of the human report's path table. */
export function memberRow (m: MemberPath): string[] {
  return [m.name, m.deviceId.slice(0, 7), m.path, m.rttMs === null ? '-' : `${m.rttMs} ms`, m.relay === null ? '-' : device(m.relay, m.relayName), m.error ?? '']
}

/** Registers `doctor`. */
export function registerDoctorCommand (program: Command): void {
  program.command('doctor').description('check NAT behaviour, reachability, relays, DHT and the path to every member').action(async (_flags: unknown, command: Command) => {
    const ctx = contextOf(command)
    const report = await (await ctx.client()).request<DoctorReport>('GET', '/doctor')
    if (ctx.json) return printJson(report)
    const { nat } = report
    const lines = [
      `NAT mapping       ${mappingText[nat.mapping]}`,
      `seen from outside ${nat.observed.length === 0 ? '-' : nat.observed.join(', ')}`,
      `reachable         ${nat.publiclyReachable === null ? 'unknown (no observer could dial back)' : nat.publiclyReachable ? 'yes: members can dial this device directly' : 'no: members reach it by relay or hole punch'}`,
      ...nat.observers.filter((o) => o.error !== undefined).map((o) => `  observer ${o.address}: ${o.error ?? ''}`),
      `relay service    ${report.servesRelay ? 'on: this device relays for its networks\' members' : 'off'}`,
      `relays           ${report.relays.length === 0 ? 'none known' : ''}`,
      ...report.relays.map(relayLine),
      `DHT              ${report.dht.enabled ? `${report.dht.peers} peers in the routing table${report.dht.lastPut === undefined ? '' : `; last publish ${report.dht.lastPut.ok ? 'ok' : `failed (${report.dht.lastPut.error ?? ''})`}`}` : 'off (no bootstrap peers or relays configured)'}`,
      `hole punching    ${report.punch.successes}/${report.punch.attempts} succeeded${report.punch.lastMs === undefined ? '' : `, last in ${report.punch.lastMs} ms`}${report.punch.lastError === undefined ? '' : `; last error: ${report.punch.lastError}`}`,
      `direct streams   ${report.direct.opened} opened, ${report.direct.accepted} accepted, ${report.direct.refused} refused, ${report.direct.dialFailures} dials failed (service reach bypassing the multiplexer)`,
      `relayed tunnels  ${report.tunnels.relayed} open (forwards, pipes), ${report.tunnels.moved} moved to a direct path, ${report.tunnels.failed} moves failed`,
      ''
    ]
    process.stdout.write(lines.join('\n') + '\n')
    if (report.members.length === 0) return void process.stdout.write('no members yet\n')
    printTable(['MEMBER', 'DEVICE', 'PATH', 'RTT', 'VIA', 'NOTE'], report.members.map(memberRow))
  })
}
