/**
 * The rotating log file and the reader that follows it: across many rotations every line
 * written is read once, in order, whole; old files beyond `keep` are dropped.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate as tick } from 'node:timers/promises'
import { RotatingFile, rotatedPath } from '../core/rotating-file.js'
import { LogReader } from './log-reader.js'

async function withDir (fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-log-'))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('rotating log file', () => {
  it('rotates by size, keeps `keep` old files, and never splits or loses a line', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'weft.log')
      const file = new RotatingFile(path, { maxBytes: 1000, keep: 2 })
      const lines = Array.from({ length: 200 }, (_, i) => `{"level":30,"msg":"line ${i}"}\n`)
      for (const [i, line] of lines.entries()) {
        file.write(line)
        if (i % 7 === 0) await tick()
      }
      file.close()
      const names = (await readdir(dir)).sort()
      assert.deepEqual(names, ['weft.log', 'weft.log.1', 'weft.log.2'])
      const kept = (await Promise.all([rotatedPath(path, 2), rotatedPath(path, 1), path].map(async (p) => await readFile(p, 'utf8')))).join('')
      assert.ok(lines.join('').endsWith(kept), 'the kept files hold the newest lines, in order, whole')
      for (const p of [path, rotatedPath(path, 1), rotatedPath(path, 2)]) {
        const { size } = await stat(p)
        assert.ok(size <= 1000, `${p} is ${size} bytes`)
      }
    })
  })

  it('appends to an existing file and counts its size', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'weft.log')
      await writeFile(path, 'x'.repeat(900) + '\n')
      const file = new RotatingFile(path, { maxBytes: 1000, keep: 1 })
      file.write('y'.repeat(200) + '\n')
      file.close()
      assert.equal(await readFile(path, 'utf8'), 'y'.repeat(200) + '\n')
      assert.equal((await readFile(rotatedPath(path, 1), 'utf8')).length, 901)
    })
  })
})

describe('log reader', () => {
  it('follows a file across rotations and reads every line once, in order', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'weft.log')
      const reader = new LogReader(path)
      assert.deepEqual(await reader.read(), [], 'no file yet')
      assert.equal(reader.opened, false)
      const file = new RotatingFile(path, { maxBytes: 300, keep: 3 })
      const seen: string[] = []
      const written: string[] = []
      for (let i = 0; i < 60; i++) {
        const line = `{"level":30,"msg":"entry ${i}"}`
        written.push(line)
        file.write(line + '\n')
        // Writes land at the end of the turn; the reader looks after each one, so it never
        // falls more than one rotation behind (a slower reader loses files the writer dropped).
        await tick()
        seen.push(...await reader.read())
      }
      file.close()
      seen.push(...await reader.read())
      await reader.close()
      assert.deepEqual(seen, written)
    })
  })

  it('keeps a partial last line until its newline arrives, and restarts after truncation', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'weft.log')
      await writeFile(path, 'one\ntw')
      const reader = new LogReader(path)
      assert.deepEqual(await reader.read(), ['one'])
      await appendFile(path, 'o\nthree\n')
      assert.deepEqual(await reader.read(), ['two', 'three'])
      await writeFile(path, 'four\n')
      assert.deepEqual(await reader.read(), ['four'])
      await reader.close()
    })
  })
})
