/**
 * README's "Trying it on one machine", run as written: the shell block is read from README.md
 * and must be the one below (change both together); its commands then run in order, with the
 * two homes and folders under a temporary directory and the namespace named for this run:
 * two `weft daemon`s on default ports in a fresh network namespace (only `lo`, so mDNS and
 * everything else stay inside it), a network created, invited and joined, a member online, a
 * folder offered, accepted and synced. Each step's outcome is what the README's comments say.
 * Needs root for the namespace; elsewhere it prints one line and skips. Waits are bounded
 * only so that a failure ends; no timing is asserted.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { netnsUnavailable, runWeft, waitFor } from '../../src/testing/index.js'
import type { CliResult } from '../../src/testing/index.js'
import { weftLauncher } from '../../src/testing/testnet.js'

/** The README's block, line for line (`/tmp/a`, `/tmp/b`, `try` are replaced when run). */
const recipe = [
  'ip netns add try && ip -n try link set lo up',
  'w () { ip netns exec try npx weft "$@"; }',
  'w daemon --home /tmp/a --name a &',
  'w daemon --home /tmp/b --name b &     # "port 7557 (api.port) is in use: using 7560 instead" (or the same for a)',
  '# once both have printed their banner:',
  'w --home /tmp/a net create lab',
  'w --home /tmp/b net join "$(w --home /tmp/a net invite lab)"',
  'w --home /tmp/b peers                 # a, online',
  'mkdir -p /tmp/a-docs && echo hello > /tmp/a-docs/hello.txt',
  'w --home /tmp/a folder add /tmp/a-docs --net lab --id docs',
  'w --home /tmp/b folder ls             # offered: docs ("docs") by a (...) in network lab; accept with: ...',
  'w --home /tmp/b folder add /tmp/b-docs --net lab --id docs',
  'w --home /tmp/b folder status docs --wait',
  'cat /tmp/b-docs/hello.txt             # hello'
]

const readme = fileURLToPath(new URL('../../../README.md', import.meta.url))

/** The shell block under "Trying it on one machine". */
async function readmeBlock (): Promise<string[]> {
  const text = await readFile(readme, 'utf8')
  const section = text.slice(text.indexOf('### Trying it on one machine'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)
  assert.ok(block?.[1] !== undefined, 'README.md has no sh block under "Trying it on one machine"')
  return block[1].trimEnd().split('\n')
}

async function ip (args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('ip', args, (err, _stdout, stderr) => { if (err === null) resolve(); else reject(new Error(`ip ${args.join(' ')}: ${stderr}`)) })
  })
}

/** `w daemon ... &`: a daemon in the namespace, its output kept. */
class Background {
  output = ''
  readonly child: ChildProcess
  constructor (wrap: string[], args: string[]) {
    const [command, ...prefix] = [...wrap, weftLauncher]
    this.child = spawn(command, [...prefix, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child.stdout?.on('data', (d: Buffer) => { this.output += d.toString() })
    this.child.stderr?.on('data', (d: Buffer) => { this.output += d.toString() })
  }

  async stop (): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    await exited
  }
}

const unavailable = await netnsUnavailable()
if (unavailable !== undefined) console.log(`# skipped the README recipe test: ${unavailable}`)

describe('README: trying it on one machine', { skip: unavailable, timeout: 300_000 }, () => {
  const ns = `weft-t-readme-${process.pid}-${randomBytes(3).toString('hex')}`
  const wrap = ['ip', 'netns', 'exec', ns]
  let dir = ''
  const daemons: Background[] = []
  const path = (p: string): string => join(dir, p.replace(/^\/tmp\//, ''))
  const w = async (args: string[]): Promise<CliResult> => await runWeft(args, {}, wrap)
  const ok = async (args: string[]): Promise<string> => {
    const r = await w(args)
    assert.equal(r.code, 0, `weft ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'weft-readme-')) })
  after(async () => {
    await Promise.allSettled(daemons.map(async (d) => { await d.stop() }))
    await ip(['netns', 'del', ns]).catch(() => {})
    if (dir !== '') await rm(dir, { recursive: true, force: true })
  })

  it('is the block README.md shows', async () => {
    assert.deepEqual(await readmeBlock(), recipe, 'README.md\'s recipe changed: update this test with it')
  })

  it('runs as written, with the outcome the README promises', async () => {
    const [a, b] = [path('/tmp/a'), path('/tmp/b')]
    // ip netns add try && ip -n try link set lo up
    await ip(['netns', 'add', ns])
    await ip(['-n', ns, 'link', 'set', 'lo', 'up'])
    // w daemon --home /tmp/a --name a & / w daemon --home /tmp/b --name b &
    const da = new Background(wrap, ['daemon', '--home', a, '--name', 'a'])
    const db = new Background(wrap, ['daemon', '--home', b, '--name', 'b'])
    daemons.push(da, db)
    // once both have printed their banner:
    await waitFor('both banners', () => {
      for (const d of [da, db]) if (d.child.exitCode !== null) throw new Error(`a daemon exited:\n${d.output}`)
      return /running as "a"/.test(da.output) && /running as "b"/.test(db.output)
    }, 120_000)
    assert.match(da.output + db.output, /port 7557 \(api\.port\) is in use: using \d+ instead/)
    const aId = (JSON.parse(await ok(['--home', a, 'status', '--json'])) as { deviceId: string }).deviceId
    // w --home /tmp/a net create lab
    await ok(['--home', a, 'net', 'create', 'lab'])
    // w --home /tmp/b net join "$(w --home /tmp/a net invite lab)"
    const code = (await ok(['--home', a, 'net', 'invite', 'lab'])).replace(/\n+$/, '')
    assert.match(await ok(['--home', b, 'net', 'join', code]), /joined network "lab"/)
    // w --home /tmp/b peers: a, online
    await waitFor('a online in b\'s peers', async () => new RegExp(`^a\\s+${aId.slice(0, 7)}\\s+yes\\s`, 'm').test(await ok(['--home', b, 'peers'])), 60_000)
    // mkdir -p /tmp/a-docs && echo hello > /tmp/a-docs/hello.txt
    await mkdir(path('/tmp/a-docs'), { recursive: true })
    await writeFile(join(path('/tmp/a-docs'), 'hello.txt'), 'hello\n')
    // w --home /tmp/a folder add /tmp/a-docs --net lab --id docs
    await ok(['--home', a, 'folder', 'add', path('/tmp/a-docs'), '--net', 'lab', '--id', 'docs'])
    // w --home /tmp/b folder ls: offered: docs ("docs") by a (...) in network lab; accept with: ...
    const offered = `offered: docs ("docs") by a (${aId.slice(0, 7)}) in network lab; accept with: `
    await waitFor('the offer', async () => (await ok(['--home', b, 'folder', 'ls'])).includes(offered), 60_000)
    // w --home /tmp/b folder add /tmp/b-docs --net lab --id docs
    await ok(['--home', b, 'folder', 'add', path('/tmp/b-docs'), '--net', 'lab', '--id', 'docs'])
    // w --home /tmp/b folder status docs --wait
    await ok(['--home', b, 'folder', 'status', 'docs', '--wait'])
    // cat /tmp/b-docs/hello.txt: hello
    assert.equal(await readFile(join(path('/tmp/b-docs'), 'hello.txt'), 'utf8'), 'hello\n')

    // Beyond the recipe: where people read about a, they see its name and short ID, never its full ID.
    const record = await ok(['--home', b, 'folder', 'file', 'docs', 'hello.txt'])
    assert.match(record, new RegExp(`^global: .* by a \\(${aId.slice(0, 7)}\\), version a \\(${aId.slice(0, 7)}\\):\\d+`, 'm'))
    const doctor = await ok(['--home', b, 'doctor'])
    assert.match(doctor, new RegExp(`^a\\s+${aId.slice(0, 7)}\\s`, 'm'))
    for (const out of [record, doctor]) assert.ok(!out.includes(aId), `a full device ID in:\n${out}`)
  })
})
