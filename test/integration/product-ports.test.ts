/**
 * Several daemons, ports, settings (issue 23), with real `weft` processes:
 * - two homes made with plain `weft init` run at once while default ports are held by this
 *   test (weft picks free ones, at init and again at the second start);
 * - a port the user set that is taken stops `weft daemon` with one line naming the port, the
 *   setting and the command that changes it, and a non-zero exit; flags given to `weft daemon`
 *   on an existing home are written to its config;
 * - `weft config ls|get|set`, daemon stopped and running, with bad keys and values.
 * Daemons here dial nothing (no mDNS, no bootstrap peers); the default homes listen on the
 * wildcard address, as a user's would, and nothing connects to them but this test on loopback.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { createServer } from 'node:net'
import type { AddressInfo, Server } from 'node:net'
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestDaemon, runWeft } from '../../src/testing/index.js'
import type { CliResult } from '../../src/testing/index.js'
import { defaultApiPort, defaultDnsPort } from '../../src/daemon/config.js'

/** Listens on TCP `host:port` (0: any); resolves to the server, or undefined when someone else already holds the port. */
async function holdTcp (port: number, host = '127.0.0.1'): Promise<Server | undefined> {
  const server = createServer()
  return await new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EADDRINUSE') resolve(undefined); else reject(err) })
    server.listen({ port, host, exclusive: true }, () => { resolve(server) })
  })
}

async function holdUdp (port: number, host = '127.0.0.1'): Promise<Socket | undefined> {
  const socket = createSocket('udp4')
  return await new Promise((resolve, reject) => {
    socket.once('error', (err: NodeJS.ErrnoException) => { socket.close(); if (err.code === 'EADDRINUSE') resolve(undefined); else reject(err) })
    socket.bind({ port, address: host, exclusive: true }, () => { resolve(socket) })
  })
}

function portOf (server: Server): number {
  return (server.address() as AddressInfo).port
}

async function config (home: string): Promise<{ api: { port: number }, p2p: { listen: string[] }, reach: { dns: string | null, socks: string | null }, autoPorts: string[] }> {
  return JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as Awaited<ReturnType<typeof config>>
}

/** Asserts a failure printed exactly one line on stderr, with no stack frame. */
function oneLineFailure (r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a failure, got ${r.code}: ${r.stdout}`)
  const lines = r.stderr.split('\n').filter((l) => l !== '')
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`)
  assert.match(lines[0] ?? '', pattern)
  assert.doesNotMatch(r.stderr, /^\s+at /m)
}

/** Options for homes of the tests below that need no default ports. */
const ephemeral = ['--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--dns', '127.0.0.1:0', '--socks', '127.0.0.1:0']

describe('two homes with default ports, defaults held by another program', () => {
  let dir: string
  const daemons: TestDaemon[] = []
  const held: Array<{ close: () => unknown }> = []
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'weft-ports-')) })
  after(async () => {
    await Promise.allSettled(daemons.map(async (d) => await d.stop()))
    for (const h of held) h.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('both run at once, each on free ports written to its config', async () => {
    // Held on the addresses the daemon uses (API: TCP 127.0.0.1; DNS: UDP 127.0.0.1). A port
    // some other program already holds serves the same purpose.
    const api = await holdTcp(defaultApiPort)
    const dns = await holdUdp(defaultDnsPort)
    if (api !== undefined) held.push(api)
    if (dns !== undefined) held.push(dns)
    const [a, b] = [new TestDaemon('a', join(dir, 'a')), new TestDaemon('b', join(dir, 'b'))]
    for (const d of [a, b]) {
      // Plain init, but for mDNS: it would multicast on the machine's real interfaces.
      const r = await runWeft(['init', '--home', d.home, '--name', d.name, '--no-mdns'])
      assert.equal(r.code, 0, r.stderr)
      const c = await config(d.home)
      assert.deepEqual(c.autoPorts, ['api.port', 'p2p.listen', 'reach.dns', 'reach.socks'])
      assert.notEqual(c.api.port, defaultApiPort)
      assert.notEqual(c.reach.dns, `127.0.0.1:${defaultDnsPort}`)
      if (api !== undefined) assert.match(r.stdout, new RegExp(`port ${defaultApiPort} \\(api\\.port\\) is in use: using \\d+ instead`))
    }
    daemons.push(a, b)
    await a.start()
    await b.start() // b's ports, the same as a's at init, are taken by a now: b moves them
    const [sa, sb] = [await a.json<{ api: string, pid: number }>(['status']), await b.json<{ api: string, pid: number }>(['status'])]
    assert.notEqual(sa.pid, sb.pid)
    assert.notEqual(sa.api, sb.api)
    const [ca, cb] = [await config(a.home), await config(b.home)]
    assert.equal(sb.api, `http://127.0.0.1:${cb.api.port}`)
    assert.notEqual(ca.p2p.listen.join(), cb.p2p.listen.join())
    assert.notEqual(ca.reach.socks, cb.reach.socks)
    assert.match(b.output, /is in use: using \d+ instead \(written to config\.json\)/)
  })
})

describe('a configured port that is taken', () => {
  let dir: string
  let holder: Server
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-ports-'))
    const server = await holdTcp(0)
    assert.ok(server !== undefined)
    holder = server
  })
  after(async () => {
    holder.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('stops weft daemon with one line naming port, setting and command', async () => {
    const home = join(dir, 'c')
    const port = portOf(holder)
    assert.equal((await runWeft(['init', '--home', home, '--api-port', String(port), ...ephemeral])).code, 0)
    const r = await runWeft(['daemon', '--home', home])
    oneLineFailure(r, new RegExp(`^weft: port ${port} \\(127\\.0\\.0\\.1\\) is in use by another program; it is set by api\\.port: change it with "weft --home ${home} config set api\\.port \\d+"$`))
    // The same for a peer-to-peer port given at init.
    const home2 = join(dir, 'd')
    assert.equal((await runWeft(['init', '--home', home2, '--api-port', '0', '--no-mdns', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--dns', 'off', '--socks', 'off'])).code, 0)
    oneLineFailure(await runWeft(['daemon', '--home', home2]), new RegExp(`port ${port} .* set by p2p\\.listen: change it with "weft --home ${home2} config set p2p\\.listen /ip4/127\\.0\\.0\\.1/tcp/\\d+"$`))
  })

  it('writes flags given to weft daemon on an existing home, or refuses them in one line', async () => {
    const home = join(dir, 'e')
    assert.equal((await runWeft(['init', '--home', home, '--api-port', '0', ...ephemeral])).code, 0)
    oneLineFailure(await runWeft(['daemon', '--home', home, '--api-port', '99999']), /--api-port 99999: expected a port from 0 to 65535/)
    assert.equal((await config(home)).api.port, 0)
    // Written first, then refused at start because the port is taken: both said.
    const r = await runWeft(['daemon', '--home', home, '--socks', `127.0.0.1:${portOf(holder)}`])
    assert.match(r.stdout, new RegExp(`flags written to config\\.json: reach\\.socks = 127\\.0\\.0\\.1:${portOf(holder)} \\(was 127\\.0\\.0\\.1:0\\)`))
    oneLineFailure(r, /set by reach\.socks: change it with/)
    assert.equal((await config(home)).reach.socks, `127.0.0.1:${portOf(holder)}`)
  })
})

describe('weft config ls|get|set', () => {
  let dir: string
  let d: TestDaemon
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-ports-'))
    d = new TestDaemon('f', join(dir, 'f'))
    await d.init()
  })
  after(async () => {
    await d.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('reads and changes settings, daemon stopped or running, and refuses bad keys and values', async () => {
    let r = await d.cli(['config', 'set', 'p2p.relay.enabled', 'true'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^p2p\.relay\.enabled = true \(was false\)\nthe daemon uses it when it starts\n$/)
    assert.equal((await d.cli(['config', 'get', 'p2p.relay.enabled'])).stdout, 'true\n')
    assert.equal((await d.cli(['config', 'set', 'p2p.mdnsIntervalMs', '30s'])).code, 0)
    assert.equal((await d.json<number>(['config', 'get', 'p2p.mdnsIntervalMs'])), 30_000)
    const all = await d.json<{ p2p: { relay: { enabled: boolean } } }>(['config', 'ls'])
    assert.equal(all.p2p.relay.enabled, true)
    assert.match((await d.cli(['config', 'ls'])).stdout, /^api\.port = 0$/m)

    await d.start()
    r = await d.cli(['config', 'set', 'log.level', 'debug'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /log\.level = debug \(was info\)\nrestart the daemon to apply/)
    const setJson = await d.json<{ restartNeeded: boolean, changed: boolean }>(['config', 'set', 'log.level', 'debug'])
    assert.deepEqual([setJson.changed, setJson.restartNeeded], [false, false])

    oneLineFailure(await d.cli(['config', 'get', 'p2p.nope']), /^weft: unknown setting "p2p\.nope"; p2p has: listen, announce, mdns/)
    oneLineFailure(await d.cli(['config', 'set', 'nope', '1']), /^weft: unknown setting "nope"; settings are: version, deviceName, api/)
    oneLineFailure(await d.cli(['config', 'set', 'p2p.dht', 'sometimes']), /^weft: p2p\.dht: .*\(accepted: auto, server, client, off\)$/)
    oneLineFailure(await d.cli(['config', 'set', 'api.port', '70000']), /^weft: api\.port: .*accepted: whole numbers from 0 to 65535/)
    oneLineFailure(await d.cli(['config', 'set', 'p2p.mdnsIntervalMs', 'soon']), /"soon" is not a duration/)
    assert.equal((await d.json<string>(['config', 'get', 'log.level'])), 'debug')
  })
})
