// Runs the whole compiled suite with Node's test runner: unit tests beside the sources
// (dist/src) and integration tests that start real daemons (dist/test).
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function find (dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? find(path) : name.endsWith('.test.js') ? [path] : []
  })
}

const only = process.argv.slice(2)
const files = only.length > 0 ? only : [...find('dist/src'), ...find('dist/test')]
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit' })
process.exit(result.status ?? 1)
