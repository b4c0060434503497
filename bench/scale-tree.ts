/**
 * Child process of `npm run bench:scale`: writes N small files (a few bytes each, their number
 * as text) into a tree of 1,000 directories under a folder root with a `.stfolder` marker, in
 * one synchronous loop (the fastest way Node has to create many files), then a marker file
 * next to the root saying how many, so a later run with `--data DIR` reuses the tree.
 * Usage: node dist/bench/scale-tree.js ROOT N
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** Directories the files are spread over. */
export const treeDirectories = 1000

/** Name of file `i` relative to the root. */
export function treeName (i: number): string {
  return `d${String(i % treeDirectories).padStart(3, '0')}/f${i}`
}

/** The marker written once a tree of `n` files is complete. */
export function treeMarker (root: string): string {
  return join(dirname(root), `${root.split('/').pop() ?? 'tree'}.files`)
}

if (process.argv[1]?.endsWith('scale-tree.js') === true) {
  const [root, count] = process.argv.slice(2)
  const n = Number(count)
  if (root === undefined || !Number.isInteger(n) || n < 1) throw new Error('usage: scale-tree.js ROOT N')
  rmSync(treeMarker(root), { force: true })
  rmSync(root, { recursive: true, force: true })
  mkdirSync(root, { recursive: true })
  writeFileSync(join(root, '.stfolder'), '')
  for (let d = 0; d < Math.min(treeDirectories, n); d++) mkdirSync(join(root, `d${String(d).padStart(3, '0')}`))
  for (let i = 0; i < n; i++) writeFileSync(join(root, treeName(i)), `${i}\n`)
  writeFileSync(treeMarker(root), `${n}\n`)
}
