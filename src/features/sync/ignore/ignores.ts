/**
 * `.stignore` parsing and matching with Syncthing's semantics: lines are patterns tried in
 * order and the first match decides; `!` un-ignores, `(?i)` folds case, `(?d)` marks ignored
 * files deletable when they block a directory's removal; a leading `/` anchors a pattern at
 * the folder root, otherwise it matches at any depth; a pattern that matches a directory
 * also matches everything inside it (`foo/` matches only the contents); `#include FILE`
 * splices in another file's patterns (paths relative to the including file, patterns still
 * relative to the folder root); `//` starts a comment. Pure apart from the include reader.
 */
import { posix } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import { globToRegexSource } from './glob.js'
import { ignoreFileName, isInternal, isTemporary } from './internal.js'

/** What the ignore patterns say about one path. */
export interface IgnoreResult {
  /** Not synced: matched by an ignore pattern (or internal / temporary). */
  ignored: boolean
  /** Ignored with `(?d)`: may be removed when it is all that keeps a directory alive. */
  deletable: boolean
}

/** Compiled ignore patterns of one folder. */
export interface Ignores {
  /** Matches a folder-relative, `/`-separated, NFC path (file or directory). */
  match: (relPath: string) => IgnoreResult
  /**
   * True when an ignored directory can be skipped without looking inside: no `!` pattern
   * could re-include something below one (Syncthing's rule).
   */
  readonly skipIgnoredDirs: boolean
  /** The effective pattern lines, includes expanded, in match order (for display). */
  readonly patterns: readonly string[]
}

/** Reads an included file by folder-relative path; `undefined` when it does not exist. */
export type IncludeReader = (relPath: string) => Promise<string | undefined>

/** Options of {@link compileIgnores}. */
export interface CompileIgnoresOptions {
  /** Reader for `#include`; without one, any `#include` line is an error. */
  readInclude?: IncludeReader
  /** Fold case for every pattern, as Syncthing does on macOS and Windows. */
  caseInsensitive?: boolean
  /** Name of the file the text came from, for error messages and relative includes. */
  fileName?: string
}

interface Rule {
  line: string
  regex: RegExp
  ignore: boolean
  deletable: boolean
}

const notIgnored: IgnoreResult = Object.freeze({ ignored: false, deletable: false })
const internalResult: IgnoreResult = Object.freeze({ ignored: true, deletable: false })
const temporaryResult: IgnoreResult = Object.freeze({ ignored: true, deletable: true })

interface Prefixes { negated: boolean, foldCase: boolean, deletable: boolean, body: string }

/** Strips the `!`, `(?i)`, `(?d)` prefixes, each allowed once, in any order. */
function parsePrefixes (line: string): Prefixes {
  const p: Prefixes = { negated: false, foldCase: false, deletable: false, body: line }
  for (;;) {
    if (p.body.startsWith('!') && !p.negated) p.negated = true
    else if (p.body.startsWith('(?i)') && !p.foldCase) p.foldCase = true
    else if (p.body.startsWith('(?d)') && !p.deletable) p.deletable = true
    else return p
    p.body = p.body.slice(p.body.startsWith('!') ? 1 : 4)
  }
}

/** The regular expression source for one pattern body, with Syncthing's expansions. */
function patternSource (body: string): string {
  let rooted = false
  let glob = body
  if (glob.startsWith('/')) {
    rooted = true
    glob = glob.slice(1)
  } else if (glob.startsWith('**/')) {
    glob = glob.slice(3) // `**/x` is `x` at any depth, including the root
  }
  let suffix = '(?:/.*)?' // a match on a directory covers its contents
  if (glob.endsWith('/**')) suffix = ''
  else if (glob.endsWith('/')) {
    glob += '**' // `dir/` matches the contents only
    suffix = ''
  }
  return `^${rooted ? '' : '(?:.*/)?'}(?:${globToRegexSource(glob)})${suffix}$`
}

/** Syncthing's test of whether a `!` pattern still lets ignored directories be skipped. */
function allowsSkipping (p: Prefixes): boolean {
  if (!p.negated) return true
  if (!p.body.startsWith('/') || p.body.endsWith('/')) return false
  const rest = p.body.slice(1)
  return !rest.includes('/') && !rest.replace(/\*\*$/, '').includes('**')
}

class Compiler {
  readonly rules: Rule[] = []
  readonly seenLines = new Set<string>()
  readonly included = new Set<string>()
  skipIgnoredDirs = true

  constructor (readonly opts: CompileIgnoresOptions) {}

  async file (name: string, text: string, stack: readonly string[]): Promise<void> {
    const lines = text.split(/\r?\n/)
    for (const [i, raw] of lines.entries()) {
      const line = raw.trim().normalize('NFC')
      if (line === '' || line.startsWith('//') || this.seenLines.has(line)) continue
      this.seenLines.add(line)
      const where = `${name}:${i + 1}`
      if (line.startsWith('#include')) await this.include(line, name, where, stack)
      else this.pattern(line, where)
    }
  }

  pattern (line: string, where: string): void {
    const p = parsePrefixes(line)
    if (p.body === '') throw new WeftError('INVALID_ARGUMENT', `ignore pattern "${line}" at ${where}: missing pattern`)
    let regex: RegExp
    try {
      regex = new RegExp(patternSource(p.body), p.foldCase || this.opts.caseInsensitive === true ? 'sui' : 'su')
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      throw new WeftError('INVALID_ARGUMENT', `ignore pattern "${line}" at ${where}: ${reason}`, { cause: err })
    }
    this.rules.push({ line, regex, ignore: !p.negated, deletable: p.deletable })
    if (!allowsSkipping(p)) this.skipIgnoredDirs = false
  }

  async include (line: string, from: string, where: string, stack: readonly string[]): Promise<void> {
    const target = line.slice('#include'.length)
    if (!/^\s/.test(target) || target.trim() === '') {
      throw new WeftError('INVALID_ARGUMENT', `#include at ${where}: expected "#include FILE"`)
    }
    const path = posix.normalize(posix.join(posix.dirname(from), target.trim()))
    if (stack.includes(path)) {
      throw new WeftError('INVALID_ARGUMENT', `#include at ${where}: include loop ${[...stack, path].join(' -> ')}`)
    }
    if (this.included.has(path)) {
      throw new WeftError('INVALID_ARGUMENT', `#include at ${where}: "${path}" is included more than once`)
    }
    this.included.add(path)
    const reader = this.opts.readInclude
    if (reader === undefined) throw new WeftError('INVALID_ARGUMENT', `#include at ${where}: includes are not available here`)
    let text: string | undefined
    try {
      text = await reader(path)
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      throw new WeftError('INVALID_ARGUMENT', `#include at ${where}: cannot read "${path}": ${reason}`, { cause: err })
    }
    if (text === undefined) throw new WeftError('NOT_FOUND', `#include at ${where}: included file "${path}" not found`)
    await this.file(path, text, [...stack, path])
  }
}

class CompiledIgnores implements Ignores {
  readonly patterns: readonly string[]
  constructor (private readonly rules: readonly Rule[], readonly skipIgnoredDirs: boolean) {
    this.patterns = rules.map((r) => r.line)
  }

  match (relPath: string): IgnoreResult {
    if (relPath === '' || relPath === '.') return notIgnored
    if (isInternal(relPath)) return internalResult
    if (isTemporary(relPath)) return temporaryResult
    for (const rule of this.rules) {
      if (rule.regex.test(relPath)) return rule.ignore ? { ignored: true, deletable: rule.deletable } : notIgnored
    }
    return notIgnored
  }
}

/**
 * Compiles `.stignore` text. Throws WeftError `INVALID_ARGUMENT` for a malformed pattern or
 * `#include` line, an include loop or a file included twice, and `NOT_FOUND` for a missing
 * included file; messages name the file and line.
 */
export async function compileIgnores (text: string, opts: CompileIgnoresOptions = {}): Promise<Ignores> {
  const compiler = new Compiler(opts)
  const name = opts.fileName ?? ignoreFileName
  compiler.included.add(name)
  await compiler.file(name, text, [name])
  return new CompiledIgnores(compiler.rules, compiler.skipIgnoredDirs)
}

/** Ignores with no patterns: only internal and temporary names are ignored. */
export const noIgnores: Ignores = new CompiledIgnores([], true)
