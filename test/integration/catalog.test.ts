/**
 * Service discovery between five real daemons (issue 7), driven through the CLI and the DNS
 * server: gossip membership (`weft members`), HTTP, TCP and TTL health checks against real
 * listeners with their instances entering and leaving `NAME.service.NET.weft`, the replicated
 * KV store (concurrent writes, check-and-set, size limit, restarts), a gossip partition made
 * with the `gossip-partition` test fault and healed, a crash (SIGKILL) and a clean stop
 * (SIGTERM), and a member sending garbage gossip (`gossip-garbage`). Times are printed for
 * information only; nothing here asserts how fast the network is.
 */
import { describe, it, before, after } from 'node:test'
import type { TestContext } from 'node:test'
import { strict as assert } from 'node:assert'
import { createServer as createHttpServer } from 'node:http'
import type { Server as HttpServer } from 'node:http'
import { createServer } from 'node:net'
import type { AddressInfo, Server } from 'node:net'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import dnsPacket from 'dns-packet'
import { startTestnet, formNetwork, waitForOnline, waitFor } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'
import { defaultSwimParams, detectionBoundMs } from '../../src/features/catalog/swim/params.js'

type State = 'alive' | 'suspect' | 'dead' | 'left'
interface Member { deviceId: string, name: string, networkName: string, state: State, incarnation: number, self: boolean }
interface Instance { name: string, port: number, address: string, deviceName: string, status: string, output: string, memberState: string, healthy: boolean }
interface KvEntry { key: string, value?: string, base64: string, size: number, version: string, writtenBy: string }
interface NetworkStats { malformedPackets: number, unknownMemberMessages: number, awareness: number }
interface CatalogStats { transport: { malformed: number, fromNonMembers: number, faultDropped: number }, networks: Record<string, NetworkStats> }

const net = 'home'
const blockFile = 'test-gossip-blocked'

/** Seconds from `t0` to `t1`, for the printed measurements. */
function seconds (t0: number, t1 = Date.now()): string {
  return `${((t1 - t0) / 1000).toFixed(1)} s`
}

/**
 * GET `path` of `d`'s API. Polling goes through the API (a CLI run costs a second of CPU on a
 * small machine, which would swamp the measurements); what the CLI shows is checked once the
 * awaited state is reached. The address is read each time: it changes when a daemon restarts.
 */
async function api<T> (d: TestDaemon, path: string): Promise<{ status: number, body: T }> {
  const { url, token } = await d.apiAccess()
  const response = await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) })
  return { status: response.status, body: await response.json() as T }
}

/** POSTs `body` as JSON to `path` of `d`'s API; returns the status. */
async function apiPost (d: TestDaemon, path: string, body: unknown): Promise<number> {
  const { url, token } = await d.apiAccess()
  const response = await fetch(`${url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) })
  await response.arrayBuffer()
  return response.status
}

/** Member name → state. */
function states (rows: Member[]): Record<string, State> {
  return Object.fromEntries(rows.map((m) => [m.name, m.state]))
}

/** Member name → state in `d`'s gossip view (API). */
async function view (d: TestDaemon): Promise<Record<string, State>> {
  return states((await api<Member[]>(d, '/members')).body)
}

/** True when `v` shows each member of `want` in one of its states. */
function matches (v: Record<string, State>, want: Record<string, State | State[]>): boolean {
  return Object.entries(want).every(([name, s]) => (Array.isArray(s) ? s : [s]).includes(v[name] as State))
}

/**
 * Waits until every observer sees each member of `want` in one of its states, then checks
 * that `weft members --json` on each agrees; returns when the state was first seen.
 */
async function waitForStates (observers: TestDaemon[], want: Record<string, State | State[]>, timeoutMs = 60_000): Promise<number> {
  await waitFor(`${observers.map((d) => d.name).join(', ')} to see ${JSON.stringify(want)}`, async () => {
    const views = await Promise.all(observers.map(view))
    return views.every((v) => matches(v, want))
  }, timeoutMs, 100)
  const at = Date.now()
  await Promise.all(observers.map(async (d) => {
    const v = states(await d.json<Member[]>(['members']))
    assert.ok(matches(v, want), `weft members on ${d.name} shows ${JSON.stringify(want)}: ${JSON.stringify(v)}`)
  }))
  return at
}

/** Instances of service `name` in `d`'s catalog (API). */
async function instancesOf (d: TestDaemon, name: string): Promise<Instance[]> {
  return (await api<{ instances: Instance[] }>(d, `/catalog?name=${name}`)).body.instances
}

/**
 * Waits until every daemon lists `name` on `device` with `status` (healthy exactly when
 * passing), then checks `weft catalog ls --json` on each; returns when it was first seen and
 * the instances the CLI listed.
 */
async function waitForStatus (daemons: TestDaemon[], name: string, device: string, status: string, timeoutMs = 30_000): Promise<{ at: number, instances: Instance[] }> {
  const ok = (i: Instance | undefined): boolean => i?.status === status && i.healthy === (status === 'passing')
  await waitFor(`every daemon to list ${name} on ${device} as ${status}`, async () => {
    const found = await Promise.all(daemons.map(async (d) => (await instancesOf(d, name)).find((i) => i.deviceName === device)))
    return found.every(ok)
  }, timeoutMs, 100)
  const at = Date.now()
  const instances = await Promise.all(daemons.map(async (d) => {
    const listed = (await d.json<Instance[]>(['catalog', 'ls', '--name', name])).find((i) => i.deviceName === device)
    assert.ok(listed !== undefined && ok(listed), `weft catalog ls on ${d.name} shows ${name} on ${device} ${status}: ${JSON.stringify(listed)}`)
    return listed
  }))
  return { at, instances }
}

/** Asks the DNS server at `endpoint` (host:port) for SRV `name`: the rcode and `target:port` of each answer, sorted. */
async function srv (endpoint: string, name: string): Promise<{ rcode: number, answers: string[] }> {
  const [host = '', port = ''] = endpoint.split(':')
  const socket = createSocket('udp4')
  try {
    const id = Math.floor(Math.random() * 65535)
    socket.send(dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'SRV', name }] }), Number(port), host)
    const reply = await Promise.race([
      once(socket, 'message') as Promise<[Buffer]>,
      new Promise<never>((_resolve, reject) => setTimeout(() => { reject(new Error(`no DNS answer from ${endpoint}`)) }, 3000))
    ])
    const answer = dnsPacket.decode(reply[0])
    assert.equal(answer.id, id)
    const answers = (answer.answers ?? []).filter((a) => a.type === 'SRV').map((a) => {
      const data = a.data as { port: number, target: string }
      return `${data.target}:${data.port}`
    })
    return { rcode: (answer.flags ?? 0) & 0xf, answers: answers.sort() }
  } finally {
    socket.close()
  }
}

/** Waits until the DNS server of every daemon in `daemons` answers `name` with exactly `want` (none: NXDOMAIN); returns when. */
async function waitForDns (daemons: TestDaemon[], name: string, want: string[], timeoutMs = 30_000): Promise<number> {
  const sorted = [...want].sort()
  await waitFor(`the DNS servers of ${daemons.map((d) => d.name).join(', ')} to answer ${name} with [${sorted.join(', ')}]`, async () => {
    const answers = await Promise.all(daemons.map(async (d) => await srv((await api<{ dns: string }>(d, '/status')).body.dns, name)))
    return answers.every((a) => sorted.length === 0 ? a.rcode === 3 && a.answers.length === 0 : a.rcode === 0 && a.answers.join() === sorted.join())
  }, timeoutMs, 100)
  return Date.now()
}

/** The value of `key` on `d` (API), or undefined when it has none. */
async function kvGet (d: TestDaemon, key: string): Promise<KvEntry | undefined> {
  const { status, body } = await api<KvEntry>(d, `/kv/${encodeURIComponent(key)}`)
  if (status === 404) return undefined
  assert.equal(status, 200)
  return body
}

/** `weft kv get KEY --json` on `d`, or undefined when the CLI says NOT_FOUND. */
async function cliKvGet (d: TestDaemon, key: string): Promise<KvEntry | undefined> {
  const r = await d.cli(['kv', 'get', key, '--json'])
  if (r.code === 0) return JSON.parse(r.stdout) as KvEntry
  assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'NOT_FOUND', r.stderr)
  return undefined
}

/** Waits until every daemon holds `key` at one version (and `check` holds), confirmed by `weft kv get`; returns the entry and when. */
async function waitForKv (daemons: TestDaemon[], key: string, timeoutMs = 30_000, check: (e: KvEntry) => boolean = () => true): Promise<KvEntry & { at: number }> {
  const same = (entries: Array<KvEntry | undefined>): KvEntry | undefined => {
    const [first] = entries
    return first !== undefined && check(first) && entries.every((e) => e?.version === first.version && e.base64 === first.base64) ? first : undefined
  }
  await waitFor(`every daemon to hold ${key} at one version`, async () => same(await Promise.all(daemons.map(async (d) => await kvGet(d, key)))), timeoutMs, 100)
  const at = Date.now()
  const listed = same(await Promise.all(daemons.map(async (d) => await cliKvGet(d, key))))
  assert.ok(listed !== undefined, `weft kv get ${key} shows one version on ${daemons.map((d) => d.name).join(', ')}`)
  return { ...listed, at }
}

/** Orders two KV versions (`ms-counter-device`) as the store does: negative when a is older. */
function compareVersions (a: string, b: string): number {
  const [am = 0, ac = 0] = a.split('-').map(Number)
  const [bm = 0, bc = 0] = b.split('-').map(Number)
  const ad = a.split('-')[2] ?? ''
  const bd = b.split('-')[2] ?? ''
  return am - bm || ac - bc || (ad < bd ? -1 : ad > bd ? 1 : 0)
}

/** The daemon's catalog counters (`GET /api/v1/catalog/stats`). */
async function catalogStats (d: TestDaemon): Promise<CatalogStats> {
  const { url, token } = await d.apiAccess()
  const response = await fetch(`${url}/api/v1/catalog/stats`, { headers: { authorization: `Bearer ${token}` } })
  assert.equal(response.status, 200)
  return await response.json() as CatalogStats
}

/** Sums a per-network counter over the networks of `stats`. */
function sum (stats: CatalogStats, key: 'malformedPackets' | 'unknownMemberMessages'): number {
  return Object.values(stats.networks).reduce((n, s) => n + s[key], 0)
}

/** Listens on 127.0.0.1:`port` (0: any). */
async function listen (server: Server | HttpServer, port = 0): Promise<number> {
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

/** Prints a measurement (information only, never asserted). */
function report (t: TestContext, line: string): void {
  t.diagnostic(line)
}

describe('service catalog and membership between five daemons', () => {
  let testnet: Testnet
  let alpha: TestDaemon
  let bravo: TestDaemon
  let charlie: TestDaemon
  let delta: TestDaemon
  let echo: TestDaemon
  let all: TestDaemon[]
  const faults = { WEFT_TEST_FAULTS: 'gossip-partition' }
  const allAlive = { alpha: 'alive', bravo: 'alive', charlie: 'alive', delta: 'alive', echo: 'alive' } as const
  let formed = 0

  before(async () => {
    // Every daemon can be cut off (the fault is inert until its block file exists).
    testnet = await startTestnet(5, { names: ['alpha', 'bravo', 'charlie', 'delta', 'echo'], env: faults })
    all = testnet.daemons
    ;[alpha, bravo, charlie, delta, echo] = all as [TestDaemon, TestDaemon, TestDaemon, TestDaemon, TestDaemon]
    await formNetwork(all, net)
    formed = Date.now()
    for (const d of all) await waitForOnline(d, all.filter((o) => o !== d).map((o) => o.deviceId), 30_000)
  })
  after(async () => {
    await testnet.stop()
  })

  it('every daemon sees every member alive', async (t) => {
    const at = await waitForStates(all, allAlive)
    report(t, `all five alive on all five ${seconds(formed, at)} after the network was formed`)
    for (const d of all) {
      const rows = await d.json<Member[]>(['members'])
      assert.deepEqual(rows.map((m) => m.name).sort(), ['alpha', 'bravo', 'charlie', 'delta', 'echo'], `${d.name} lists the five members`)
      assert.deepEqual(rows.filter((m) => m.self).map((m) => m.name), [d.name], `${d.name} marks itself`)
      assert.ok(rows.every((m) => m.networkName === net && Number.isInteger(m.incarnation)), 'network and incarnation')
      assert.deepEqual(rows.map((m) => m.deviceId).sort(), all.map((o) => o.deviceId).sort())
    }
  })

  it('HTTP and TCP checks put instances in and out of the catalog and DNS', async (t) => {
    const http = createHttpServer((req, res) => { res.writeHead(req.url === '/health' ? 200 : 404).end('ok\n') })
    const tcp = createServer((socket) => { socket.end() })
    const httpPort = await listen(http)
    const tcpPort = await listen(tcp)
    try {
      await alpha.json(['catalog', 'register', 'web', '--port', String(httpPort), '--check-http', `http://127.0.0.1:${httpPort}/health`, '--interval', '1s', '--timeout', '1s', '--tag', 'http'])
      await bravo.json(['catalog', 'register', 'web', '--port', String(tcpPort), '--check-tcp', `127.0.0.1:${tcpPort}`, '--interval', '1s', '--timeout', '1s', '--tag', 'tcp'])
      const both = [`alpha.${net}.weft:${httpPort}`, `bravo.${net}.weft:${tcpPort}`]
      const name = `web.service.${net}.weft`
      await waitForStatus(all, 'web', 'alpha', 'passing')
      await waitForStatus(all, 'web', 'bravo', 'passing')
      await waitForDns(all, name, both)
      const tagged = await delta.json<Instance[]>(['catalog', 'ls', '--tag', 'tcp'])
      assert.deepEqual(tagged.map((i) => [i.name, i.deviceName, i.port, i.address]), [['web', 'bravo', tcpPort, '127.0.0.1']], 'the tag filter')

      let t0 = Date.now()
      http.close()
      http.closeAllConnections()
      const [down, outOfDns] = await Promise.all([waitForStatus(all, 'web', 'alpha', 'critical'), waitForDns(all, name, [both[1] as string])])
      report(t, `HTTP listener closed: alpha's web critical on all five after ${seconds(t0, down.at)} and out of every DNS server's answers after ${seconds(t0, outOfDns)} (stated bound: the check's interval plus its timeout, 2 s, on the owner, then one catalog push to the others; output ${JSON.stringify(down.instances[0]?.output.split('\n')[0])})`)
      const healthy = await charlie.json<Instance[]>(['catalog', 'ls', '--name', 'web', '--health', 'healthy'])
      assert.deepEqual(healthy.map((i) => i.deviceName), ['bravo'], '--health healthy lists only the passing instance')
      const critical = await charlie.json<Instance[]>(['catalog', 'ls', '--health', 'critical'])
      assert.deepEqual(critical.map((i) => i.deviceName), ['alpha'], '--health critical lists the failing one')

      t0 = Date.now()
      tcp.close()
      const [, nx] = await Promise.all([waitForStatus(all, 'web', 'bravo', 'critical'), waitForDns(all, name, [])])
      report(t, `TCP listener closed: no healthy web left, NXDOMAIN on every DNS server after ${seconds(t0, nx)}`)

      t0 = Date.now()
      await listen(http, httpPort)
      await listen(tcp, tcpPort)
      report(t, `listeners reopened: both instances back in every DNS server after ${seconds(t0, await waitForDns(all, name, both))}`)
      await waitForStatus(all, 'web', 'alpha', 'passing')
      await waitForStatus(all, 'web', 'bravo', 'passing')
    } finally {
      http.close()
      http.closeAllConnections()
      tcp.close()
    }
  })

  it('a TTL check passes while the service checks in and goes critical when it stops', async (t) => {
    await charlie.json(['catalog', 'register', 'beat', '--port', '7070', '--check-ttl', '3s'])
    const [first] = await charlie.json<Instance[]>(['catalog', 'ls', '--name', 'beat'])
    assert.equal(first?.status, 'critical', 'critical until the first check-in')
    assert.match(first?.output ?? '', /no check-in yet/)
    // The first check-in by CLI; then the service checks in every second through the API (a
    // CLI run can take a second or more on a busy machine, a good part of the TTL).
    const checkedIn = await charlie.cli(['catalog', 'check-in', 'beat', '--note', 'all good'])
    assert.equal(checkedIn.code, 0, checkedIn.stderr)
    assert.equal(checkedIn.stdout, 'beat: passing\n')
    let beating = true
    let reportAs = { status: 'passing', note: 'all good' }
    let last = Date.now()
    const heart = (async () => {
      while (beating) {
        await new Promise((resolve) => setTimeout(resolve, 1000))
        assert.equal(await apiPost(charlie, '/catalog/services/beat/check-in', reportAs), 200)
        last = Date.now()
      }
    })()
    try {
      await waitForStatus(all, 'beat', 'charlie', 'passing')
      // Keep checking in for more than twice the TTL: it stays passing everywhere.
      const until = Date.now() + 7000
      while (Date.now() < until) {
        for (const d of all) {
          const [i] = await instancesOf(d, 'beat')
          assert.equal(i?.status, 'passing', `${d.name} sees beat passing while charlie checks in`)
          assert.equal(i?.output, 'all good')
        }
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
      reportAs = { status: 'warning', note: 'queue 90% full' }
      const warning = await charlie.cli(['catalog', 'check-in', 'beat', '--status', 'warning', '--note', reportAs.note])
      assert.equal(warning.code, 0, warning.stderr)
      const warned = await waitForStatus(all, 'beat', 'charlie', 'warning')
      assert.ok(warned.instances.every((i) => i.output === 'queue 90% full'), 'the note travels with the status')
    } finally {
      beating = false
      await heart
    }
    const expired = await waitForStatus(all, 'beat', 'charlie', 'critical')
    report(t, `TTL 3 s: critical on all five ${seconds(last, expired.at)} after the last check-in (expiry is looked for once a second)`)
    assert.match(expired.instances[0]?.output ?? '', /TTL expired/)
    const missing = await charlie.cli(['catalog', 'check-in', 'nosuch'])
    assert.notEqual(missing.code, 0, 'checking in for an unknown service fails')
    const noTtl = await bravo.cli(['catalog', 'check-in', 'web'])
    assert.notEqual(noTtl.code, 0, 'checking in for a service without a TTL check fails')
    assert.match(noTtl.stderr, /no TTL check/)
  })

  it('KV: concurrent writes converge, stale check-and-set and oversized values are refused, values survive a restart', async (t) => {
    // Concurrent writes of the same keys on two daemons: every member ends with the later stamp.
    const keys = ['color', 'shape', 'size']
    const writes = await Promise.all(keys.flatMap((key) => [
      alpha.json<KvEntry>(['kv', 'put', key, `${key} from alpha`]),
      bravo.json<KvEntry>(['kv', 'put', key, `${key} from bravo`])
    ]))
    const t0 = Date.now()
    const converged = await Promise.all(keys.map(async (key, i) => {
      const [a, b] = [writes[2 * i], writes[2 * i + 1]] as [KvEntry, KvEntry]
      const winner = compareVersions(a.version, b.version) > 0 ? a : b
      const e = await waitForKv(all, key, 30_000, (x) => x.version === winner.version)
      assert.equal(e.value, winner.value, `${key}: the later version's value everywhere`)
      return e.at
    }))
    report(t, `concurrent puts of 3 keys on alpha and bravo: the later of each pair everywhere ${seconds(t0, Math.max(...converged))} after all six CLI runs returned`)

    // Check-and-set.
    const v1 = await alpha.json<KvEntry>(['kv', 'put', 'conf', 'one'])
    await waitForKv(all, 'conf', 30_000, (e) => e.version === v1.version)
    const v2 = await bravo.json<KvEntry>(['kv', 'put', 'conf', 'two', '--cas', v1.version])
    await waitForKv(all, 'conf', 30_000, (e) => e.version === v2.version)
    const stale = await alpha.cli(['kv', 'put', 'conf', 'three', '--cas', v1.version, '--json'])
    assert.notEqual(stale.code, 0, 'a stale check-and-set exits non-zero')
    assert.equal((JSON.parse(stale.stdout) as { error: { code: string } }).error.code, 'VERSION_MISMATCH')
    const staleText = await alpha.cli(['kv', 'put', 'conf', 'three', '--cas', v1.version])
    assert.notEqual(staleText.code, 0)
    assert.match(staleText.stderr, new RegExp(`version ${v2.version}, not ${v1.version}`), 'the error names both versions')
    const exists = await alpha.cli(['kv', 'put', 'conf', 'three', '--cas', '0'])
    assert.notEqual(exists.code, 0, '--cas 0 refuses an existing key')
    assert.match(exists.stderr, /key exists/)
    const created = await alpha.cli(['kv', 'put', 'fresh', 'new', '--cas', '0'])
    assert.equal(created.code, 0, created.stderr)
    assert.equal((await waitForKv(all, 'conf')).value, 'two', 'refused writes changed nothing')

    // Size limit: 512 KiB is the largest value.
    const biggest = randomBytes(512 * 1024)
    await writeFile(join(alpha.home, 'biggest.bin'), biggest)
    await writeFile(join(alpha.home, 'too-big.bin'), randomBytes(512 * 1024 + 1))
    const tooBig = await alpha.cli(['kv', 'put', 'blob', '--file', join(alpha.home, 'too-big.bin')])
    assert.notEqual(tooBig.code, 0, 'a value over 512 KiB is refused')
    assert.match(tooBig.stderr, /512 KiB/)
    assert.equal(await kvGet(alpha, 'blob'), undefined)
    const put = await alpha.json<KvEntry>(['kv', 'put', 'blob', '--file', join(alpha.home, 'biggest.bin')])
    const blob = await waitForKv(all, 'blob', 30_000, (e) => e.version === put.version)
    assert.equal(blob.base64, biggest.toString('base64'), 'a 512 KiB binary value replicates intact')
    assert.equal(blob.size, 512 * 1024)

    // Restart: delta stops cleanly (left), misses a put and a delete, comes back with its values.
    const held = await Promise.all(['color', 'conf', 'blob'].map(async (k) => await kvGet(delta, k)))
    assert.equal(await delta.stop(), 0)
    await waitForStates([alpha, bravo, charlie, echo], { delta: 'left' }, 30_000)
    await alpha.json(['kv', 'put', 'while-down', 'you missed this'])
    await bravo.json(['kv', 'del', 'fresh'])
    const restarted = Date.now()
    await delta.start(faults)
    const kept = await Promise.all(['color', 'conf', 'blob'].map(async (k) => await cliKvGet(delta, k)))
    assert.ok(kept.every((e) => e !== undefined), 'delta kept its values')
    assert.deepEqual(kept.map((e) => e?.version), held.map((e) => e?.version), 'at the versions it held')
    const [rejoined, missed] = await Promise.all([
      waitForStates(all, allAlive),
      waitForKv(all, 'while-down', 60_000),
      waitFor('delta to learn of the delete', async () => await kvGet(delta, 'fresh') === undefined, 60_000, 100)
    ])
    assert.equal(await cliKvGet(delta, 'fresh'), undefined)
    report(t, `delta restarted: alive on all five ${seconds(restarted, rejoined)} and holding the put made while it was down ${seconds(restarted, missed.at)} after its start began`)
  })

  it('a member cut off by a partition is declared dead, and after healing all views and the catalog converge', async (t) => {
    const others = [alpha, bravo, charlie, echo]
    await waitForStates(all, allAlive)
    const t0 = Date.now()
    await writeFile(join(delta.home, blockFile), others.map((d) => d.deviceId).join('\n') + '\n')
    for (const d of others) await writeFile(join(d.home, blockFile), delta.deviceId + '\n')
    report(t, `partition: delta suspected by the other four after ${seconds(t0, await waitForStates(others, { delta: ['suspect', 'dead'] }))}`)
    report(t, `  ...and dead on all four after ${seconds(t0, await waitForStates(others, { alpha: 'alive', bravo: 'alive', charlie: 'alive', delta: 'dead', echo: 'alive' }))}`)
    // Alone, delta's own probes slow down (Lifeguard's local health); its view is shown, not awaited.
    report(t, `  delta's own view then: ${JSON.stringify(await view(delta))}`)
    assert.ok((await catalogStats(delta)).transport.faultDropped > 0, 'the fault dropped delta\'s gossip')

    // Changes on both sides of the partition.
    await alpha.json(['kv', 'put', 'during', 'written on the majority side'])
    await delta.json(['kv', 'put', 'from-delta', 'written on the island'])
    await delta.json(['catalog', 'register', 'island', '--port', '4040'])
    await alpha.json(['catalog', 'deregister', 'web'])
    await new Promise((resolve) => setTimeout(resolve, 2000))
    assert.equal(await kvGet(delta, 'during'), undefined, 'nothing crosses the partition')
    assert.equal(await kvGet(alpha, 'from-delta'), undefined, 'in either direction')
    assert.deepEqual(await instancesOf(alpha, 'island'), [], 'delta\'s new service is not seen across the partition')
    assert.equal((await instancesOf(delta, 'web')).filter((i) => i.deviceName === 'alpha').length, 1, 'delta still lists alpha\'s web')

    const healed = Date.now()
    await Promise.all(all.map(async (d) => { await rm(join(d.home, blockFile), { force: true }) }))
    report(t, `healed: all five alive on all five ${seconds(healed, await waitForStates(all, allAlive, 150_000))} after the block lists were removed`)
    const [during, fromDelta, island, dns] = await Promise.all([
      waitForKv(all, 'during', 60_000),
      waitForKv(all, 'from-delta', 60_000),
      waitForStatus(all, 'island', 'delta', 'passing', 60_000),
      waitForDns(all, `island.service.${net}.weft`, [`delta.${net}.weft:4040`], 60_000),
      waitFor('delta to drop alpha\'s deregistered web', async () => (await instancesOf(delta, 'web')).every((i) => i.deviceName !== 'alpha'), 60_000, 100)
    ])
    const kv = Math.max(during.at, fromDelta.at)
    report(t, `  ...KV writes of both sides everywhere after ${seconds(healed, kv)}, delta's new service in every catalog after ${seconds(healed, island.at)} and in every DNS server after ${seconds(healed, dns)}`)
  })

  it('a killed member is declared dead everywhere and its services leave the healthy set; a stopped one is left', async (t) => {
    await charlie.json(['catalog', 'register', 'cache', '--port', '6379'])
    await waitForStatus(all, 'cache', 'charlie', 'passing')
    await waitForDns(all, `cache.service.${net}.weft`, [`charlie.${net}.weft:6379`])
    const survivors = [alpha, bravo, delta, echo]
    let t0 = Date.now()
    await charlie.kill()
    report(t, `SIGKILL: charlie suspected by the other four after ${seconds(t0, await waitForStates(survivors, { charlie: ['suspect', 'dead'] }))}`)
    const [dead, gone] = await Promise.all([
      waitForStates(survivors, { alpha: 'alive', bravo: 'alive', charlie: 'dead', delta: 'alive', echo: 'alive' }),
      waitForDns(survivors, `cache.service.${net}.weft`, [], 60_000)
    ])
    // The detection bound of the default parameters for five members: charlie probed within a
    // round of five probes, a probe interval, the longest suspicion timeout (params.ts).
    const bound = detectionBoundMs(defaultSwimParams, all.length)
    report(t, `  ...dead on all four after ${seconds(t0, dead)} (bound from the parameters: ${bound / 1000} s, ${dead - t0 <= bound ? 'within it' : 'BEYOND it'}), its service out of every DNS server after ${seconds(t0, gone)}`)
    for (const d of survivors) {
      const [cache] = await d.json<Instance[]>(['catalog', 'ls', '--name', 'cache'])
      assert.equal(cache?.memberState, 'dead', `${d.name} shows the instance's member as dead`)
      assert.equal(cache?.healthy, false, `${d.name} no longer counts it healthy`)
      assert.deepEqual(await d.json<Instance[]>(['catalog', 'ls', '--name', 'cache', '--health', 'healthy']), [])
    }

    t0 = Date.now()
    assert.equal(await bravo.stop(), 0, 'bravo stops cleanly')
    report(t, `SIGTERM: bravo left on alpha, delta and echo ${seconds(t0, await waitForStates([alpha, delta, echo], { alpha: 'alive', bravo: 'left', charlie: 'dead', delta: 'alive', echo: 'alive' }))} after the signal`)
  })

  it('garbage gossip from a member is dropped and counted; receivers stay up and their views correct', async (t) => {
    const receivers = [alpha, delta, echo]
    const baseline = await Promise.all(receivers.map(catalogStats))
    const t0 = Date.now()
    // charlie comes back from its crash, now sending garbage to every member once a second.
    await charlie.start({ WEFT_TEST_FAULTS: 'gossip-garbage' })
    assert.match(charlie.output, /gossip-garbage/, 'the daemon announces the fault')
    const expected = { alpha: 'alive', bravo: 'left', charlie: 'alive', delta: 'alive', echo: 'alive' } as const
    report(t, `charlie restarted after its crash: alive on alpha, charlie, delta and echo after ${seconds(t0, await waitForStates([alpha, charlie, delta, echo], expected))}`)
    const counted = await waitFor('the receivers to count garbage of every kind', async () => {
      const now = await Promise.all(receivers.map(catalogStats))
      return now.every((s, i) => {
        const b = baseline[i] as CatalogStats
        return sum(s, 'malformedPackets') - sum(b, 'malformedPackets') >= 30 && sum(s, 'unknownMemberMessages') > sum(b, 'unknownMemberMessages') &&
          s.transport.malformed > b.transport.malformed + 3 && s.transport.fromNonMembers > b.transport.fromNonMembers + 3
      }) ? now : undefined
    }, 60_000, 500)
    for (const [i, d] of receivers.entries()) {
      const s = counted[i] as CatalogStats
      const b = baseline[i] as CatalogStats
      const awareness = (x: CatalogStats): string => Object.values(x.networks).map((n) => n.awareness).join()
      report(t, `${d.name} dropped ${sum(s, 'malformedPackets') - sum(b, 'malformedPackets')} malformed packets, ${s.transport.malformed - b.transport.malformed} bad frames, ${s.transport.fromNonMembers - b.transport.fromNonMembers} frames for a foreign network, ${sum(s, 'unknownMemberMessages') - sum(b, 'unknownMemberMessages')} messages about non-members (Lifeguard awareness ${awareness(b)} before, ${awareness(s)} now)`)
    }
    // Under garbage for several more seconds: nobody is declared dead or left (a passing
    // suspicion, from an ack late on a busy machine, is SWIM at work and is only counted).
    const until = Date.now() + 6000
    let samples = 0
    let suspicions = 0
    while (Date.now() < until) {
      for (const v of await Promise.all([alpha, charlie, delta, echo].map(view))) {
        samples++
        const relaxed = Object.fromEntries(Object.entries(v).map(([name, state]) => [name, state === 'suspect' ? 'alive' : state]))
        assert.deepEqual(relaxed, expected)
        if (Object.values(v).includes('suspect')) suspicions++
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    report(t, `${samples} views sampled under garbage, ${suspicions} with a suspicion in them`)
    await waitForStates([alpha, charlie, delta, echo], expected)
    await delta.json(['kv', 'put', 'after-garbage', 'still replicating'])
    await waitForKv([alpha, charlie, delta, echo], 'after-garbage')
    await waitForStatus([alpha, delta, echo], 'cache', 'charlie', 'passing')
    await waitForDns([alpha, charlie, delta, echo], `cache.service.${net}.weft`, [`charlie.${net}.weft:6379`])
    for (const d of receivers) assert.equal((await d.cli(['status'])).code, 0, `${d.name} still answers`)
  })
})
