/**
 * JSON state files: bad JSON and bad fields fail with CONFIG_INVALID naming the file and the
 * field, a missing file gives the fallback, saving is atomic and round-trips.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { WeftError } from './errors.js'
import { parseJsonText, readJsonFile, validateJson, writeJsonFile } from './json-file.js'

const schema = z.object({
  version: z.literal(1),
  items: z.array(z.object({ name: z.string(), port: z.number().int() }).strict())
}).strict()

function configInvalid (pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => err instanceof WeftError && err.code === 'CONFIG_INVALID' && pattern.test(err.message)
}

describe('JSON state files', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'weft-json-')) })
  after(async () => { await rm(dir, { recursive: true }) })

  it('give the fallback (or undefined) when the file is missing', async () => {
    const path = join(dir, 'missing.json')
    assert.equal(await readJsonFile(path, schema), undefined)
    assert.deepEqual(await readJsonFile(path, schema, { version: 1, items: [] }), { version: 1, items: [] })
  })

  it('refuse a file that is not JSON, naming the file', async () => {
    const path = join(dir, 'broken.json')
    await writeFile(path, '{ "version": 1, ')
    await assert.rejects(readJsonFile(path, schema), configInvalid(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON \\(`)))
  })

  it('refuse a bad field, naming the file and the dotted field', async () => {
    const path = join(dir, 'bad-field.json')
    await writeFile(path, JSON.stringify({ version: 1, items: [{ name: 'a', port: 1 }, { name: 'b', port: 'eighty' }] }))
    await assert.rejects(readJsonFile(path, schema), configInvalid(/bad-field\.json: items\.1\.port: /))
    assert.throws(() => validateJson(schema, { version: 1, items: [], extra: true }, 'here'), configInvalid(/^here: .*extra/))
    assert.throws(() => parseJsonText(schema, '[]', 'there'), configInvalid(/^there: /))
  })

  it('save atomically: the content round-trips, no temporary file stays, the file is private', async () => {
    const path = join(dir, 'sub', 'state.json')
    const value = { version: 1 as const, items: [{ name: 'web', port: 8080 }] }
    await writeJsonFile(path, value)
    await writeJsonFile(path, { ...value, items: [] })
    assert.deepEqual(await readJsonFile(path, schema), { version: 1, items: [] })
    assert.deepEqual(await readdir(join(dir, 'sub')), ['state.json'])
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    assert.ok((await readFile(path, 'utf8')).endsWith('\n'))
    await writeJsonFile(path, value, { mode: 0o644 })
    assert.equal((await stat(path)).mode & 0o777, 0o644)
  })
})
