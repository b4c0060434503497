/**
 * `weft id`, `weft status` and `weft peers`: what this device is and whom it reaches.
 */
import type { Command } from 'commander'
import { loadDeviceKey } from '../../identity/device-key.js'
import { homePaths } from '../../daemon/home.js'
import type { StatusView } from '../../daemon/api/types.js'
import type { MemberView } from '../../network/views.js'
import { contextOf } from '../context.js'
import { ago, printJson, printTable } from '../output.js'

/** Registers `id`, `status` and `peers`. */
export function registerStatusCommands (program: Command): void {
  program.command('id').description('print this device\'s ID').action(async (_flags: unknown, command: Command) => {
    const ctx = contextOf(command)
    // The ID is in the key file; no daemon is needed to read it.
    const { deviceId } = await loadDeviceKey(homePaths(ctx.home).deviceKey)
    if (ctx.json) printJson({ deviceId })
    else process.stdout.write(deviceId + '\n')
  })

  program.command('status').description('this device, its API and its networks').action(async (_flags: unknown, command: Command) => {
    const ctx = contextOf(command)
    const status = await (await ctx.client()).request<StatusView>('GET', '/status')
    if (ctx.json) return printJson(status)
    process.stdout.write([
      `device     ${status.name}  ${status.deviceId}`,
      `version    weft ${status.version}, up ${status.uptimeSeconds}s, pid ${status.pid}`,
      `memory     ${mb(status.memory.rss)} resident: JavaScript heap ${mb(status.memory.heapUsed)} live of ${mb(status.memory.heapTotal)}, buffers ${mb(status.memory.arrayBuffers)}`,
      `api        ${status.api}`,
      `listening  ${status.addresses.join('  ')}`,
      `peer ID    ${status.peerId}   (as a relay or bootstrap peer: ${status.addresses[0] ?? '/ip4/HOST/tcp/PORT'}/p2p/${status.peerId})`,
      `networks   ${status.networks.length === 0 ? 'none (weft net create NAME)' : status.networks.map((n) => `${n.name} [${n.role}] ${n.online}/${n.members - 1} online`).join(', ')}`
    ].join('\n') + '\n')
  })

  program.command('peers').description('every known member: online?, path (lan|direct|relay), addresses, RTT').action(async (_flags: unknown, command: Command) => {
    const ctx = contextOf(command)
    const peers = await (await ctx.client()).request<MemberView[]>('GET', '/peers')
    if (ctx.json) return printJson(peers)
    if (peers.length === 0) return void process.stdout.write('no members yet: weft net invite NAME, then weft net join CODE on the other device\n')
    printTable(['NAME', 'DEVICE', 'ONLINE', 'PATH', 'RTT', 'LAST SEEN', 'VERSION', 'NETWORKS', 'ADDRESS'], peers.map((p) => [
      p.name, p.deviceId.slice(0, 7), p.online ? 'yes' : 'no', p.path ?? '-', p.rttMs === null ? '-' : `${p.rttMs} ms`, p.online ? 'now' : ago(p.lastSeen), p.version ?? '-', p.networks.join(','), p.addresses[0] ?? '-'
    ]))
  })
}

/** Bytes as whole megabytes (MiB), as `top` and `ps` count them. */
function mb (bytes: number): string {
  return `${Math.round(bytes / 1048576)} MB`
}
