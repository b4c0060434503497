/**
 * Core helpers: base32, durations, atomic writes, lifecycle ordering.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { base32Decode, base32Encode } from './base32.js'
import { formatDuration, formatDurationMs, parseDuration, parseDurationMs } from './duration.js'
import { writeFileAtomic } from './atomic-file.js'
import { startAll, stopAll } from './lifecycle.js'

describe('base32', () => {
  it('round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      assert.deepEqual(base32Decode(base32Encode(bytes)), bytes)
    }))
  })
  it('matches RFC 4648 vectors (unpadded)', () => {
    assert.equal(base32Encode(new TextEncoder().encode('foobar')), 'MZXW6YTBOI')
    assert.equal(base32Encode(new TextEncoder().encode('f')), 'MY')
    assert.equal(base32Decode('1'), undefined)
  })
})

describe('durations', () => {
  it('parse units and refuse nonsense', () => {
    assert.equal(parseDuration('90'), 90)
    assert.equal(parseDuration('10m'), 600)
    assert.equal(parseDuration('24h'), 86400)
    assert.equal(parseDuration('7d'), 604800)
    for (const bad of ['', 'soon', '-1h', '1y', '0s', '1.5h']) assert.throws(() => parseDuration(bad), /duration/)
    assert.equal(formatDuration(7200), '2h')
  })
  it('has one grammar down to milliseconds, in which a bare number is seconds', () => {
    assert.equal(parseDurationMs('500ms'), 500)
    assert.equal(parseDurationMs('30s'), 30_000)
    assert.equal(parseDurationMs('30'), 30_000)
    assert.equal(parseDurationMs('10m'), 600_000)
    assert.equal(parseDurationMs('24h'), 86_400_000)
    assert.equal(parseDurationMs('7d'), 604_800_000)
    assert.equal(parseDurationMs(' 2w '), 1_209_600_000)
    for (const bad of ['', 'ms', '0ms', '1.5s', '10 m', '5M', '3mo', '-5s', '9999999999999d']) assert.throws(() => parseDurationMs(bad), /duration/)
    assert.throws(() => parseDuration('1500ms'), /whole seconds/)
    assert.equal(parseDuration('2000ms'), 2)
    for (const ms of [1, 500, 1000, 1500, 60_000, 90_000, 3_600_000, 86_400_000]) assert.equal(parseDurationMs(formatDurationMs(ms)), ms)
    assert.equal(formatDurationMs(90_000), '90s')
  })
})

describe('atomic writes', () => {
  it('replace the file whole, leave no temporary files, and are private by default', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-atomic-'))
    try {
      const path = join(dir, 'a.json')
      await writeFileAtomic(path, 'one')
      await writeFileAtomic(path, 'two')
      assert.equal(await readFile(path, 'utf8'), 'two')
      assert.deepEqual(await readdir(dir), ['a.json'])
      assert.equal((await stat(path)).mode & 0o777, 0o600)
    } finally {
      await rm(dir, { recursive: true })
    }
  })
})

describe('lifecycle', () => {
  it('stops what started, in reverse, when a later start fails', async () => {
    const log: string[] = []
    const component = (name: string, fail = false): { start: () => Promise<void>, stop: () => Promise<void> } => ({
      start: async () => { await Promise.resolve(); if (fail) throw new Error(`${name} failed`); log.push(`start ${name}`) },
      stop: async () => { await Promise.resolve(); log.push(`stop ${name}`) }
    })
    await assert.rejects(startAll([component('a'), component('b'), component('c', true)]), /c failed/)
    assert.deepEqual(log, ['start a', 'start b', 'stop b', 'stop a'])
    log.length = 0
    await stopAll([component('x'), component('y')])
    assert.deepEqual(log, ['stop y', 'stop x'])
  })
})
