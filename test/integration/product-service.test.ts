/**
 * weft as an installed product, with real daemons on loopback: `weft logs` (human, --json,
 * --level, -f), warnings on the daemon's terminal as human lines, `weft version --json` with the
 * members' versions, `weft ping` (path and RTT per attempt), and `weft service` printing a unit
 * and installing it into a temporary HOME with no service manager on PATH.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestnet, formNetwork, waitForOnline, waitFor, runWeft, weftBin } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'

const packageVersion = (JSON.parse(await readFile(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string }).version

interface VersionJson { version: string, node: string, platform: string, arch: string, daemon: { version?: string, pid?: number, error?: string }, members: Array<{ name: string, version: string | null }> }
interface PingJson { ok: boolean, name: string, path: string, rttMs: number, relay: string | null, error?: { code: string } }

describe('weft as a product: logs, version, ping, service', () => {
  let net: Testnet
  let alpha: TestDaemon
  let beta: TestDaemon
  // gossip-partition is inert without its block-list file; it is here for the warning it logs.
  before(async () => {
    net = await startTestnet(2, { names: ['alpha', 'beta'], env: { WEFT_TEST_FAULTS: 'gossip-partition' } })
    ;[alpha, beta] = net.daemons as [TestDaemon, TestDaemon]
    await formNetwork([alpha, beta], 'home')
    await waitForOnline(alpha, [beta.deviceId])
  })
  after(async () => { await net.stop() })

  it('the daemon prints warnings on its terminal as human lines, not JSON', () => {
    const lines = alpha.output.split('\n').filter((l) => l !== '')
    assert.ok(lines.some((l) => / WARN {2}TEST FAULT INJECTION ENABLED: .* fault=gossip-partition$/.test(l)), alpha.output)
    assert.ok(!lines.some((l) => l.startsWith('{')), `no JSON on the terminal:\n${alpha.output}`)
  })

  it('weft logs: human-readable by default, raw with --json, filtered with --level', async () => {
    const human = await alpha.cli(['logs'])
    assert.equal(human.code, 0, human.stderr)
    const started = human.stdout.split('\n').find((l) => l.includes('daemon started'))
    assert.match(started ?? '', /^\d{4}-\d\d-\d\dT\S+Z INFO {2}daemon started deviceId=\S+ api=http:\/\/127\.0\.0\.1:\d+$/, human.stdout)
    assert.ok(!human.stdout.split('\n').some((l) => l.startsWith('{')))

    const raw = await alpha.cli(['logs', '--json'])
    assert.equal(raw.code, 0, raw.stderr)
    const entries = raw.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: number, msg: string, deviceId?: string })
    assert.equal(entries.find((e) => e.msg === 'daemon started')?.deviceId, alpha.deviceId)
    assert.ok(entries.some((e) => e.level === 30) && entries.some((e) => e.level === 40))

    const warn = await alpha.cli(['logs', '--json', '--level', 'warn'])
    const warnEntries = warn.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: number, msg: string })
    assert.ok(warnEntries.length > 0 && warnEntries.every((e) => e.level >= 40), warn.stdout)
    assert.ok(warnEntries.some((e) => e.msg.startsWith('TEST FAULT INJECTION')))

    const last = await alpha.cli(['logs', '-n', '1', '--json'])
    assert.equal(last.stdout.trim(), raw.stdout.trim().split('\n').at(-1))

    const bad = await alpha.cli(['logs', '--level', 'loud'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /expected one of trace, debug, info, warn, error, fatal/)
    const missing = await runWeft(['logs', '--home', join(alpha.home, 'nowhere')])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^weft: no log at .*nowhere\/weft\.log/)
  })

  it('weft logs -f prints lines as the daemon writes them', async () => {
    const child = spawn(process.execPath, [weftBin, 'logs', '-f', '--level', 'info', '--home', alpha.home], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    try {
      await waitFor('the follower to print the existing log', () => out.includes('daemon started'))
      await alpha.json(['net', 'create', 'followed'])
      const line = await waitFor('the new line', () => out.split('\n').find((l) => l.includes('network created') && l.includes('name=followed')))
      assert.match(line, / INFO {2}\[networks\] network created network=\S+ name=followed$/)
    } finally {
      child.kill('SIGTERM')
    }
  })

  it('weft version --json: this program, Node, the daemon and the members\' versions', async () => {
    const v = await waitFor('beta\'s announced version', async () => {
      const view = await alpha.json<VersionJson>(['version'])
      return view.members.find((m) => m.name === 'beta')?.version === packageVersion ? view : undefined
    })
    assert.equal(v.version, packageVersion)
    assert.equal(v.node, process.versions.node)
    assert.equal(v.platform, process.platform)
    assert.equal(v.daemon.version, packageVersion)
    assert.equal(typeof v.daemon.pid, 'number')
    const peers = await alpha.json<Array<{ name: string, version: string | null }>>(['peers'])
    assert.equal(peers.find((p) => p.name === 'beta')?.version, packageVersion)
    const human = await alpha.cli(['peers'])
    assert.match(human.stdout, /VERSION/)
    // Without a daemon it still answers for itself.
    const alone = await runWeft(['version', '--json', '--home', join(alpha.home, 'nowhere')])
    assert.equal(alone.code, 0)
    const view = JSON.parse(alone.stdout) as VersionJson
    assert.equal(view.version, packageVersion)
    assert.match(view.daemon.error ?? '', /no weft daemon is running/)
  })

  it('weft ping: path and RTT of each attempt', async () => {
    const attempts = await alpha.json<PingJson[]>(['ping', 'beta', '-c', '2'])
    assert.equal(attempts.length, 2)
    for (const a of attempts) {
      assert.equal(a.ok, true)
      assert.equal(a.name, 'beta')
      assert.equal(a.path, 'lan', 'loopback counts as a LAN path')
      assert.equal(a.relay, null)
      assert.equal(typeof a.rttMs, 'number')
      assert.ok(a.rttMs >= 0)
    }
    // Without -c it stops at the first answer over a LAN or direct path.
    const human = await alpha.cli(['ping', beta.deviceId.slice(0, 7)])
    assert.equal(human.code, 0, human.stderr)
    const lines = human.stdout.trim().split('\n')
    assert.equal(lines.length, 1, human.stdout)
    assert.match(lines[0] ?? '', /^pong from beta \([A-Z2-7]{7}\) via lan \/ip4\/127\.0\.0\.1\/tcp\/\d+\S* in [\d.]+ ms$/)
    const unknown = await alpha.cli(['ping', 'gamma'])
    assert.equal(unknown.code, 1)
    assert.equal(unknown.stderr, 'weft: no member "gamma" (see "weft peers")\n')
  })

  it('weft service: --print writes the unit only; install, status and uninstall in a temporary HOME', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-service-home-'))
    try {
      // No systemctl on PATH: nothing can touch a real service manager.
      const empty = join(dir, 'empty-path')
      await mkdir(empty)
      const env = { HOME: join(dir, 'user'), XDG_CONFIG_HOME: '', PATH: empty, WEFT_HOME: '' }
      const home = join(dir, 'a weft home')
      const printed = await runWeft(['service', 'install', '--print', '--home', home], env)
      assert.equal(printed.code, 0, printed.stderr)
      assert.match(printed.stdout, new RegExp(`^ExecStart=/\\S+/bin/weft daemon --home "${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"$`, 'm'))
      assert.match(printed.stdout, /^Restart=on-failure$/m)
      await assert.rejects(stat(join(dir, 'user')), 'printing changes nothing')

      const installed = await runWeft(['service', 'install', '--home', home, '--json'], env)
      assert.equal(installed.code, 0, installed.stderr)
      const result = JSON.parse(installed.stdout) as { file: string, name: string, todo: string[] }
      assert.equal(result.file, join(dir, 'user', '.config', 'systemd', 'user', 'weft@a-weft-home.service'))
      assert.equal(await readFile(result.file, 'utf8'), printed.stdout)
      assert.deepEqual(result.todo, ['systemctl --user daemon-reload', 'systemctl --user enable --now weft@a-weft-home.service'])

      const status = JSON.parse((await runWeft(['service', 'status', '--home', home, '--json'], env)).stdout) as { installed: boolean, enabled: boolean | null, home: string }
      assert.deepEqual([status.installed, status.enabled, status.home], [true, null, home])

      const removed = await runWeft(['service', 'uninstall', '--home', home], env)
      assert.equal(removed.code, 0, removed.stderr)
      assert.match(removed.stdout, /^removed .*weft@a-weft-home\.service$/m)
      await assert.rejects(stat(result.file))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
