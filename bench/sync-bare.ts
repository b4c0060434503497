/**
 * One run of `npm run bench:sync` through the bare data path: the runtime's ceiling, no weft
 * code. Two node processes (bench/sync-bare-child.ts, so CPU and peak RSS are per process as
 * for the daemons) connect over TLS 1.3 on 127.0.0.1 with self-signed certificates made here
 * with node:crypto (bench/sync-bare-cert.ts), pinned both ways. The data set is moved into the
 * sender's folder and `start` starts the clock; the sender hashes every file's 128 KiB blocks
 * (its scan) and streams each file as it is hashed; the receiver checks every block's SHA-256,
 * writes it in place in a temporary file, fsyncs and renames. The clock stops when the
 * receiver reports the last file renamed; then its files are checked as for the other runs.
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bareIdentity } from './sync-bare-cert.js'
import type { BareInit, BareReport } from './sync-bare-child.js'
import type { DataSet } from './sync-data.js'
import { moveEntries, putBack, verify } from './sync-data.js'
import { cpuSeconds, peakRssMb, startClock } from './sync-proc.js'
import type { SyncRun } from './sync-proc.js'
import type { RunOptions } from './sync-weft.js'
import { cleanupNow, onCleanup } from './sync-cleanup.js'

/** A forked child and the reports it sent, each with when it arrived. */
class Child {
  readonly proc: ChildProcess
  readonly #seen: Array<{ report: BareReport, at: number }> = []
  readonly #waiters = new Set<() => void>()
  #exited: string | undefined

  constructor (readonly role: 'send' | 'recv') {
    // Node flags for profiling the daemons (WEFT_NODE_FLAGS, e.g. --cpu-prof) apply here too.
    const flags = (process.env.WEFT_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '')
    this.proc = fork(fileURLToPath(new URL('./sync-bare-child.js', import.meta.url)), [role], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: flags })
    this.proc.on('message', (report: BareReport) => { this.#seen.push({ report, at: performance.now() }); this.#wake() })
    this.proc.on('exit', (code, signal) => { this.#exited = `exited (${signal ?? code})`; this.#wake() })
  }

  #wake (): void { for (const w of this.#waiters) w() }

  /** The first report of `type` (with its arrival time); rejects on an `error` report, exit or timeout. */
  async wait<T extends BareReport['type']> (type: T, timeoutMs: number): Promise<{ report: Extract<BareReport, { type: T }>, at: number }> {
    return await this.#until(type, timeoutMs) as { report: Extract<BareReport, { type: T }>, at: number }
  }

  /** Rejects when the child reports an error, exits or `timeoutMs` passes; never resolves. */
  async failure (timeoutMs: number): Promise<never> {
    await this.#until(undefined, timeoutMs)
    throw new Error('unreachable')
  }

  async #until (type: string | undefined, timeoutMs: number): Promise<{ report: BareReport, at: number }> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const error = this.#seen.find((s) => s.report.type === 'error')
      if (error !== undefined) throw new Error(`bare ${this.role}: ${(error.report as { message: string }).message}`)
      const hit = this.#seen.find((s) => s.report.type === type)
      if (hit !== undefined) return hit
      if (this.#exited !== undefined) throw new Error(`bare ${this.role} ${this.#exited}${type === undefined ? '' : ` before "${type}"`}`)
      if (Date.now() > deadline) throw new Error(`bare ${this.role}: ${type === undefined ? 'still running' : `no "${type}"`} after ${timeoutMs / 1000} s`)
      await new Promise<void>((resolve) => {
        const waiters = this.#waiters
        const timer = setTimeout(done, 1000)
        function done (): void { clearTimeout(timer); waiters.delete(done); resolve() }
        waiters.add(done)
      })
    }
  }

  /** Asks the child to exit (so a CPU profile gets written), then kills it if it does not. */
  async stop (): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return
    const exited = new Promise<void>((resolve) => { this.proc.once('exit', () => { resolve() }) })
    if (this.proc.connected) this.proc.send({ type: 'exit' })
    else this.proc.kill('SIGTERM')
    const timer = setTimeout(() => { this.proc.kill('SIGKILL') }, 5000)
    await exited
    clearTimeout(timer)
  }
}

/** The negotiated TLS cipher suite of the last bare run (for the report). */
export let bareCipher = ''

/** Syncs `set` over the bare data path and measures it. */
export async function runBare (set: DataSet, options: RunOptions): Promise<SyncRun> {
  const sendDir = join(options.work, 'bare-send')
  const recvDir = join(options.work, 'bare-recv')
  const children: Child[] = []
  let moved = false
  const undo = async (): Promise<void> => {
    await Promise.allSettled(children.map(async (c) => { await c.stop() }))
    const wasMoved = moved
    moved = false
    await putBack(set, sendDir, wasMoved, [sendDir, recvDir])
  }
  onCleanup(undo)
  try {
    await Promise.all([mkdir(sendDir, { recursive: true }), mkdir(recvDir, { recursive: true })])
    const [sendId, recvId] = [bareIdentity(), bareIdentity()]
    const recv = new Child('recv')
    children.push(recv)
    const send = new Child('send')
    children.push(send)
    const init = (role: 'send' | 'recv', dir: string, own: typeof sendId, peer: typeof sendId, port?: number): BareInit =>
      ({ type: 'init', role, dir, keyPem: own.keyPem, certPem: own.certPem, peerFingerprint: peer.fingerprint256, ...(port === undefined ? {} : { port }) })
    recv.proc.send(init('recv', recvDir, recvId, sendId))
    const { port } = (await recv.wait('listening', 30_000)).report
    send.proc.send(init('send', sendDir, sendId, recvId, port))
    const connected = await send.wait('connected', 30_000)
    await recv.wait('connected', 30_000)
    bareCipher = connected.report.cipher
    const [sendPid, recvPid] = [send.proc.pid!, recv.proc.pid!]
    const { idle, cpu0, startedWall, started } = await startClock([sendPid, recvPid], async () => { await moveEntries(set.staging, sendDir); moved = true })
    send.proc.send({ type: 'start' })
    const timeoutMs = options.timeoutS * 1000
    const sendFailed = send.failure(timeoutMs)
    sendFailed.catch(() => {}) // raced below; rejects later when the sender exits
    const done = await Promise.race([recv.wait('done', timeoutMs), sendFailed])
    const seconds = (done.at - started) / 1000
    const rss: [number, number] = [peakRssMb(sendPid), peakRssMb(recvPid)]
    const cpu: [number, number] = [cpuSeconds(sendPid) - cpu0[0], cpuSeconds(recvPid) - cpu0[1]]
    if (done.report.files !== set.files) throw new Error(`bare: ${done.report.files} files received, ${set.files} expected`)
    const scanned = await send.wait('scanned', 10_000)
    const checked = await verify(set, recvDir)
    if (checked.problems.length > 0) throw new Error(`bare: receiver's data differs: ${checked.problems.join('; ')}`)
    return {
      seconds,
      landedSeconds: (checked.lastChangeMs - startedWall) / 1000,
      scanSeconds: (scanned.at - started) / 1000,
      peakRssMb: rss,
      cpuSeconds: cpu,
      idleRssMb: idle
    }
  } finally {
    await cleanupNow(undo)
  }
}
