/**
 * Service discovery commands (issue 7): `weft members` (the gossip view), `weft catalog
 * ls|register|deregister|check-in|watch`, and `weft kv get|put|del|ls|watch`. Watches
 * long-poll the API's blocking queries and print each new state.
 */
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import type { InstanceView, KvView } from '../../features/catalog/types.js'
import type { MemberRow } from '../../features/catalog/service.js'
import type { ApiClient } from '../client.js'
import { contextOf } from '../context.js'
import { durationMsArg } from '../durations.js'
import { ago, printJson, printTable } from '../output.js'

/** Parses a duration (`500ms`, `10s`, `2m`, `1h`; a bare number is seconds) into milliseconds. */
export const parseMs = durationMsArg

function query (params: Record<string, string | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v)
  const s = q.toString()
  return s === '' ? '' : `?${s}`
}

function collect (value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

interface RegisterFlags {
  port: string, net?: string, address?: string, tag?: string[], meta?: string[], interval: string, timeout?: string
  checkTcp?: string, checkHttp?: string, checkScript?: string, checkTtl?: string
}

function registration (name: string, f: RegisterFlags): unknown {
  const port = Number(f.port)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('--port: expected 1 to 65535')
  const meta: Record<string, string> = {}
  for (const kv of f.meta ?? []) {
    const eq = kv.indexOf('=')
    if (eq <= 0) throw new InvalidArgumentError(`--meta ${kv}: expected KEY=VALUE`)
    meta[kv.slice(0, eq)] = kv.slice(eq + 1)
  }
  const intervalMs = parseMs(f.interval)
  const timeout = f.timeout === undefined ? {} : { timeoutMs: parseMs(f.timeout) }
  const checks: unknown[] = []
  if (f.checkTcp !== undefined) checks.push({ kind: 'tcp', target: f.checkTcp, intervalMs, ...timeout })
  if (f.checkHttp !== undefined) checks.push({ kind: 'http', url: f.checkHttp, intervalMs, ...timeout })
  if (f.checkScript !== undefined) checks.push({ kind: 'script', command: f.checkScript, intervalMs, ...timeout })
  if (f.checkTtl !== undefined) checks.push({ kind: 'ttl', ttlMs: parseMs(f.checkTtl) })
  return { name, port, network: f.net, address: f.address, tags: f.tag ?? [], meta, checks }
}

function printInstances (list: InstanceView[]): void {
  if (list.length === 0) return void process.stdout.write('no services in the catalog\n')
  printTable(['SERVICE', 'DEVICE', 'NETWORK', 'ADDRESS', 'STATUS', 'MEMBER', 'HEALTHY', 'TAGS'], list.map((i) => [i.name, i.deviceName, i.networkName, `${i.address}:${i.port}`, i.status, i.memberState, i.healthy ? 'yes' : 'no', i.tags.join(',')]))
}

async function watch<T extends { index: number }> (client: ApiClient, path: (index: number | undefined) => string, print: (answer: T) => void): Promise<void> {
  let index: number | undefined
  for (;;) {
    const answer = await client.request<T>('GET', path(index))
    if (answer.index !== index) print(answer)
    index = answer.index
  }
}

/** Registers the catalog, members and kv commands. */
export function registerCatalogCommands (program: Command): void {
  program.command('members').description('members of this device\'s networks as gossip sees them (alive, suspect, dead, left)')
    .option('--net <name>', 'only this network')
    .action(async (flags: { net?: string }, command: Command) => {
      const ctx = contextOf(command)
      const rows = await (await ctx.client()).request<MemberRow[]>('GET', `/members${query({ net: flags.net })}`)
      if (ctx.json) return printJson(rows)
      if (rows.length === 0) return void process.stdout.write('no networks yet\n')
      printTable(['NAME', 'DEVICE', 'NETWORK', 'STATE', 'INCARNATION', 'SINCE'], rows.map((m) => [m.name + (m.self ? ' (this device)' : ''), m.deviceId.slice(0, 7), m.networkName, m.state, String(m.incarnation), ago(m.since)]))
    })

  const catalog = program.command('catalog').description('services of the network\'s members, with health')
  const lsOptions = (c: Command): Command => c.option('--net <name>', 'only this network').option('--name <service>', 'only this service').option('--tag <tag>', 'only instances with this tag').option('--health <h>', 'any, healthy, passing, warning or critical', 'any')
  lsOptions(catalog.command('ls').description('service instances with their health'))
    .action(async (flags: { net?: string, name?: string, tag?: string, health: string }, command: Command) => {
      const ctx = contextOf(command)
      const answer = await (await ctx.client()).request<{ index: number, instances: InstanceView[] }>('GET', `/catalog${query({ net: flags.net, name: flags.name, tag: flags.tag, health: flags.health })}`)
      if (ctx.json) return printJson(answer.instances)
      printInstances(answer.instances)
    })
  lsOptions(catalog.command('watch').description('print the catalog again whenever it changes (until Ctrl-C)'))
    .action(async (flags: { net?: string, name?: string, tag?: string, health: string }, command: Command) => {
      const ctx = contextOf(command)
      await watch<{ index: number, instances: InstanceView[] }>(await ctx.client(), (index) => `/catalog${query({ net: flags.net, name: flags.name, tag: flags.tag, health: flags.health, index: index === undefined ? undefined : String(index), wait: '5m' })}`, (a) => {
        if (ctx.json) process.stdout.write(JSON.stringify(a) + '\n')
        else { process.stdout.write(`--- index ${a.index}\n`); printInstances(a.instances) }
      })
    })
  catalog.command('register <name>').description('register a service of this device, with optional health checks')
    .requiredOption('--port <port>', 'port the service listens on')
    .option('--net <name>', 'network (optional when this device is in one)')
    .option('--address <addr>', 'address to advertise (default: this device\'s listen address)')
    .option('--tag <tag>', 'a tag (repeatable)', collect)
    .option('--meta <key=value>', 'metadata (repeatable)', collect)
    .option('--check-tcp <host:port>', 'healthy while a TCP connect succeeds')
    .option('--check-http <url>', 'healthy while GET answers 2xx')
    .option('--check-script <command>', 'sh -c COMMAND: exit 0 passing, 1 warning, else critical')
    .option('--check-ttl <duration>', 'healthy while the service checks in (weft catalog check-in) within this time')
    .option('--interval <duration>', 'how often checks run', '10s')
    .option('--timeout <duration>', 'check timeout (default 2s; scripts 10s)')
    .action(async (name: string, flags: RegisterFlags, command: Command) => {
      const ctx = contextOf(command)
      const r = await (await ctx.client()).request<{ name: string, port: number, checks: unknown[] }>('POST', '/catalog/services', registration(name, flags))
      if (ctx.json) return printJson(r)
      process.stdout.write(`registered ${r.name} on port ${r.port} with ${r.checks.length} check(s)\n`)
    })
  catalog.command('deregister <name>').description('remove a service of this device from the catalog')
    .option('--net <name>', 'network (when registered in several)')
    .action(async (name: string, flags: { net?: string }, command: Command) => {
      const ctx = contextOf(command)
      const r = await (await ctx.client()).request('DELETE', `/catalog/services/${encodeURIComponent(name)}${query({ net: flags.net })}`)
      if (ctx.json) return printJson(r)
      process.stdout.write(`deregistered ${name}\n`)
    })
  catalog.command('check-in <name>').description('report on a service\'s TTL check')
    .option('--status <status>', 'passing, warning or critical', 'passing')
    .option('--note <text>', 'output to show with the status', '')
    .option('--net <name>', 'network (when registered in several)')
    .action(async (name: string, flags: { status: string, note: string, net?: string }, command: Command) => {
      const ctx = contextOf(command)
      const r = await (await ctx.client()).request('POST', `/catalog/services/${encodeURIComponent(name)}/check-in`, { status: flags.status, note: flags.note, network: flags.net })
      if (ctx.json) return printJson(r)
      process.stdout.write(`${name}: ${flags.status}\n`)
    })

  const kv = program.command('kv').description('a small KV store replicated to every member of a network')
  const key = (k: string): string => k.split('/').map(encodeURIComponent).join('/')
  kv.command('get <key>').description('print a value').option('--net <name>', 'network (optional when in one)')
    .action(async (k: string, flags: { net?: string }, command: Command) => {
      const ctx = contextOf(command)
      const e = await (await ctx.client()).request<KvView>('GET', `/kv/${key(k)}${query({ net: flags.net })}`)
      if (ctx.json) return printJson(e)
      process.stdout.write(e.value !== undefined ? e.value + '\n' : Buffer.from(e.base64, 'base64'))
    })
  kv.command('put <key> [value]').description('set a value (or --file PATH); --cas VERSION only if unchanged, --cas 0 only if absent')
    .option('--net <name>', 'network (optional when in one)').option('--file <path>', 'take the value from a file').option('--cas <version>', 'check-and-set on this version')
    .action(async (k: string, value: string | undefined, flags: { net?: string, file?: string, cas?: string }, command: Command) => {
      const ctx = contextOf(command)
      if ((value === undefined) === (flags.file === undefined)) throw new InvalidArgumentError('give a VALUE or --file PATH')
      const body = flags.file !== undefined ? await readFile(flags.file) : Buffer.from(value ?? '', 'utf8')
      const e = await (await ctx.client()).requestRaw<KvView>('PUT', `/kv/${key(k)}${query({ net: flags.net, cas: flags.cas })}`, body)
      if (ctx.json) return printJson(e)
      process.stdout.write(`${e.key} = ${e.size} bytes, version ${e.version}\n`)
    })
  kv.command('del <key>').description('delete a key').option('--net <name>', 'network (optional when in one)').option('--cas <version>', 'only if at this version')
    .action(async (k: string, flags: { net?: string, cas?: string }, command: Command) => {
      const ctx = contextOf(command)
      const r = await (await ctx.client()).request('DELETE', `/kv/${key(k)}${query({ net: flags.net, cas: flags.cas })}`)
      if (ctx.json) return printJson(r)
      process.stdout.write(`deleted ${k}\n`)
    })
  kv.command('ls [prefix]').description('keys (under a prefix) with size and version').option('--net <name>', 'network (optional when in one)')
    .action(async (prefix: string | undefined, flags: { net?: string }, command: Command) => {
      const ctx = contextOf(command)
      const a = await (await ctx.client()).request<{ index: number, entries: KvView[] }>('GET', `/kv${query({ net: flags.net, prefix })}`)
      if (ctx.json) return printJson(a.entries)
      if (a.entries.length === 0) return void process.stdout.write('no keys\n')
      printTable(['KEY', 'SIZE', 'VERSION'], a.entries.map((e) => [e.key, String(e.size), e.version]))
    })
  kv.command('watch [prefix]').description('print the keys under a prefix whenever they change (until Ctrl-C)').option('--net <name>', 'network (optional when in one)')
    .action(async (prefix: string | undefined, flags: { net?: string }, command: Command) => {
      const ctx = contextOf(command)
      await watch<{ index: number, entries: KvView[] }>(await ctx.client(), (index) => `/kv${query({ net: flags.net, prefix, index: index === undefined ? undefined : String(index), wait: '5m' })}`, (a) => {
        if (ctx.json) process.stdout.write(JSON.stringify(a) + '\n')
        else for (const e of a.entries) process.stdout.write(`${a.index} ${e.key}=${e.value ?? `(${e.size} bytes)`}\n`)
      })
    })
}
