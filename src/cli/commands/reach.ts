/**
 * Service reach commands: `weft expose`, `weft unexpose`, `weft services ls` and
 * `weft forward` (a foreground command: the forward lives until it is stopped).
 */
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import type { ExposedService } from '../../features/reach/types.js'
import type { ForwardView, ServiceView } from '../../features/reach/service.js'
import { contextOf } from '../context.js'
import { printJson, printTable } from '../output.js'

function port (text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0 to 65535)')
  return n
}

/** Parses `[HOST:]PORT`. */
export function parseListen (text: string): { host: string, port: number } {
  const colon = text.lastIndexOf(':')
  if (colon < 0) return { host: '127.0.0.1', port: port(text) }
  return { host: text.slice(0, colon).replace(/^\[|\]$/g, ''), port: port(text.slice(colon + 1)) }
}

/** Registers the reach commands. */
export function registerReachCommands (program: Command): void {
  program.command('expose <port>').description('offer a local TCP service to the members of a network')
    .requiredOption('--name <name>', 'service name (lowercase letters, digits, -)')
    .option('--net <name>', 'network (optional when this device is in one)')
    .option('--allow <device...>', 'only these members (device IDs or names) may connect')
    .option('--host <host>', 'local host the service listens on', '127.0.0.1')
    .option('--udp', 'a UDP service (datagrams carried over the mesh)')
    .action(async (portText: string, flags: { name: string, net?: string, allow?: string[], host: string, udp?: boolean }, command: Command) => {
      const ctx = contextOf(command)
      const service = await (await ctx.client()).request<ExposedService & { networkName: string, warning?: string }>('POST', '/services', { name: flags.name, port: port(portText), host: flags.host, network: flags.net, allow: flags.allow, udp: flags.udp === true })
      if (ctx.json) return printJson(service)
      process.stdout.write(`exposed ${service.name} (${service.udp ? 'udp' : 'tcp'} ${service.host}:${service.port}) to ${service.allow.length === 0 ? 'every member' : `${service.allow.length} member(s)`} of network ${service.networkName}\n`)
      if (service.warning !== undefined) process.stderr.write(`warning: ${service.warning}\n`)
    })

  program.command('unexpose <name>').description('stop offering a service').action(async (name: string, _f: unknown, command: Command) => {
    const ctx = contextOf(command)
    const result = await (await ctx.client()).request('DELETE', `/services/${encodeURIComponent(name)}`)
    if (ctx.json) return printJson(result)
    process.stdout.write(`unexposed ${name}\n`)
  })

  const services = program.command('services').description('services offered by members and by this device')
  services.command('ls').description('what members expose, with the address to use').action(async (_f: unknown, command: Command) => {
    const ctx = contextOf(command)
    const list = await (await ctx.client()).request<{ exposed: Array<ExposedService & { networkName?: string, allowNames?: string[] }>, remote: ServiceView[] }>('GET', '/services')
    if (ctx.json) return printJson(list)
    if (list.remote.length === 0) process.stdout.write('members expose no services to this device\n')
    else printTable(['DEVICE', 'SERVICE', 'PORT', 'NETWORK', 'ONLINE', 'ADDRESS'], list.remote.map((s) => [s.deviceName, s.name, String(s.port), s.networkName, s.online ? 'yes' : 'no', s.address ?? '-']))
    if (list.exposed.length > 0) {
      process.stdout.write('\nexposed by this device:\n')
      printTable(['SERVICE', 'LOCAL', 'NETWORK', 'ALLOW'], list.exposed.map((s) => [s.name, `${s.host}:${s.port}`, s.networkName ?? s.network.slice(0, 12), s.allow.length === 0 ? 'all members' : (s.allowNames ?? s.allow.map((d) => d.slice(0, 7))).join(',')]))
    }
  })

  program.command('forwards').description('forwards running on this device').action(async (_f: unknown, command: Command) => {
    const ctx = contextOf(command)
    const list = await (await ctx.client()).request<ForwardView[]>('GET', '/forwards')
    if (ctx.json) return printJson(list)
    if (list.length === 0) return void process.stdout.write('no forwards\n')
    printTable(['ID', 'LISTEN', 'TARGET', 'CONNECTIONS'], list.map((f) => [f.id, f.listen, `${f.deviceName}:${f.service}`, String(f.connections)]))
  })

  program.command('forward <target> <listen>').description('listen on [LOCAL_ADDR:]PORT and forward to DEVICE:NAME until stopped')
    .option('--force', 'start even when the member does not list that service (its list may be stale)')
    .action(async (target: string, listen: string, flags: { force?: boolean }, command: Command) => {
      const ctx = contextOf(command)
      const colon = target.lastIndexOf(':')
      if (colon <= 0) throw new InvalidArgumentError('target must be DEVICE:SERVICE')
      const client = await ctx.client()
      const where = parseListen(listen)
      const forward = await client.request<ForwardView>('POST', '/forwards', { device: target.slice(0, colon), service: target.slice(colon + 1), host: where.host, port: where.port, force: flags.force === true })
      if (ctx.json) printJson(forward)
      else process.stdout.write(`forwarding ${forward.listen} -> ${forward.deviceName}:${forward.service} (Ctrl-C stops)\n`)
      if (forward.warning !== undefined && !ctx.json) process.stderr.write(`warning: ${forward.warning}\n`)
      // Runs until a signal; a check every few seconds notices a daemon that went away (the
      // forward lives in the daemon) and keeps this process alive meanwhile.
      const stopped = await new Promise<string | undefined>((resolve) => {
        const check = setInterval(() => {
          client.request<ForwardView[]>('GET', '/forwards').then((list) => {
            if (!list.some((f) => f.id === forward.id)) resolve('the forward was removed (daemon restarted?)')
          }, () => { resolve('the daemon stopped') })
        }, 5000)
        const done = (): void => { clearInterval(check); resolve(undefined) }
        process.once('SIGINT', done)
        process.once('SIGTERM', done)
      })
      if (stopped !== undefined) {
        process.stderr.write(`weft: ${stopped}\n`)
        process.exit(1)
      }
      await client.request('DELETE', `/forwards/${forward.id}`).catch(() => {})
    })
}
