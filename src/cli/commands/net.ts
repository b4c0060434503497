/**
 * `weft net ...`: create, invite, join, list, members, remove, leave.
 */
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import type { InviteView, MemberView, NetworkSummary } from '../../network/views.js'
import { contextOf } from '../context.js'
import { durationSecondsArg } from '../durations.js'
import { ago, printJson, printTable } from '../output.js'

function positiveInt (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('expected a whole number from 1 to 1000')
  return n
}

/** Registers the `net` command group. */
export function registerNetCommands (program: Command): void {
  const net = program.command('net').description('private networks of devices')

  net.command('create <name>').description('create a network with this device as admin').action(async (name: string, _f: unknown, command: Command) => {
    const ctx = contextOf(command)
    const summary = await (await ctx.client()).request<NetworkSummary>('POST', '/networks', { name })
    if (ctx.json) printJson(summary)
    else process.stdout.write(`created network "${summary.name}" (${summary.id})\ninvite a device with: weft net invite ${summary.name}\n`)
  })

  net.command('invite <name>').description('print an invite code (one line)')
    .option('--uses <n>', 'how many devices may join with it', positiveInt, 1)
    .option('--ttl <duration>', 'how long it stays valid (e.g. 30m, 24h, 7d)', durationSecondsArg, 86400)
    .option('--admin', 'joiners become admins (may invite and remove)')
    .action(async (name: string, flags: { uses: number, ttl: number, admin?: boolean }, command: Command) => {
      const ctx = contextOf(command)
      const invite = await (await ctx.client()).request<InviteView>('POST', `/networks/${encodeURIComponent(name)}/invites`, { uses: flags.uses, ttlSeconds: flags.ttl, role: flags.admin === true ? 'admin' : 'member' })
      if (ctx.json) printJson(invite)
      else process.stdout.write(invite.code + '\n')
    })

  net.command('join <code>').description('join a network with an invite code').action(async (code: string, _f: unknown, command: Command) => {
    const ctx = contextOf(command)
    const summary = await (await ctx.client()).request<NetworkSummary>('POST', '/join', { code })
    if (ctx.json) printJson(summary)
    else process.stdout.write(`joined network "${summary.name}" (${summary.id}), ${summary.members} members\n`)
  })

  net.command('ls').description('networks of this device').action(async (_f: unknown, command: Command) => {
    const ctx = contextOf(command)
    const list = await (await ctx.client()).request<NetworkSummary[]>('GET', '/networks')
    if (ctx.json) return printJson(list)
    if (list.length === 0) return void process.stdout.write('no networks: weft net create NAME, or weft net join CODE\n')
    printTable(['NAME', 'ID', 'ROLE', 'MEMBERS', 'ONLINE'], list.map((n) => [n.name, n.id, n.role, String(n.members), String(n.online)]))
  })

  net.command('members <name>').description('members of a network').action(async (name: string, _f: unknown, command: Command) => {
    const ctx = contextOf(command)
    const members = await (await ctx.client()).request<MemberView[]>('GET', `/networks/${encodeURIComponent(name)}/members`)
    if (ctx.json) return printJson(members)
    printTable(['NAME', 'DEVICE ID', 'ROLE', 'ONLINE', 'PATH', 'RTT', 'LAST SEEN'], members.map((m) => [
      m.self ? `${m.name} (this device)` : m.name, m.deviceId, m.role, m.online ? 'yes' : 'no', m.path ?? '-', m.rttMs === null ? '-' : `${m.rttMs} ms`, m.online ? 'now' : ago(m.lastSeen)
    ]))
  })

  net.command('remove <name> <device>').description('remove a member (device ID or member name); admins only').action(async (name: string, device: string, _f: unknown, command: Command) => {
    const ctx = contextOf(command)
    await (await ctx.client()).request('DELETE', `/networks/${encodeURIComponent(name)}/members/${encodeURIComponent(device)}`)
    if (ctx.json) printJson({ ok: true })
    else process.stdout.write(`removed ${device} from "${name}"\n`)
  })

  net.command('leave <name>').description('leave a network and forget it').action(async (name: string, _f: unknown, command: Command) => {
    const ctx = contextOf(command)
    await (await ctx.client()).request('POST', `/networks/${encodeURIComponent(name)}/leave`)
    if (ctx.json) printJson({ ok: true })
    else process.stdout.write(`left "${name}"\n`)
  })
}
