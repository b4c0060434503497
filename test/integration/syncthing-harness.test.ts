/**
 * The Syncthing test harness (src/testing/syncthing.ts) against the real binary: two instances
 * in a namespace holding only loopback, paired and sharing a folder through REST, sync a file.
 * Skipped (one line) where `syncthing` or network namespaces are missing.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { SyncthingInstance, pairSyncthing, syncthingUnavailable, createLoopbackNamespace, netnsUnavailable } from '../../src/testing/index.js'
import type { LoopbackNamespace } from '../../src/testing/index.js'

const unavailable = await syncthingUnavailable() ?? await netnsUnavailable()
if (unavailable !== undefined) console.log(`# skipped Syncthing harness tests: ${unavailable}`)

describe('Syncthing harness', { skip: unavailable }, () => {
  let ns: LoopbackNamespace | undefined
  let dir: string
  const instances: SyncthingInstance[] = []
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-st-harness-'))
    ns = await createLoopbackNamespace('st')
  })
  after(async () => {
    await Promise.allSettled(instances.map(async (i) => { await i.stop() }))
    await ns?.remove()
    await rm(dir, { recursive: true, force: true })
  })

  it('pairs two instances and syncs a shared folder', async () => {
    const [a, b] = await Promise.all(['st-a', 'st-b'].map(async (name) => await SyncthingInstance.start({ name, wrap: ns!.wrap })))
    instances.push(a!, b!)
    assert.match(a!.deviceId, /^([A-Z0-9]{7}-){7}[A-Z0-9]{7}$/)
    assert.ok(a!.pid > 0)
    await pairSyncthing(a!, b!)
    const data = randomBytes(300_000)
    for (const [i, side] of [a!, b!].entries()) {
      const path = join(dir, side.name)
      await mkdir(path)
      if (i === 0) await writeFile(join(path, 'hello.bin'), data)
      await side.shareFolder({ id: 'harness', path, devices: [a!.deviceId, b!.deviceId] })
    }
    await a!.scan('harness')
    await b!.waitInSync('harness', 1, 60_000)
    assert.deepEqual(await readFile(join(dir, 'st-b', 'hello.bin')), data)
    const completion = await a!.completion('harness', b!.deviceId)
    assert.equal(completion.completion, 100)
  })
})
