/**
 * A forwarded connection outlives its path (namespace lab): opened through `weft forward`
 * while the member was reachable only through the relay (its router maps ports per
 * destination, so hole punches fail), it keeps carrying a steady stream of echoed bytes while
 * the router changes to a cone NAT, a hole punch makes a direct connection and the connection
 * moves onto it, and then while the relay is gone. Every byte comes back once, in order. A
 * `weft pipe` joined through the relay at the same time moves the same way, both directions intact.
 * With no direct path to move to, the relay going away resets the connection: the client
 * sees an error, not an end that would pass for a complete transfer.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createHash, randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { createNatLab, natLabUnavailable } from '../../src/testing/natlab.js'
import type { LabHost, NatLab, NatMode } from '../../src/testing/natlab.js'
import { cluster, waitForPath } from '../../src/testing/lab-daemons.js'
import { formNetwork, weftBin } from '../../src/testing/testnet.js'
import type { TestDaemon } from '../../src/testing/testnet.js'
import { waitFor } from '../../src/testing/wait.js'
import type { DoctorReport } from '../../src/features/doctor.js'
import type { ServiceView } from '../../src/features/reach/service.js'
import type { TunnelStats } from '../../src/features/reach/migration.js'

const unavailable = await natLabUnavailable()
if (unavailable !== undefined) console.log(`# skipped forwarded-connection move tests: ${unavailable}`)

const echoPort = 7000

const echoServer = `require('node:net').createServer((s) => { s.on('error', () => {}); s.pipe(s) }).listen(${echoPort}, '127.0.0.1', () => console.log('ready'))`

// Writes 4 KiB of random bytes every 20 ms and hashes what it sends and what comes back;
// "mark" on stdin prints the bytes echoed so far, "stop" ends the connection and prints the tally.
const echoClient = (host: string, port: number): string => `const { createHash, randomBytes } = require('node:crypto');
const s = require('node:net').connect(${port}, '${host}');
const sent = createHash('sha256'), got = createHash('sha256'); let sentBytes = 0, gotBytes = 0;
const tick = setInterval(() => { const b = randomBytes(4096); sent.update(b); sentBytes += b.length; s.write(b) }, 20);
s.on('data', (c) => { got.update(c); gotBytes += c.length });
s.on('end', () => console.log(JSON.stringify({ sentBytes, gotBytes, same: sent.digest('hex') === got.digest('hex') })));
s.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1) });
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
  if (l === 'mark') console.log(JSON.stringify({ gotBytes }));
  if (l === 'stop') { clearInterval(tick); s.end() } })`

/** What the echo client prints: a mark, its tally at the end, or the connection's error. */
interface Tally { sentBytes?: number, gotBytes?: number, same?: boolean, error?: string }

function runIn (host: LabHost, args: string[]): ChildProcess {
  const [command, ...prefix] = host.wrap
  return spawn(command ?? 'ip', [...prefix, process.execPath, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
}

/** The next line `child` prints, parsed as JSON. */
async function nextLine<T> (lines: AsyncIterator<string>): Promise<T> {
  const next = await lines.next()
  if (next.done === true) throw new Error('the process ended without answering')
  return JSON.parse(next.value) as T
}

/** A `weft forward` on A to an echo service on B, and an echo client in A's namespace streaming through it. */
async function forwardedEcho (lab: NatLab, a: TestDaemon, b: TestDaemon): Promise<{ mark: () => Promise<number>, stop: () => Promise<Tally> }> {
  const echo = runIn(lab.host('B'), ['-e', echoServer])
  await once(echo.stdout!, 'data')
  await b.json(['expose', String(echoPort), '--name', 'echo'])
  await waitFor('A lists echo on B', async () => (await a.json<{ remote: ServiceView[] }>(['services', 'ls'])).remote.find((s) => s.name === 'echo'), 30_000, 200)
  const forward = runIn(lab.host('A'), [weftBin, 'forward', `${b.deviceId}:echo`, '127.0.0.1:0', '--home', a.home, '--json'])
  const [line] = await once(forward.stdout!, 'data') as [Buffer]
  const [host, port] = (JSON.parse(line.toString()) as { listen: string }).listen.split(':')
  const client = runIn(lab.host('A'), ['-e', echoClient(host ?? '', Number(port))])
  const lines = createInterface({ input: client.stdout! })[Symbol.asyncIterator]()
  const mark = async (): Promise<number> => {
    client.stdin!.write('mark\n')
    const answer = await nextLine<Tally>(lines)
    if (answer.gotBytes === undefined || answer.sentBytes !== undefined) throw new Error(`the connection ended: ${JSON.stringify(answer)}`)
    return answer.gotBytes
  }
  await waitFor('echoed bytes through the relay', async () => (await mark()) > 64 * 1024 ? true : undefined, 30_000, 200)
  return {
    mark,
    stop: async () => {
      client.stdin!.write('stop\n')
      return await nextLine<Tally>(lines)
    }
  }
}

/** `weft pipe` ends on A and B, each fed random bytes every 20 ms, each output hashed. */
function pipeBothWays (lab: NatLab, a: TestDaemon, b: TestDaemon): { received: () => number, finish: () => Promise<void>, close: () => void } {
  const ends = [a, b].map((d) => runIn(lab.host(d.name), [weftBin, 'pipe', 'moving', '--home', d.home]))
  const sent = ends.map(() => createHash('sha256'))
  const got = ends.map(() => createHash('sha256'))
  const counts = ends.map(() => 0)
  const exits = ends.map(async (end) => await once(end, 'exit') as [number | null])
  ends.forEach((end, i) => { end.stdout!.on('data', (chunk: Buffer) => { got[i]?.update(chunk); counts[i] = (counts[i] ?? 0) + chunk.length }) })
  let sentBytes = 0
  const tick = setInterval(() => {
    ends.forEach((end, i) => { const chunk = randomBytes(4096); sent[i]?.update(chunk); end.stdin!.write(chunk) })
    sentBytes += 4096
  }, 20)
  return {
    close: () => {
      clearInterval(tick)
      for (const end of ends) end.kill('SIGKILL')
    },
    received: () => Math.min(...counts),
    finish: async () => {
      clearInterval(tick)
      for (const end of ends) end.stdin!.end()
      const codes = await Promise.all(exits)
      assert.deepEqual(codes.map(([code]) => code), [0, 0], 'both pipe ends exit cleanly')
      // What A wrote came out of B and the other way round.
      assert.deepEqual(counts, [sentBytes, sentBytes])
      assert.equal(got[1]?.digest('hex'), sent[0]?.digest('hex'))
      assert.equal(got[0]?.digest('hex'), sent[1]?.digest('hex'))
    }
  }
}

/** A relay on `pub` and daemons on sites A and B behind `nats`, one network, A reaching B through the relay. */
async function withRelayedPair (nats: [NatMode, NatMode], body: (lab: NatLab, relay: TestDaemon, a: TestDaemon, b: TestDaemon, cleanup: Array<() => void>) => Promise<void>): Promise<void> {
  const lab = await createNatLab({ publicHosts: ['pub'], sites: [{ name: 'A', nat: nats[0] }, { name: 'B', nat: nats[1] }] })
  const d = await cluster(lab, ['A', 'B']).catch(async (err: unknown) => { await lab.stop(); throw err })
  const cleanup: Array<() => void> = []
  try {
    const [relay, a, b] = [d.get('pub'), d.get('A'), d.get('B')]
    await formNetwork([relay, a, b], 'lab')
    await waitForPath(a, b, ['relay'])
    await body(lab, relay, a, b, cleanup)
  } finally {
    for (const undo of cleanup) undo()
    await d.stop()
    await lab.stop()
  }
}

/** The tunnel counters of `weft doctor` on each daemon, and their sum. */
async function tunnelTotals (daemons: TestDaemon[]): Promise<{ each: TunnelStats[], sum: TunnelStats }> {
  const each = await Promise.all(daemons.map(async (x) => (await x.json<DoctorReport>(['doctor'])).tunnels))
  const sum = { relayed: 0, moved: 0, failed: 0 }
  for (const t of each) { sum.relayed += t.relayed; sum.moved += t.moved; sum.failed += t.failed }
  return { each, sum }
}

describe('forwarded connections across path changes (lab)', { skip: unavailable, timeout: 400_000 }, () => {
  it('a connection opened through the relay moves to the hole-punched path and outlives the relay', async () => {
    await withRelayedPair(['cone', 'symmetric'], async (lab, relay, a, b, cleanup) => {
      const echo = await forwardedEcho(lab, a, b)
      const piped = pipeBothWays(lab, a, b)
      cleanup.push(piped.close)
      await waitFor('bytes through the pipe', async () => await Promise.resolve(piped.received() > 16 * 1024 ? true : undefined), 30_000, 200)
      // The forward's tunnel is A's; the pipe's belongs to whichever end asked.
      assert.equal((await tunnelTotals([a, b])).sum.relayed, 2, 'the connection and the pipe run through the relay')

      // B's router turns into a cone NAT: the next hole punch succeeds.
      await lab.setNat('B', 'cone')
      const started = Date.now()
      await waitForPath(a, b, ['direct'], 180_000)
      let seen = ''
      const moved = await waitFor('the connection and the pipe to move', async () => {
        const { each, sum } = await tunnelTotals([a, b])
        seen = JSON.stringify(each)
        return sum.moved === 2 ? sum : undefined
      }, 60_000, 500).catch((err: Error) => { throw new Error(`${err.message}; tunnels of A and B: ${seen}`) })
      console.log(`# direct and moved ${Date.now() - started} ms after the NAT change`)
      assert.deepEqual(moved, { relayed: 0, moved: 2, failed: 0 })

      // With the relay gone, the connection goes on over the direct path.
      await relay.stop()
      const before = await echo.mark()
      const pipedBefore = piped.received()
      await waitFor('bytes echoed after the relay stopped', async () => (await echo.mark()) > before + 64 * 1024 ? true : undefined, 30_000, 200)
      await waitFor('bytes piped after the relay stopped', async () => await Promise.resolve(piped.received() > pipedBefore + 64 * 1024 ? true : undefined), 30_000, 200)
      await piped.finish()
      const tally = await echo.stop()
      console.log(`# ${JSON.stringify(tally)}`)
      assert.equal(tally.error, undefined)
      assert.equal(tally.gotBytes, tally.sentBytes)
      assert.equal(tally.same, true, 'every byte came back once and in order')
    })
  })

  it('a connection whose relay goes away with no direct path is reset, never ended as if complete', async () => {
    await withRelayedPair(['symmetric', 'symmetric'], async (lab, relay, a, b) => {
      const echo = await forwardedEcho(lab, a, b)
      await relay.stop()
      const tally = await waitFor('the connection to fail', async () => await echo.mark().then(() => undefined, (err: Error) => err), 30_000, 200)
      console.log(`# ${tally.message}`)
      assert.match(tally.message, /"error":"(read ECONNRESET|.*reset.*)"/)
    })
  })
})
