/**
 * weft as a package (issue 23): `npm pack` of this checkout, the tarball installed offline into
 * a fresh temporary package where the example program runs (two in-process nodes form a network
 * and exchange a message over a stream, through `import { createNode } from 'weft'`), and the
 * `weft` command of an install under a temporary prefix. Nothing touches the real global prefix.
 *
 * The tarball is packed from what `npm test` just built (`--ignore-scripts`: prepack would
 * rebuild dist/ under the tests running beside this one). Installs are offline, from the npm
 * cache `npm ci` filled; the fresh package gets a lockfile pinning the versions of this checkout's
 * lockfile, because npm resolves a package without one from full registry documents that
 * `npm ci` never fetched. SQLite's native module is handed to better-sqlite3's installer as a
 * local prebuild made from this checkout's build (same version, same Node ABI), so the install
 * does not spend minutes compiling SQLite; a user's install downloads or compiles it as usual.
 */
import { describe, it, before, after } from 'node:test'
import type { TestContext } from 'node:test'
import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../../', import.meta.url))

interface Run { code: number, stdout: string, stderr: string }

/** Runs a command; never rejects. npm's variables of an enclosing `npm test` are left out. */
async function run (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeout = 600_000): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')))
  return await new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...clean, npm_config_update_notifier: 'false', ...env }, timeout, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}

interface Manifest { name: string, version: string, license: string, bin: Record<string, string>, engines: Record<string, string>, dependencies: Record<string, string>, scripts: Record<string, string> }
interface LockEntry { dev?: boolean }

/** A fresh package depending on the tarball, with a lockfile of this checkout's runtime dependencies. */
async function freshPackage (dir: string, tarball: string, manifest: Manifest): Promise<void> {
  const spec = `file:${relative(dir, tarball)}`
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  const integrity = `sha512-${createHash('sha512').update(await readFile(tarball)).digest('base64')}`
  const packages: Record<string, unknown> = {
    '': { name: 'weft-package-test', version: '1.0.0', dependencies: { weft: spec } },
    'node_modules/weft': { version: manifest.version, resolved: spec, integrity, license: manifest.license, dependencies: manifest.dependencies, bin: manifest.bin, engines: manifest.engines }
  }
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path !== '' && entry.dev !== true) packages[path] = entry
  }
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'weft-package-test', version: '1.0.0', private: true, type: 'module', dependencies: { weft: spec } }, null, 2))
  await writeFile(join(dir, 'package-lock.json'), JSON.stringify({ name: 'weft-package-test', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2))
}

/** Packs this checkout's better-sqlite3 build as a prebuild its installer takes; returns the environment that points it there. */
async function localPrebuild (dir: string): Promise<NodeJS.ProcessEnv> {
  const pkg = join(root, 'node_modules', 'better-sqlite3')
  if (!await exists(join(pkg, 'build', 'Release', 'better_sqlite3.node'))) return {}
  const { version } = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8')) as { version: string }
  await mkdir(dir, { recursive: true })
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
  const packed = await run('tar', ['-czf', join(dir, name), '-C', pkg, 'build/Release/better_sqlite3.node'], root)
  return packed.code === 0 ? { npm_config_better_sqlite3_local_prebuilds: dir } : {}
}

/** Why an offline install failed for want of something in the cache, or undefined for another failure. */
function offlineProblem (result: Run): string | undefined {
  return /ENOTCACHED/.test(result.stderr) ? (/npm error (request to .*)/.exec(result.stderr)?.[1] ?? 'ENOTCACHED') : undefined
}

/** A TypeScript program using the library as an application would (type-checked, not run). */
const consumerSource = `import { createNode, WeftError } from 'weft'
import type { DeviceId, NetworkSummary, WeftNode, WeftStream } from 'weft'

export async function main (): Promise<void> {
  const node: WeftNode = await createNode({ home: './data', loopback: true })
  await node.start()
  const net: NetworkSummary = await node.networks.create('home')
  const off = node.on('member:online', ({ deviceId }) => { const id: DeviceId = deviceId; console.log(id) })
  const stream: WeftStream = await node.streams.open('chat', { network: net.name })
  await stream.write('hello')
  const text: string = await stream.text()
  node.kv.put('k', text)
  off()
  // @ts-expect-error unknown events do not type-check
  node.on('no-such-event', () => {})
  await node.stop().catch((err: unknown) => { if (err instanceof WeftError) console.log(err.code) })
}
`

describe('the npm package', { timeout: 1_800_000 }, () => {
  let dir = ''
  let tarball = ''
  let manifest: Manifest
  let prebuildEnv: NodeJS.ProcessEnv = {}
  let files: string[] = []
  /** The fresh package with the tarball installed, once that worked. */
  let app: string | undefined

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-package-'))
    manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Manifest
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root)
    assert.equal(packed.code, 0, `npm pack failed: ${packed.stderr}`)
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string, files: Array<{ path: string }> }>
    assert.ok(info !== undefined)
    tarball = join(dir, info.filename)
    files = info.files.map((f) => f.path)
    prebuildEnv = await localPrebuild(join(dir, 'prebuilds'))
  })

  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true })
  })

  it('holds the command, the library with its types, the dashboard, the example and LICENSE, and no tests', () => {
    for (const f of ['bin/weft', 'bin/weft.js', 'dist/src/cli/main.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/web/index.html', 'examples/two-nodes.mjs', 'docs/LIBRARY.md', 'LICENSE', 'README.md', 'package.json']) {
      assert.ok(files.includes(f), `${f} is missing from the tarball`)
    }
    const stray = files.filter((f) => /\.test\.|^dist\/(test|bench)\/|^(src|test|bench|web|scripts)\/|\.map$|\.ts$/.test(f) && !f.endsWith('.d.ts'))
    assert.deepEqual(stray, [])
    // npm start hands its process to the daemon, so a SIGTERM or SIGINT to npm reaches it.
    assert.match(manifest.scripts.start ?? '', /&& exec bin\/weft daemon$/)
  })

  it('installs offline into a fresh package, where the example forms a network and exchanges a message', async (t: TestContext) => {
    const where = join(dir, 'app')
    await freshPackage(where, tarball, manifest)
    const installed = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], where, prebuildEnv, 900_000)
    const problem = offlineProblem(installed)
    if (problem !== undefined) {
      console.log(`skipped: the tarball cannot be installed offline here (${problem})`)
      return t.skip('cannot install offline')
    }
    assert.equal(installed.code, 0, `npm install failed:\n${installed.stderr}`)
    // Only runtime dependencies came along.
    assert.equal(await exists(join(where, 'node_modules', 'typescript')), false)
    app = where
    await copyFile(join(where, 'node_modules', 'weft', 'examples', 'two-nodes.mjs'), join(where, 'two-nodes.mjs'))
    const example = await run(process.execPath, ['two-nodes.mjs'], where, {}, 180_000)
    assert.equal(example.code, 0, `the example failed:\n${example.stdout}\n${example.stderr}`)
    assert.match(example.stdout, /bob received: hello from alice/)
  })

  it('gives TypeScript users the library\'s types through the package\'s exports', async (t: TestContext) => {
    if (app === undefined) return t.skip('the tarball could not be installed')
    await writeFile(join(app, 'consumer.ts'), consumerSource)
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] },
      files: ['consumer.ts']
    }))
    const checked = await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], app)
    assert.equal(checked.code, 0, `type check of a consumer failed:\n${checked.stdout}${checked.stderr}`)
  })

  it('installs with npm install -g under a prefix and gives a working weft command', async (t: TestContext) => {
    const prefix = join(dir, 'global')
    const installed = await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], dir, prebuildEnv, 900_000)
    const problem = offlineProblem(installed)
    let bin = join(prefix, 'bin', 'weft')
    if (problem !== undefined) {
      if (app === undefined) return t.skip('cannot install offline')
      // A global install links <prefix>/bin/weft to the package's bin/weft, as a local one links node_modules/.bin/weft.
      console.log(`npm install -g cannot resolve offline here (${problem}): checking the weft command of the local install instead`)
      bin = join(app, 'node_modules', '.bin', 'weft')
    } else {
      assert.equal(installed.code, 0, `npm install -g failed:\n${installed.stderr}`)
    }
    const version = await run(bin, ['--version'], dir)
    assert.equal(version.code, 0, version.stderr)
    assert.equal(version.stdout.trim(), manifest.version)
    const home = join(dir, 'home')
    const init = await run(bin, ['init', '--home', home, '--json', '--no-mdns', '--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0'], dir)
    assert.equal(init.code, 0, init.stderr)
    assert.match((JSON.parse(init.stdout) as { deviceId: string }).deviceId, /^[A-Z2-7]{7}(-[A-Z2-7]{7}){7}$/)
  })
})
