/**
 * Service definitions: names, systemd quoting of paths with spaces and specials, the unit
 * and plist contents, `systemd-analyze verify` of a generated unit, and install/uninstall
 * into a temporary HOME (no service manager on PATH, or a recording stand-in for one).
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { installService, launcherPath, planService, serviceStatus, uninstallService } from './manager.js'
import { launchdPlist, serviceNames, shellWord, systemdUnit, systemdWord } from './units.js'

const spec = { weft: '/opt/weft app/bin/weft', home: '/home/ann/my weft', path: '/usr/local/bin:/usr/bin:/bin' }

async function withDir (fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-service-'))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('service names', () => {
  it('plain for the default home, weft@NAME otherwise', () => {
    assert.deepEqual(serviceNames('/home/ann/.local/share/weft', true), { unit: 'weft.service', label: 'weft.daemon' })
    assert.deepEqual(serviceNames('/srv/weft/laptop', false), { unit: 'weft@laptop.service', label: 'weft.daemon.laptop' })
    assert.deepEqual(serviceNames('/srv/my home', false), { unit: 'weft@my-home.service', label: 'weft.daemon.my-home' })
    assert.deepEqual(serviceNames('/x', true, 'second'), { unit: 'weft@second.service', label: 'weft.daemon.second' })
    assert.match(serviceNames('/srv/...', false).unit, /^weft@[0-9a-f]{8}\.service$/)
  })
})

describe('systemd quoting', () => {
  it('leaves plain words alone and quotes the rest', () => {
    assert.equal(systemdWord('/usr/bin/weft'), '/usr/bin/weft')
    assert.equal(systemdWord('/home/ann/my weft'), '"/home/ann/my weft"')
    assert.equal(systemdWord('a"b\\c'), '"a\\"b\\\\c"')
    assert.equal(systemdWord(';'), '";"')
    assert.equal(systemdWord(''), '""')
    assert.equal(systemdWord("it's"), '"it\'s"')
  })
  it('escapes specifiers, and variables in command lines only', () => {
    assert.equal(systemdWord('/x/100%'), '/x/100%%')
    assert.equal(systemdWord('/x/$HOME'), '/x/$$HOME')
    assert.equal(systemdWord('PATH=/a $b', false), '"PATH=/a $b"')
  })
  it('refuses control characters', () => {
    assert.throws(() => systemdWord('/x\ny'), { code: 'INVALID_ARGUMENT' })
  })
  it('shell words for printed commands', () => {
    assert.equal(shellWord('/a/b.plist'), '/a/b.plist')
    assert.equal(shellWord("/a b/it's"), "'/a b/it'\\''s'")
  })
})

describe('systemd unit', () => {
  it('runs the launcher on the home, restarts on failure, starts with the user session', () => {
    const unit = systemdUnit(spec)
    assert.match(unit, /^ExecStart="\/opt\/weft app\/bin\/weft" daemon --home "\/home\/ann\/my weft"$/m)
    assert.match(unit, /^Restart=on-failure$/m)
    assert.match(unit, /^WantedBy=default\.target$/m)
    assert.match(unit, /^Environment=PATH=\/usr\/local\/bin:\/usr\/bin:\/bin$/m)
    assert.match(unit, /^\[Unit\]$/m)
  })

  it('passes systemd-analyze verify (ExecStart pointing at the real launcher, a home with spaces)', async (t) => {
    const analyze = '/usr/bin/systemd-analyze'
    if (!existsSync(analyze)) {
      t.skip('systemd-analyze is not installed here')
      return
    }
    await withDir(async (dir) => {
      const file = join(dir, 'weft@test.service')
      await writeFile(file, systemdUnit({ weft: launcherPath(), home: join(dir, 'a home with 100% $pace'), path: spec.path }))
      const result = await new Promise<{ code: number, output: string }>((resolve) => {
        execFile(analyze, ['verify', file], (err, stdout, stderr) => { resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: stdout + stderr }) })
      })
      const cannotRun = /Failed to (?:initialize|setup|connect|create)|Operation not permitted|No such file or directory.*(?:\/run|\/sys)/i
      if (result.code !== 0 && cannotRun.test(result.output) && !result.output.includes(file)) {
        t.skip(`systemd-analyze cannot run in this container: ${result.output.trim().split('\n')[0] ?? ''}`)
        return
      }
      assert.equal(result.code, 0, result.output)
      assert.equal(result.output.trim(), '', 'verify prints nothing for a good unit')
    })
  })
})

describe('launchd agent', () => {
  it('starts at load, keeps alive on failure, escapes XML', () => {
    const plist = launchdPlist({ ...spec, home: '/Users/ann/A&B <weft>' }, 'weft.daemon', { stdout: '/o', stderr: '/e' })
    assert.match(plist, /<key>Label<\/key>\s*<string>weft\.daemon<\/string>/)
    assert.match(plist, /<key>RunAtLoad<\/key>\s*<true\/>/)
    assert.match(plist, /<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>/)
    assert.match(plist, /<string>\/opt\/weft app\/bin\/weft<\/string>\s*<string>daemon<\/string>\s*<string>--home<\/string>\s*<string>\/Users\/ann\/A&amp;B &lt;weft&gt;<\/string>/)
    assert.ok(!plist.includes('A&B'))
  })
})

describe('install and uninstall', () => {
  it('place the unit under XDG_CONFIG_HOME and leave the commands to the user without systemctl', async () => {
    await withDir(async (dir) => {
      const world = { env: { HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'config'), PATH: join(dir, 'empty') }, platform: 'linux' as const }
      const home = join(dir, 'weft home')
      const plan = planService(home, false, undefined, world)
      assert.equal(plan.file, join(dir, 'config', 'systemd', 'user', 'weft@weft-home.service'))
      const change = await installService(plan, world)
      assert.deepEqual(change.todo, ['systemctl --user daemon-reload', 'systemctl --user enable --now weft@weft-home.service'])
      assert.equal(await readFile(plan.file, 'utf8'), plan.text)
      assert.deepEqual(await serviceStatus(plan, world), { platform: 'linux', name: 'weft@weft-home.service', file: plan.file, installed: true, enabled: null, running: null, home })
      await assert.rejects(installService(planService(join(dir, 'elsewhere', 'weft home'), false, undefined, world), world), { code: 'ALREADY_EXISTS' })
      // What `systemctl enable` would have linked goes with the unit.
      const wants = join(dir, 'config', 'systemd', 'user', 'default.target.wants')
      await mkdir(wants)
      await symlink(plan.file, join(wants, plan.names.unit))
      const removed = await uninstallService(plan, world)
      assert.deepEqual(removed.done, [`removed ${plan.file}`, `removed ${join(wants, plan.names.unit)}`])
      assert.equal((await serviceStatus(plan, world)).installed, false)
    })
  })

  it('run systemctl --user in order when it is there, and report a failure with what is left', async () => {
    await withDir(async (dir) => {
      const calls: string[] = []
      const world = {
        env: { HOME: join(dir, 'home'), PATH: '' },
        platform: 'linux' as const,
        run: async (_command: string, args: string[]) => {
          calls.push(args.join(' '))
          return await Promise.resolve(args.includes('enable') ? { code: 1, output: 'Failed to connect to bus' } : { code: 0, output: '' })
        }
      }
      const plan = { ...planService(join(dir, 'h'), true, undefined, world), manager: '/bin/systemctl' }
      assert.equal(plan.file, join(dir, 'home', '.config', 'systemd', 'user', 'weft.service'))
      const change = await installService(plan, world)
      assert.deepEqual(calls, ['--user daemon-reload', '--user enable --now weft.service'])
      assert.deepEqual(change.todo, ['systemctl --user enable --now weft.service'])
      assert.match(change.done.join('\n'), /enable --now weft.service failed: Failed to connect to bus/)
    })
  })

  it('place a launchd agent under ~/Library/LaunchAgents on macOS', async () => {
    await withDir(async (dir) => {
      const world = { env: { HOME: dir, PATH: '' }, platform: 'darwin' as const }
      const plan = planService(join(dir, 'h'), false, 'work', world)
      assert.equal(plan.file, join(dir, 'Library', 'LaunchAgents', 'weft.daemon.work.plist'))
      const change = await installService(plan, world)
      assert.match(change.todo[0] ?? '', /^launchctl bootstrap gui\/\d+ /)
      assert.equal((await serviceStatus(plan, world)).home, join(dir, 'h'))
    })
  })

  it('refuse platforms without a known service manager', () => {
    assert.throws(() => planService('/h', true, undefined, { env: { HOME: '/x' }, platform: 'win32' }), { code: 'INVALID_ARGUMENT' })
  })
})
