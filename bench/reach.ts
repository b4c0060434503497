/**
 * `npm run bench:reach`: one TCP connection through weft's service reach (a member's stable
 * address on one daemon, the mesh, the serving daemon, the local service) next to the same
 * transfer over plain loopback TCP and TLS 1.3 in the same run, and the time a small
 * request/response round trip takes through it versus directly.
 * Goals (issue 6): at least 50% of the TLS figure; under 0.5 ms added per round trip.
 * Environment: BENCH_ROUNDS (default 3), BENCH_MIB (default 1024), BENCH_PINGS (default 2000).
 */
import { spawn, execFileSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { connect as tcpConnect } from 'node:net'
import type { Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestnet, formNetwork, waitForOnline, waitFor } from '../src/testing/index.js'
import type { TestDaemon } from '../src/testing/index.js'
import type { DoctorReport } from '../src/features/doctor.js'

const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const bytes = Number(process.env.BENCH_MIB ?? 1024) * 1024 * 1024
const pings = Number(process.env.BENCH_PINGS ?? 2000)
const chunk = Buffer.alloc(64 * 1024, 0x5a)

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

async function startSink (mode: 'tcp' | 'tls' | 'echo' | 'tls-entry' | 'tls-exit', certDir: string, target?: number): Promise<{ port: number, child: ChildProcess }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./baseline-sink.js', import.meta.url)), mode, join(certDir, 'cert.pem'), join(certDir, 'key.pem'), String(target ?? 0)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve) => { child.stdout?.once('data', (d: Buffer) => { resolve(Number(d.toString().trim())) }) })
  return { port, child }
}

async function sendOver (socket: Socket): Promise<number> {
  const started = process.hrtime.bigint()
  let left = bytes
  while (left > 0) {
    const n = Math.min(left, chunk.length)
    if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) await once(socket, 'drain')
    left -= n
  }
  socket.end()
  const parts: Buffer[] = []
  for await (const part of socket) parts.push(part as Buffer)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const answer = Buffer.concat(parts)
  if (answer.length !== 8 || Number(answer.readBigUInt64BE(0)) !== bytes) throw new Error('sink did not receive everything')
  return bytes / 1e6 / seconds
}

async function tcpTo (host: string, port: number): Promise<Socket> {
  const socket = tcpConnect({ host, port })
  await once(socket, 'connect')
  return socket
}

async function tlsTo (port: number): Promise<Socket> {
  const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1.3' })
  await once(socket, 'secureConnect')
  return socket
}

/** Median round trip (µs) of a 32-byte request echoed back, `pings` times on one connection. */
async function roundTrips (host: string, port: number): Promise<number> {
  const socket = await tcpTo(host, port)
  socket.setNoDelay(true)
  const probe = Buffer.alloc(32, 1)
  const times: number[] = []
  let pending: ((d: Buffer) => void) | undefined
  let got = 0
  socket.on('data', (d: Buffer) => {
    got += d.length
    if (got >= probe.length) { got -= probe.length; pending?.(d) }
  })
  for (let i = 0; i < pings; i++) {
    const started = process.hrtime.bigint()
    const answered = new Promise<Buffer>((resolve) => { pending = resolve })
    socket.write(probe)
    await answered
    times.push(Number(process.hrtime.bigint() - started) / 1000)
  }
  socket.destroy()
  return median(times)
}

async function main (): Promise<void> {
  const certDir = mkdtempSync(join(tmpdir(), 'weft-bench-cert-'))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=bench', '-days', '1', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' })
  const tcp = await startSink('tcp', certDir)
  const tls = await startSink('tls', certDir)
  const echo = await startSink('echo', certDir)
  // The same four-process shape as reach, without weft: TCP → node:tls relay → node:tls relay → TCP.
  const exit = await startSink('tls-exit', certDir, tcp.port)
  const entry = await startSink('tls-entry', certDir, exit.port)
  const net = await startTestnet(2, { names: ['server', 'client'] })
  try {
    const [server, client] = net.daemons as [TestDaemon, TestDaemon]
    await formNetwork([server, client], 'bench')
    await waitForOnline(client, [server.deviceId])
    await server.json(['expose', String(tcp.port), '--name', 'sink'])
    await server.json(['expose', String(echo.port), '--name', 'echo'])
    const remote = await waitFor('services listed', async () => {
      const list = await client.json<{ remote: Array<{ name: string, address: string | null }> }>(['services', 'ls'])
      return list.remote.length === 2 && list.remote.every((s) => s.address !== null) ? list.remote : undefined
    }, 20_000, 200)
    const addressOf = (name: string): { host: string, port: number } => {
      const [host = '', port = ''] = remote.find((s) => s.name === name)?.address?.split(':') ?? []
      return { host, port: Number(port) }
    }
    const sink = addressOf('sink')
    const echoVia = addressOf('echo')

    const relays = 'two node:tls relays (TCP → TLS → TCP, no weft)'
    const results: Record<string, number[]> = { 'node:net TCP': [], 'node:tls TLS 1.3': [], [relays]: [], 'weft reach (stable address → member\'s service)': [] }
    for (let i = 0; i < rounds; i++) {
      results['node:net TCP']!.push(await sendOver(await tcpTo('127.0.0.1', tcp.port)))
      results['node:tls TLS 1.3']!.push(await sendOver(await tlsTo(tls.port)))
      results[relays]!.push(await sendOver(await tcpTo('127.0.0.1', entry.port)))
      results['weft reach (stable address → member\'s service)']!.push(await sendOver(await tcpTo(sink.host, sink.port)))
    }
    const direct: number[] = []
    const through: number[] = []
    for (let i = 0; i < rounds; i++) {
      direct.push(await roundTrips('127.0.0.1', echo.port))
      through.push(await roundTrips(echoVia.host, echoVia.port))
    }
    const tlsMedian = median(results['node:tls TLS 1.3']!)
    console.log(`\nweft bench:reach — ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`)
    console.log(`one TCP connection, ${bytes / 1024 ** 2} MiB, 64 KiB writes, ${rounds} interleaved rounds (median, range)\n`)
    console.log('| path | MB/s | range | vs TLS |')
    console.log('|---|---|---|---|')
    for (const [name, values] of Object.entries(results)) {
      console.log(`| ${name} | ${median(values).toFixed(0)} | ${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} | ${(median(values) / tlsMedian * 100).toFixed(0)}% |`)
    }
    const added = (median(through) - median(direct)) / 1000
    console.log(`\nround trip (32 bytes, ${pings} per round, median): direct ${median(direct).toFixed(0)} µs, through weft ${median(through).toFixed(0)} µs, added ${added.toFixed(3)} ms`)
    const ratio = median(results['weft reach (stable address → member\'s service)']!) / tlsMedian
    const { direct: streams } = await client.json<DoctorReport>(['doctor'])
    console.log(`the client daemon opened ${streams.opened} direct streams (${streams.dialFailures} dials failed and used the mesh connection)`)
    console.log(`goals: ≥ 50% of TLS: ${ratio >= 0.5 ? 'met' : 'NOT met'} (${(ratio * 100).toFixed(0)}%); < 0.5 ms added per round trip: ${added < 0.5 ? 'met' : 'NOT met'} (${added.toFixed(3)} ms)`)
  } finally {
    await net.stop()
    for (const s of [tcp, tls, echo, entry, exit]) s.child.kill()
    rmSync(certDir, { recursive: true, force: true })
  }
}

await main()
