/**
 * A real Syncthing (the `syncthing` binary, e.g. Debian's 1.19) driven headless for tests and
 * benchmarks: its own home, one TCP listen address on 127.0.0.1, REST on a Unix socket in its
 * home, and discovery, relays, NAT/STUN, usage and crash reports and upgrades all off (checked
 * against the running instance). Pass `wrap` (e.g. a namespace from netns.ts) to also run it
 * where nothing but loopback exists; the Unix socket stays reachable from outside.
 */
import { spawn, execFile } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, writeFile, rm, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hardenSyncthingConfig, onlineLeaks } from './syncthing-config.js'
import { waitFor } from './wait.js'

/** Options of {@link SyncthingInstance.start}. */
export interface SyncthingOptions {
  /** Device name (default `st`). */
  name?: string
  /** Home directory (created; default a fresh temporary directory, deleted by `stop()`). */
  home?: string
  /** TCP port to listen on at 127.0.0.1 (default a free one). */
  listenPort?: number
  /** Command prefix, e.g. `['ip', 'netns', 'exec', NS]` (it must exec, so the pid stays Syncthing's). */
  wrap?: string[]
  /** Extra environment, e.g. `{ STTRACE: 'model' }`. */
  env?: NodeJS.ProcessEnv
  /** Binary to run (default `syncthing` on PATH). */
  binary?: string
  /** Abort the start. */
  signal?: AbortSignal
}

/** A folder as {@link SyncthingInstance.shareFolder} configures it. */
export interface SyncthingFolder {
  id: string
  path: string
  /** Device IDs to share with (this instance's own ID is added). */
  devices: string[]
  /** `sendreceive` (default), `sendonly` or `receiveonly`. */
  type?: 'sendreceive' | 'sendonly' | 'receiveonly'
  /** Watch the folder (default false: tests trigger scans). */
  fsWatcherEnabled?: boolean
  /** Full rescan interval (default 3600 s). */
  rescanIntervalS?: number
  /** Any other folder fields, merged last. */
  extra?: Record<string, unknown>
}

/** The fields of `GET /rest/db/status` tests use most (the rest are there too). */
export interface SyncthingFolderStatus {
  state: string
  localFiles: number
  localBytes: number
  globalFiles: number
  globalBytes: number
  needFiles: number
  needBytes: number
  errors: number
  [key: string]: unknown
}

/** Why Syncthing cannot be run here (one line), or undefined when it can. */
export async function syncthingUnavailable (binary = 'syncthing'): Promise<string | undefined> {
  return await new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (err) => {
      if (err === null) resolve(undefined)
      else resolve(`"${binary}" is not usable here (${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not on PATH' : err.message.split('\n')[0] ?? ''})`)
    })
  })
}

/** The version line of the Syncthing binary (e.g. `syncthing v1.19.2-ds1 ...`). */
export async function syncthingVersion (binary = 'syncthing'): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (err, stdout) => { if (err === null) resolve(stdout.trim()); else reject(new Error(`${binary} --version: ${err.message}`)) })
  })
}

/** A free TCP port on 127.0.0.1 (closed again; the caller binds it soon after). */
export async function freeLoopbackPort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

async function run (command: string, args: string[], signal?: AbortSignal): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000, signal }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout + stderr)
      else reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || err.message}`))
    })
  })
}

/** One running Syncthing instance. */
export class SyncthingInstance {
  readonly name: string
  readonly home: string
  /** Its device ID (long form). */
  readonly deviceId: string
  readonly apiKey: string
  /** Unix socket of its REST API. */
  readonly guiSocket: string
  /** Where peers dial it, e.g. `tcp://127.0.0.1:22001`. */
  readonly address: string
  readonly #child: ChildProcess
  readonly #ownsHome: boolean
  #log = ''
  #stopped = false

  private constructor (fields: { name: string, home: string, deviceId: string, apiKey: string, guiSocket: string, address: string, child: ChildProcess, ownsHome: boolean }) {
    this.name = fields.name
    this.home = fields.home
    this.deviceId = fields.deviceId
    this.apiKey = fields.apiKey
    this.guiSocket = fields.guiSocket
    this.address = fields.address
    this.#child = fields.child
    this.#ownsHome = fields.ownsHome
    fields.child.stdout?.on('data', (d: Buffer) => { this.#log = (this.#log + d.toString()).slice(-200_000) })
    fields.child.stderr?.on('data', (d: Buffer) => { this.#log = (this.#log + d.toString()).slice(-200_000) })
  }

  /** Process ID of the Syncthing process (for /proc readings). */
  get pid (): number {
    return this.#child.pid ?? -1
  }

  /** The last 200 kB Syncthing printed (for diagnostics). */
  get log (): string {
    return this.#log
  }

  /** Generates keys and config, starts `syncthing serve`, waits for REST and checks it is offline. */
  static async start (options: SyncthingOptions = {}): Promise<SyncthingInstance> {
    const binary = options.binary ?? 'syncthing'
    const name = options.name ?? 'st'
    const ownsHome = options.home === undefined
    const home = options.home ?? await mkdtemp(join(tmpdir(), `weft-syncthing-${name}-`))
    let child: ChildProcess | undefined
    try {
      await mkdir(home, { recursive: true })
      const generated = await run(binary, ['generate', `--home=${home}`, '--no-default-folder', '--skip-port-probing'], options.signal)
      const deviceId = /Device ID:\s*([A-Z0-9-]{63})/.exec(generated)?.[1] ?? (await run(binary, ['serve', `--home=${home}`, '--device-id'], options.signal)).trim()
      const apiKey = randomBytes(16).toString('hex')
      const guiSocket = join(home, 'rest.sock')
      const address = `tcp://127.0.0.1:${options.listenPort ?? await freeLoopbackPort()}`
      const configPath = join(home, 'config.xml')
      await writeFile(configPath, hardenSyncthingConfig(await readFile(configPath, 'utf8'), { name, guiSocket, apiKey, listen: address }))
      const [command, ...prefix] = [...(options.wrap ?? []), binary]
      // STMONITORED: no restart-monitor parent, so the pid is Syncthing's own.
      child = spawn(command ?? binary, [...prefix, 'serve', `--home=${home}`, '--no-browser', '--no-restart', '--no-upgrade', '--logflags=3'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, STMONITORED: 'yes', STNOUPGRADE: '1', STNORESTART: '1', STNODEFAULTFOLDER: '1', ...options.env }
      })
      const instance = new SyncthingInstance({ name, home, deviceId, apiKey, guiSocket, address, child, ownsHome })
      const exited = new Promise<never>((_resolve, reject) => {
        child?.once('exit', (code) => { reject(new Error(`syncthing ${name} exited with ${code ?? 'a signal'} during start:\n${instance.log.slice(-4000)}`)) })
      })
      exited.catch(() => {})
      await Promise.race([exited, waitFor(`syncthing ${name}'s REST API`, async () => { await instance.api('GET', '/rest/system/ping'); return true }, 60_000, 100)])
      const leaks = onlineLeaks(await instance.api<Record<string, unknown>>('GET', '/rest/config/options'))
      if (leaks.length > 0) {
        await instance.stop()
        throw new Error(`syncthing ${name} did not take the offline options: ${leaks.join(', ')}`)
      }
      return instance
    } catch (err) {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      if (ownsHome) await rm(home, { recursive: true, force: true })
      throw err
    }
  }

  /** Calls the REST API over its Unix socket; returns the parsed JSON (or undefined for an empty body). */
  async api<T = unknown>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    return await new Promise<T>((resolve, reject) => {
      const req = request({ socketPath: this.guiSocket, agent: false, path, method, signal, headers: { 'X-API-Key': this.apiKey, ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }) } }, (res) => {
        const parts: Buffer[] = []
        res.on('data', (d: Buffer) => parts.push(d))
        res.on('end', () => {
          const text = Buffer.concat(parts).toString()
          if ((res.statusCode ?? 500) >= 300) { reject(new Error(`syncthing ${this.name} ${method} ${path}: ${res.statusCode ?? '?'} ${text.trim()}`)); return }
          try { resolve((text.trim() === '' ? undefined : JSON.parse(text)) as T) } catch (err) { reject(err instanceof Error ? err : new Error(String(err))) }
        })
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(payload)
    })
  }

  /** Adds (or replaces) a peer device that this instance dials at `address` (e.g. another instance's {@link address}). */
  async addDevice (deviceId: string, address: string, name = deviceId.slice(0, 7)): Promise<void> {
    const device = await this.api<Record<string, unknown>>('GET', '/rest/config/defaults/device')
    await this.api('POST', '/rest/config/devices', { ...device, deviceID: deviceId, name, addresses: [address] })
  }

  /** Adds (or replaces) a folder shared with `folder.devices`. */
  async shareFolder (folder: SyncthingFolder): Promise<void> {
    const defaults = await this.api<Record<string, unknown>>('GET', '/rest/config/defaults/folder')
    const devices = [...new Set([this.deviceId, ...folder.devices])].map((deviceID) => ({ deviceID }))
    await this.api('POST', '/rest/config/folders', {
      ...defaults,
      id: folder.id,
      label: folder.id,
      path: folder.path,
      type: folder.type ?? 'sendreceive',
      fsWatcherEnabled: folder.fsWatcherEnabled ?? false,
      rescanIntervalS: folder.rescanIntervalS ?? 3600,
      devices,
      ...folder.extra
    })
  }

  /** Asks for a scan of `folder` (returns once Syncthing accepted the request, not when it finished). */
  async scan (folder: string): Promise<void> {
    await this.api('POST', `/rest/db/scan?folder=${encodeURIComponent(folder)}`)
  }

  /** `GET /rest/db/status` of `folder`. */
  async folderStatus (folder: string): Promise<SyncthingFolderStatus> {
    return await this.api<SyncthingFolderStatus>('GET', `/rest/db/status?folder=${encodeURIComponent(folder)}`)
  }

  /** `GET /rest/db/completion`: how complete `device` is on `folder`, as this instance sees it. */
  async completion (folder: string, device: string): Promise<{ completion: number, needBytes: number, needItems: number, globalBytes: number }> {
    return await this.api('GET', `/rest/db/completion?folder=${encodeURIComponent(folder)}&device=${encodeURIComponent(device)}`)
  }

  /** Whether this instance has a live connection to `device`. */
  async connected (device: string): Promise<boolean> {
    const state = await this.api<{ connections: Record<string, { connected: boolean }> }>('GET', '/rest/system/connections')
    return state.connections[device]?.connected === true
  }

  /** Waits until `folder` is idle here with nothing needed and `files` files locally (if given). */
  async waitInSync (folder: string, files?: number, timeoutMs = 600_000, intervalMs = 100): Promise<SyncthingFolderStatus> {
    return await waitFor(`syncthing ${this.name} to have ${folder} in sync`, async () => {
      const status = await this.folderStatus(folder)
      const done = status.state === 'idle' && status.needFiles === 0 && status.needBytes === 0 && (files === undefined || status.localFiles === files)
      return done ? status : undefined
    }, timeoutMs, intervalMs)
  }

  /** Stops the process (SIGTERM, SIGKILL after 10 s) and deletes the home if this instance created it. Idempotent. */
  async stop (): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    const child = this.#child
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
    if (this.#ownsHome) await rm(this.home, { recursive: true, force: true })
  }
}

/** Pairs two instances (each knows and dials the other) and waits until they are connected. */
export async function pairSyncthing (a: SyncthingInstance, b: SyncthingInstance, timeoutMs = 60_000): Promise<void> {
  // The dialled side first, so the first dial is not rejected as an unknown device.
  await b.addDevice(a.deviceId, a.address, a.name)
  await a.addDevice(b.deviceId, b.address, b.name)
  await waitFor(`syncthing ${a.name} and ${b.name} to connect`, async () => await a.connected(b.deviceId) && await b.connected(a.deviceId), timeoutMs, 100)
}
