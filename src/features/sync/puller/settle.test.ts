/**
 * SettleBatch: entries are recorded in batches, in order, each batch only after the
 * directories asked for were fsynced; a failed commit is reported by close() and nothing
 * after it is recorded; a directory removed meanwhile does not fail the batch.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FileInfo } from '../types.js'
import { SettleBatch } from './settle.js'

function record (name: string): FileInfo {
  return { name, type: 'file', size: 0, permissions: 0o644, modifiedS: 0, modifiedNs: 0, modifiedBy: 0n, deleted: false, invalid: false, noPermissions: false, version: [], sequence: 0, blockSize: 0, blocks: [], symlinkTarget: '' } as unknown as FileInfo
}

describe('SettleBatch', () => {
  it('records queued entries in order, in few commits', async () => {
    const batches: string[][] = []
    const settle = new SettleBatch({ commit: () => { throw new Error('commitMany expected') }, commitMany: (files) => { batches.push(files.map((f) => f.name)) } })
    for (let i = 0; i < 1200; i++) settle.add(record(`f${i}`))
    await settle.close()
    const names = batches.flat()
    assert.equal(names.length, 1200)
    assert.deepEqual(names, Array.from({ length: 1200 }, (_, i) => `f${i}`))
    assert.ok(batches.length <= 4, `${batches.length} commits for 1,200 entries`)
  })

  it('commits a lone entry after a short wait, without close', async () => {
    const seen: string[] = []
    const settle = new SettleBatch({ commit: (f) => { seen.push(f.name) } })
    settle.add(record('late'))
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.deepEqual(seen, ['late'])
    await settle.close()
  })

  it('ignores a directory removed since it was queued, and fails on other errors', async () => {
    const root = await mkdtemp(join(tmpdir(), 'weft-settle-'))
    try {
      const seen: string[] = []
      const settle = new SettleBatch({ commit: (f) => { seen.push(f.name) } })
      settle.syncDir(root)
      settle.syncDir(join(root, 'gone'))
      settle.add(record('a'))
      await settle.close()
      assert.deepEqual(seen, ['a'])
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('reports a failed commit and records nothing after it', async () => {
    const seen: string[] = []
    const settle = new SettleBatch({
      commit: (f) => {
        if (f.name === 'bad') throw new Error('index write failed')
        seen.push(f.name)
      }
    })
    settle.add(record('bad'))
    await settle.flush()
    settle.add(record('after'))
    await assert.rejects(settle.close(), /index write failed/)
    assert.deepEqual(seen, [])
  })
})
