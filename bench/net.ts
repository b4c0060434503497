/**
 * `npm run bench:net`: one stream carrying 1 GiB between two weft daemons on loopback (a direct
 * stream, as service reach uses, and a stream of the shared mesh connection), next to
 * raw node:net TCP and node:tls TLS 1.3 measured in the same run (interleaved rounds, medians),
 * plus the time from `weft daemon` start to the first member online and a daemon's idle RSS.
 * Goals (issue 2): stream throughput at least 60% of TLS; idle RSS under 80 MB.
 * Environment: BENCH_ROUNDS (default 3), BENCH_MIB (default 1024).
 */
import { spawn, execFileSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { connect as tcpConnect } from 'node:net'
import type { Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestnet, formNetwork, waitForOnline } from '../src/testing/index.js'
import type { TestDaemon } from '../src/testing/index.js'
import { weftLauncher } from '../src/testing/testnet.js'

const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const bytes = Number(process.env.BENCH_MIB ?? 1024) * 1024 * 1024
const chunk = Buffer.alloc(64 * 1024, 0x5a)

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

async function startSink (mode: 'tcp' | 'tls', certDir: string): Promise<{ port: number, child: ChildProcess }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./baseline-sink.js', import.meta.url)), mode, join(certDir, 'cert.pem'), join(certDir, 'key.pem')], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve) => { child.stdout?.once('data', (d: Buffer) => { resolve(Number(d.toString().trim())) }) })
  return { port, child }
}

async function sendOver (socket: Socket): Promise<number> {
  const started = process.hrtime.bigint()
  let left = bytes
  while (left > 0) {
    const n = Math.min(left, chunk.length)
    if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) await new Promise((resolve) => socket.once('drain', resolve))
    left -= n
  }
  socket.end()
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = []
    socket.on('data', (d: Buffer) => parts.push(d))
    socket.on('end', () => { resolve(Buffer.concat(parts)) })
    socket.on('error', reject)
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (Number(answer.readBigUInt64BE(0)) !== bytes) throw new Error('sink did not receive everything')
  return bytes / 1e6 / seconds
}

async function measureTcp (port: number): Promise<number> {
  const socket = tcpConnect({ host: '127.0.0.1', port })
  await new Promise((resolve) => socket.once('connect', resolve))
  return await sendOver(socket)
}

async function measureTls (port: number): Promise<number> {
  const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1.3' })
  await new Promise((resolve) => socket.once('secureConnect', resolve))
  return await sendOver(socket)
}

async function api<T> (d: TestDaemon, method: string, path: string, body?: unknown): Promise<T> {
  const { url, token } = await d.apiAccess()
  const res = await fetch(`${url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return await res.json() as T
}

function rssMb (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024
}

/** Spawns `weft daemon` for an initialized home and times until the API lists a member online. */
async function timeToFirstMember (d: TestDaemon): Promise<{ ms: number, child: ChildProcess }> {
  const started = performance.now()
  const child = spawn(weftLauncher, ['daemon', '--home', d.home], { stdio: 'ignore' })
  for (;;) {
    if (existsSync(join(d.home, 'api.token'))) {
      try {
        const peers = await api<Array<{ online: boolean }>>(d, 'GET', '/peers')
        if (peers.some((p) => p.online)) return { ms: performance.now() - started, child }
      } catch { /* API not ready yet */ }
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

async function main (): Promise<void> {
  const certDir = mkdtempSync(join(tmpdir(), 'weft-bench-cert-'))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=bench', '-days', '1', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' })
  const tcp = await startSink('tcp', certDir)
  const tls = await startSink('tls', certDir)
  const net = await startTestnet(2, { names: ['bench-a', 'bench-b'] })
  try {
    const [a, b] = net.daemons as [TestDaemon, TestDaemon]
    await formNetwork([a, b], 'bench')
    await waitForOnline(a, [b.deviceId])

    // Start-up: restart b and time until it reports a member online.
    await b.stop()
    const startups: number[] = []
    for (let i = 0; i < rounds; i++) {
      const { ms, child } = await timeToFirstMember(b)
      startups.push(ms)
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
    await b.start()
    await waitForOnline(a, [b.deviceId])

    // Idle RSS after things settle (before any transfer).
    await new Promise((resolve) => setTimeout(resolve, 5000))
    const pids = await Promise.all([a, b].map(async (d) => (await api<{ pid: number }>(d, 'GET', '/status')).pid))
    const idleRss = pids.map(rssMb)

    const directRow = 'weft direct stream (daemon to daemon, a TLS connection of its own)'
    const meshRow = 'weft mesh stream (daemon to daemon, Yamux on the shared connection)'
    const results: Record<string, number[]> = { 'node:net TCP': [], 'node:tls TLS 1.3': [], [directRow]: [], [meshRow]: [] }
    for (let i = 0; i < rounds; i++) {
      results['node:net TCP']!.push(await measureTcp(tcp.port))
      results['node:tls TLS 1.3']!.push(await measureTls(tls.port))
      for (const [row, stream] of [[directRow, 'direct'], [meshRow, 'mesh']] as const) {
        const perf = await api<{ megabytesPerSecond: number, stream: string }>(a, 'POST', '/perf', { device: b.deviceId, bytes, stream })
        if (perf.stream !== stream) throw new Error(`asked for a ${stream} stream, the daemon used a ${perf.stream} one`)
        results[row]!.push(perf.megabytesPerSecond)
      }
    }
    const busyRss = pids.map(rssMb)
    const tlsMedian = median(results['node:tls TLS 1.3']!)
    console.log(`\nweft bench:net — ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`)
    console.log(`one stream, ${bytes / 1024 ** 2} MiB, 64 KiB writes, ${rounds} interleaved rounds (median, range)\n`)
    console.log('| transport | MB/s | range | vs TLS |')
    console.log('|---|---|---|---|')
    for (const [name, values] of Object.entries(results)) {
      console.log(`| ${name} | ${median(values).toFixed(0)} | ${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} | ${(median(values) / tlsMedian * 100).toFixed(0)}% |`)
    }
    const weftRatio = median(results[directRow]!) / tlsMedian
    const meshRatio = median(results[meshRow]!) / tlsMedian
    console.log(`\ndaemon start → first member online: median ${median(startups).toFixed(0)} ms (${startups.map((s) => s.toFixed(0)).join(', ')})`)
    console.log(`idle RSS: ${idleRss.map((r) => r.toFixed(1)).join(' / ')} MB; after the transfers: ${busyRss.map((r) => r.toFixed(1)).join(' / ')} MB`)
    console.log(`goals: stream ≥ 60% of TLS: ${weftRatio >= 0.6 ? 'met' : 'NOT met'} (direct stream ${(weftRatio * 100).toFixed(0)}%; mesh stream ${(meshRatio * 100).toFixed(0)}%); idle RSS < 80 MB: ${Math.max(...idleRss) < 80 ? 'met' : 'NOT met'}`)
  } finally {
    await net.stop()
    tcp.child.kill()
    tls.child.kill()
    rmSync(certDir, { recursive: true, force: true })
  }
}

await main()
