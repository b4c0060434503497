/**
 * A test network: N real weft daemons (separate processes running the `weft` binary) on
 * loopback, with ephemeral ports, temporary homes, no mDNS and no bootstrap peers, torn
 * down with the test. Used by weft's own integration tests and available to later features.
 */
import { spawn, execFile } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DeviceId } from '../core/ids.js'
import { waitFor } from './wait.js'

/** Path of the CLI entry point of this checkout (run with node). */
export const weftBin = fileURLToPath(new URL('../../../bin/weft.js', import.meta.url))
/** Path of the `weft` launcher (a shell script that sets the daemon's environment, then runs node). */
export const weftLauncher = fileURLToPath(new URL('../../../bin/weft', import.meta.url))

/** Result of one CLI run. */
export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the weft CLI with `args` (no daemon needed for `init`); `wrap` prefixes the command (e.g. `ip netns exec NS`). */
export async function runWeft (args: string[], env: NodeJS.ProcessEnv = {}, wrap: string[] = []): Promise<CliResult> {
  const [command, ...prefix] = [...wrap, process.execPath]
  return await new Promise((resolve) => {
    execFile(command, [...prefix, weftBin, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolve({ code, stdout, stderr })
    })
  })
}

/** Options of {@link startTestnet}. */
export interface TestnetOptions {
  /** Device names (default d0, d1, ...). */
  names?: string[]
  /** Extra `weft init` flags. */
  initArgs?: string[]
  /** Enable mDNS (only inside a namespace of your own: it multicasts on every interface). */
  mdns?: boolean
  /** Command prefix for daemons and CLI runs, e.g. `['ip', 'netns', 'exec', 'NS']`. */
  wrap?: string[]
  /** Added to every daemon's environment at start (e.g. `WEFT_TEST_FAULTS`). */
  env?: NodeJS.ProcessEnv
}

/** One daemon of a test network. */
export class TestDaemon {
  readonly name: string
  readonly home: string
  readonly wrap: string[]
  deviceId = '' as DeviceId
  #process?: ChildProcess
  #output = ''
  #crash?: string

  constructor (name: string, home: string, wrap: string[] = []) {
    this.name = name
    this.home = home
    this.wrap = wrap
  }

  /** Everything the daemon printed so far (for diagnostics). */
  get output (): string {
    return this.#output
  }

  /** Initializes the home: loopback only, ephemeral ports, no mDNS unless asked. */
  async init (extra: string[] = [], mdns = false): Promise<void> {
    const result = await runWeft(['init', '--home', this.home, '--name', this.name, '--api-port', '0', ...(extra.includes('--listen') ? [] : ['--listen', '/ip4/127.0.0.1/tcp/0']), ...(mdns ? [] : ['--no-mdns']), ...(extra.includes('--dns') ? [] : ['--dns', '127.0.0.1:0']), ...(extra.includes('--socks') ? [] : ['--socks', '127.0.0.1:0']), '--json', ...extra], {}, this.wrap)
    if (result.code !== 0) throw new Error(`weft init failed: ${result.stderr}`)
    this.deviceId = (JSON.parse(result.stdout) as { deviceId: DeviceId }).deviceId
  }

  /** Starts the daemon process (with `env` added to its environment) and waits until its API answers. */
  async start (env: NodeJS.ProcessEnv = {}): Promise<void> {
    if (this.#process !== undefined) throw new Error(`${this.name} already running`)
    this.#crash = undefined
    // Daemons start through the launcher, as `weft daemon` does for users.
    const [command, ...prefix] = [...this.wrap, weftLauncher]
    const child = spawn(command, [...prefix, 'daemon', '--home', this.home], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    this.#process = child
    child.stdout.on('data', (d: Buffer) => { this.#output += d.toString() })
    child.stderr.on('data', (d: Buffer) => { this.#output += d.toString() })
    let gone = false
    const exited = new Promise<never>((_resolve, reject) => {
      child.once('exit', (code) => { gone = true; reject(new Error(`${this.name} exited with ${code ?? 'signal'} during start:\n${this.#output}`)) })
    })
    exited.catch(() => {})
    // A daemon that dies later (a crash, not a stop) is remembered, so the failure that follows names it.
    child.once('exit', (code, signal) => {
      if (this.#process === child) this.#crash = `${this.name} exited unexpectedly (${code ?? signal ?? '?'}); its last output:\n${this.#output.slice(-4000)}`
    })
    await Promise.race([exited, waitFor(`${this.name}'s API`, async () => {
      if (gone) return true // the start failed (reported through `exited`, or killed on purpose): stop polling
      const status = await this.cli(['status', '--json'])
      return status.code === 0
    }, 90_000, 100)])
  }

  /** Stops the daemon with SIGTERM and waits for it to exit; returns its exit code. */
  async stop (): Promise<number | null> {
    const child = this.#process
    if (child === undefined) return null
    this.#process = undefined
    if (child.exitCode !== null) return child.exitCode
    const code = new Promise<number | null>((resolve) => child.once('exit', (c) => { resolve(c) }))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    const result = await code
    clearTimeout(timer)
    return result
  }

  /** Kills the daemon with SIGKILL (no clean shutdown, as in a crash) and waits until it is gone. */
  async kill (): Promise<void> {
    const child = this.#process
    this.#process = undefined
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  /** Runs the CLI against this daemon's home. */
  async cli (args: string[]): Promise<CliResult> {
    return await runWeft([...args, '--home', this.home], {}, this.wrap)
  }

  /** Runs a CLI command with `--json` and parses its output; throws with stderr on failure. */
  async json<T>(args: string[]): Promise<T> {
    const result = await this.cli([...args, '--json'])
    if (result.code !== 0) throw new Error(`weft ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}${this.#crash === undefined ? '' : `\n${this.#crash}`}`)
    return JSON.parse(result.stdout) as T
  }

  /** The API token and URL, for tests that call the API directly. */
  async apiAccess (): Promise<{ url: string, token: string }> {
    const info = JSON.parse(await readFile(join(this.home, 'api.json'), 'utf8')) as { url: string }
    return { url: info.url, token: (await readFile(join(this.home, 'api.token'), 'utf8')).trim() }
  }
}

/** A set of daemons and the temporary directory holding their homes. */
export interface Testnet {
  daemons: TestDaemon[]
  /** Stops every daemon and deletes the homes. */
  stop: () => Promise<void>
}

/** Starts `n` initialized daemons. */
export async function startTestnet (n: number, options: TestnetOptions = {}): Promise<Testnet> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-testnet-'))
  const daemons = Array.from({ length: n }, (_, i) => new TestDaemon(options.names?.[i] ?? `d${i}`, join(dir, `d${i}`), options.wrap))
  const stop = async (): Promise<void> => {
    await Promise.allSettled(daemons.map(async (d) => await d.stop()))
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await Promise.all(daemons.map(async (d) => { await d.init(options.initArgs, options.mdns); await d.start(options.env) }))
  } catch (err) {
    await stop()
    throw err
  }
  return { daemons, stop }
}

/** Creates network `name` on the first daemon and has every other one join it by invite. */
export async function formNetwork (daemons: TestDaemon[], name: string): Promise<void> {
  const [admin, ...others] = daemons
  if (admin === undefined) return
  await admin.json(['net', 'create', name])
  for (const d of others) {
    const { code } = await admin.json<{ code: string }>(['net', 'invite', name])
    await d.json(['net', 'join', code])
  }
}

/** Peers of `daemon` as `weft peers --json` lists them. */
export interface PeerRow { deviceId: DeviceId, name: string, online: boolean, path: string | null, rttMs: number | null, addresses: string[] }

/** Waits until `daemon` sees exactly the devices `online` as online (and others offline). */
export async function waitForOnline (daemon: TestDaemon, online: DeviceId[], timeoutMs = 20_000): Promise<PeerRow[]> {
  const want = [...online].sort().join()
  return await waitFor(`${daemon.name} to see [${online.join(', ')}] online`, async () => {
    const peers = await daemon.json<PeerRow[]>(['peers'])
    return peers.filter((p) => p.online).map((p) => p.deviceId).sort().join() === want ? peers : undefined
  }, timeoutMs, 200)
}
