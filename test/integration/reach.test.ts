/**
 * Service reach between real daemons, checked with clients nobody here wrote: curl through a
 * member's stable address and through the SOCKS5 proxy to an HTTP server exposed on another
 * daemon, dig against the DNS server, a TCP echo with 100 concurrent connections through one
 * forward, and a member outside `--allow` refused by the serving daemon.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer as createHttpServer } from 'node:http'
import type { Server as HttpServer } from 'node:http'
import { connect, createServer } from 'node:net'
import { createSocket } from 'node:dgram'
import type { AddressInfo, Server } from 'node:net'
import { once } from 'node:events'
import { createHash, randomBytes } from 'node:crypto'
import { startTestnet, formNetwork, waitForOnline, waitFor, weftBin } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'
import type { DoctorReport } from '../../src/features/doctor.js'
import { reachProtocol } from '../../src/features/reach/protocol.js'

interface Remote { deviceName: string, name: string, port: number, address: string | null }

async function run (command: string, args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return await new Promise((resolve) => {
    execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

async function have (command: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${command}`])).code === 0
}

/** Sends `data` over a new TCP connection and returns everything read until the server closes. */
async function echoOnce (port: number, data: Buffer): Promise<Buffer> {
  const socket = connect({ host: '127.0.0.1', port })
  await once(socket, 'connect')
  socket.end(data)
  const parts: Buffer[] = []
  for await (const chunk of socket) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

describe('service reach', () => {
  let net: Testnet
  let alpha: TestDaemon
  let bravo: TestDaemon
  let charlie: TestDaemon
  let http: HttpServer
  let echo: Server
  let httpPort = 0
  let echoPort = 0
  const forwards: ChildProcess[] = []
  before(async () => {
    http = createHttpServer((req, res) => { res.end(`hello from alpha: ${req.url ?? ''}\n`) })
    http.listen(0, '127.0.0.1')
    await once(http, 'listening')
    httpPort = (http.address() as AddressInfo).port
    echo = createServer((socket) => { socket.pipe(socket) })
    echo.listen(0, '127.0.0.1')
    await once(echo, 'listening')
    echoPort = (echo.address() as AddressInfo).port
    net = await startTestnet(3, { names: ['alpha', 'bravo', 'charlie'] })
    ;[alpha, bravo, charlie] = net.daemons as [TestDaemon, TestDaemon, TestDaemon]
    await formNetwork([alpha, bravo, charlie], 'home')
    await waitForOnline(bravo, [alpha.deviceId, charlie.deviceId])
    await waitForOnline(charlie, [alpha.deviceId, bravo.deviceId])
    await alpha.json(['expose', String(httpPort), '--name', 'web', '--allow', 'bravo'])
    await alpha.json(['expose', String(echoPort), '--name', 'echo'])
  })
  after(async () => {
    for (const f of forwards) f.kill('SIGKILL')
    await net.stop()
    http.close()
    echo.close()
  })

  it('members see the services exposed to them, and only those', async () => {
    const seen = await waitFor('bravo sees web and echo', async () => {
      const list = await bravo.json<{ remote: Remote[] }>(['services', 'ls'])
      return list.remote.length === 2 && list.remote.every((s) => s.address !== null) ? list.remote : undefined
    }, 20_000, 200)
    assert.deepEqual(seen.map((s) => [s.deviceName, s.name, s.port]).sort(), [['alpha', 'echo', echoPort], ['alpha', 'web', httpPort]])
    const forCharlie = await waitFor('charlie sees echo', async () => {
      const list = await charlie.json<{ remote: Remote[] }>(['services', 'ls'])
      return list.remote.length > 0 ? list.remote : undefined
    }, 20_000, 200)
    assert.deepEqual(forCharlie.map((s) => s.name), ['echo'], 'web is not listed for a member outside --allow')
  })

  it('curl reaches the service at the member\'s stable address', async (t) => {
    if (!await have('curl')) return t.skip('curl is not installed')
    const web = (await bravo.json<{ remote: Remote[] }>(['services', 'ls'])).remote.find((s) => s.name === 'web')
    assert.ok(web?.address !== null && web?.address !== undefined)
    const result = await run('curl', ['-sS', '--max-time', '20', `http://${web.address}/stable`])
    assert.equal(result.stdout, 'hello from alpha: /stable\n', result.stderr)
  })

  it('curl reaches the service through the SOCKS5 proxy by name', async (t) => {
    if (!await have('curl')) return t.skip('curl is not installed')
    const { socks } = await bravo.json<{ socks: string }>(['status'])
    const result = await run('curl', ['-sS', '--max-time', '20', '--socks5-hostname', socks, `http://alpha.home.weft:${httpPort}/socks`])
    assert.equal(result.stdout, 'hello from alpha: /socks\n', result.stderr)
    const unknown = await run('curl', ['-sS', '--max-time', '20', '--socks5-hostname', socks, `http://nobody.home.weft:${httpPort}/`])
    assert.notEqual(unknown.code, 0, 'an unknown member is refused')
  })

  it('a member outside --allow is refused by the serving daemon', async (t) => {
    if (!await have('curl')) return t.skip('curl is not installed')
    const { socks } = await charlie.json<{ socks: string }>(['status'])
    // charlie has no listing for web: a forward to it is refused on charlie's side at once...
    const refused = await charlie.cli(['forward', 'alpha:web', '127.0.0.1:0'])
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /alpha exposes no service "web" to this device \(it exposes: echo; see weft services ls\)/)
    // ...and forced, alpha's daemon refuses every connection.
    const forward = spawn(process.execPath, [weftBin, 'forward', 'alpha:web', '127.0.0.1:0', '--force', '--home', charlie.home, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    forwards.push(forward)
    const [line] = await once(forward.stdout, 'data') as [Buffer]
    const listen = (JSON.parse(line.toString()) as { listen: string }).listen
    const result = await run('curl', ['-sS', '--max-time', '20', `http://${listen}/`])
    assert.notEqual(result.code, 0)
    assert.equal(result.stdout, '')
    const viaSocks = await run('curl', ['-sS', '--max-time', '20', '--socks5-hostname', socks, `http://alpha.home.weft:${httpPort}/`])
    assert.notEqual(viaSocks.code, 0)
    forward.kill('SIGINT')
    await once(forward, 'exit')
  })

  it('one forward carries 100 concurrent echo connections', async () => {
    const forward = spawn(process.execPath, [weftBin, 'forward', 'alpha:echo', '127.0.0.1:0', '--home', bravo.home, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    forwards.push(forward)
    const [line] = await once(forward.stdout, 'data') as [Buffer]
    const listen = (JSON.parse(line.toString()) as { listen: string }).listen
    const port = Number(listen.split(':').pop())
    const payloads = Array.from({ length: 100 }, (_, i) => randomBytes(1000 + i * 997))
    const echoed = await Promise.all(payloads.map(async (p) => await echoOnce(port, p)))
    for (const [i, p] of payloads.entries()) assert.ok(echoed[i]?.equals(p), `connection ${i} echoed its bytes`)
    // Members on one machine are on a direct path: connections get direct streams of their
    // own, as many as are being dialled at once allows (the rest share the mesh connection),
    // and one after another, every one.
    const [before, serverBefore] = (await Promise.all([bravo.json<DoctorReport>(['doctor']), alpha.json<DoctorReport>(['doctor'])])).map((r) => r.direct) as [DoctorReport['direct'], DoctorReport['direct']]
    assert.ok(before.opened > 0, `bravo opened direct streams: ${JSON.stringify(before)}`)
    for (const p of payloads.slice(0, 5)) assert.ok((await echoOnce(port, p)).equals(p))
    const [client, server] = await Promise.all([bravo.json<DoctorReport>(['doctor']), alpha.json<DoctorReport>(['doctor'])])
    // Counted for service reach alone: folder sync opens direct connections of its own.
    const reachOf = (d: DoctorReport['direct']): { opened: number, accepted: number } => d.byProtocol[reachProtocol] ?? { opened: 0, accepted: 0 }
    assert.equal(reachOf(client.direct).opened - reachOf(before).opened, 5, `five connections in a row, five direct streams: ${JSON.stringify(client.direct)}`)
    assert.equal(reachOf(server.direct).accepted - reachOf(serverBefore).accepted, 5, 'alpha accepted each one')
    assert.equal(server.direct.refused, 0)
    forward.kill('SIGINT')
    await once(forward, 'exit')
    const left = await bravo.json<unknown[]>(['forwards']).catch(() => null)
    if (left !== null) assert.deepEqual(left, [], 'the forward was removed when the command stopped')
  })

  it('a pipe carries 100 MiB from one member to another (the reading end starts first)', async () => {
    const reader = spawn(process.execPath, [weftBin, 'pipe', 'backup', '--home', bravo.home], { stdio: ['ignore', 'pipe', 'pipe'] })
    forwards.push(reader)
    const received = createHash('sha256')
    let receivedBytes = 0
    reader.stdout.on('data', (d: Buffer) => { received.update(d); receivedBytes += d.length })
    await new Promise((resolve) => setTimeout(resolve, 500))
    const readerExit = once(reader, 'exit')
    const writer = spawn(process.execPath, [weftBin, 'pipe', 'backup', '--home', alpha.home], { stdio: ['pipe', 'ignore', 'pipe'] })
    forwards.push(writer)
    const writerExit = once(writer, 'exit')
    const sent = createHash('sha256')
    const block = randomBytes(1024 * 1024)
    for (let i = 0; i < 100; i++) {
      block.writeUInt32BE(i, 0) // every MiB differs
      sent.update(block)
      if (!writer.stdin.write(Buffer.from(block))) await once(writer.stdin, 'drain')
    }
    writer.stdin.end()
    const [readerCode] = await readerExit as [number]
    const [writerCode] = await writerExit as [number]
    assert.equal(readerCode, 0)
    assert.equal(writerCode, 0)
    assert.equal(receivedBytes, 100 * 1024 * 1024)
    assert.equal(received.digest('hex'), sent.digest('hex'))
  })

  it('a UDP service answers datagrams at the member\'s stable address', async () => {
    const server = createSocket('udp4')
    server.on('message', (msg, rinfo) => { server.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address) })
    server.bind(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      await alpha.json(['expose', String(server.address().port), '--name', 'game', '--udp'])
      const game = await waitFor('bravo sees the UDP service', async () => {
        const list = await bravo.json<{ remote: Array<Remote & { udp: boolean }> }>(['services', 'ls'])
        return list.remote.find((s) => s.name === 'game' && s.udp && s.address !== null)
      }, 20_000, 200)
      const [host = '', port = ''] = game.address?.split(':') ?? []
      const client = createSocket('udp4')
      const answers: string[] = []
      client.on('message', (msg) => { answers.push(msg.toString()) })
      for (let i = 0; i < 5; i++) client.send(`ping ${i}`, Number(port), host)
      await waitFor('five echoes', () => answers.length >= 5, 20_000, 50)
      assert.deepEqual(answers.sort(), [0, 1, 2, 3, 4].map((i) => `echo:ping ${i}`))
      client.close()
    } finally {
      server.close()
    }
  })

  it('garbage sent to the DNS server and the SOCKS proxy is refused without harm', async () => {
    const { dns, socks } = await bravo.json<{ dns: string, socks: string }>(['status'])
    const [dnsHost = '', dnsPort = ''] = dns.split(':')
    const udp = createSocket('udp4')
    for (let i = 0; i < 50; i++) udp.send(randomBytes(1 + (i * 37) % 600), Number(dnsPort), dnsHost)
    udp.close()
    const [socksHost = '', socksPort = ''] = socks.split(':')
    /** Sends `bytes` to the proxy and returns all it answers before closing. */
    const socksTalk = async (bytes: Buffer): Promise<Buffer> => {
      const socket = connect({ host: socksHost, port: Number(socksPort) })
      await once(socket, 'connect')
      socket.write(bytes)
      const parts: Buffer[] = []
      socket.on('data', (d: Buffer) => parts.push(d))
      await Promise.race([once(socket, 'close'), new Promise((resolve) => setTimeout(resolve, 3000))])
      socket.destroy()
      return Buffer.concat(parts)
    }
    assert.equal((await socksTalk(Buffer.from([4, 1, 0, 80, 127, 0, 0, 1, 0]))).length, 0, 'SOCKS4 is closed without an answer')
    assert.deepEqual([...await socksTalk(Buffer.from([5, 1, 2]))], [5, 0xff], 'no acceptable auth method')
    const bind = await socksTalk(Buffer.from([5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1, 0, 80]))
    assert.equal(bind[3], 7, 'BIND is not supported (reply 7)')
    const ipv6 = await socksTalk(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 4]), Buffer.alloc(16), Buffer.from([0, 80])]))
    assert.equal(ipv6[3], 8, 'IPv6 destinations: address type not supported (reply 8)')
    const outside = await socksTalk(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 3, 11]), Buffer.from('example.com'), Buffer.from([0, 80])]))
    assert.equal(outside[3], 2, 'destinations outside .weft are not allowed (reply 2)')
    assert.equal((await bravo.cli(['status'])).code, 0, 'the daemon still answers')
  })

  it('dig resolves member and service names, and SOCKS5 accepts the same service names', async (t) => {
    if (!await have('dig')) return t.skip('dig is not installed (apt-get install bind9-dnsutils)')
    const { dns } = await bravo.json<{ dns: string }>(['status'])
    const [host = '', port = ''] = dns.split(':')
    const web = (await bravo.json<{ remote: Remote[] }>(['services', 'ls'])).remote.find((s) => s.name === 'web')
    const address = web?.address?.split(':')[0]
    const a = await run('dig', ['+short', '+time=5', '+tries=1', '-p', port, `@${host}`, 'alpha.home.weft', 'A'])
    assert.equal(a.stdout.trim(), address)
    // The catalog checks the exposed service first (a failing check would leave it out): wait for its answer.
    const srv = await waitFor('web.svc.home.weft answers', async () => {
      const r = await run('dig', ['+short', '+time=5', '+tries=1', '-p', port, `@${host}`, 'web.svc.home.weft', 'SRV'])
      return r.stdout.trim() === '' ? undefined : r
    }, 20_000, 200)
    assert.equal(srv.stdout.trim(), `0 1 ${httpPort} alpha.home.weft.`)
    const alias = await run('dig', ['+short', '+time=5', '+tries=1', '-p', port, `@${host}`, 'web.service.home.weft', 'SRV'])
    assert.equal(alias.stdout.trim(), srv.stdout.trim(), 'the older alias gets the same answer')
    if (await have('curl')) {
      // The same names work through SOCKS5: the name picks the service and a member exposing it.
      const { socks } = await bravo.json<{ socks: string }>(['status'])
      for (const name of ['web.svc.home.weft', 'web.service.home.weft']) {
        const viaSocks = await run('curl', ['-sS', '--max-time', '20', '--socks5-hostname', socks, `http://${name}:${httpPort}/by-name`])
        assert.equal(viaSocks.stdout, 'hello from alpha: /by-name\n', `${name} through SOCKS5: ${viaSocks.stderr}`)
      }
      const unknown = await run('curl', ['-sS', '--max-time', '20', '--socks5-hostname', socks, `http://nothing.svc.home.weft:${httpPort}/`])
      assert.notEqual(unknown.code, 0, 'a service nobody exposes is refused')
    }
    const missing = await run('dig', ['+time=5', '+tries=1', '-p', port, `@${host}`, 'nobody.home.weft', 'A'])
    assert.match(missing.stdout, /status: NXDOMAIN/)
  })
})
