/**
 * Glob to RegExp translation for `.stignore` patterns, with the glob dialect Syncthing uses
 * (gobwas/glob with `/` as the separator): `*` stays within a path segment, `**` crosses
 * segments, `?` is one character other than `/`, `[a-z]` / `[!a-z]` are classes, `{a,b}` are
 * alternatives and `\` escapes the next character. Our own implementation.
 */
import { WeftError } from '../../../core/errors.js'

/** Characters that must be escaped to stand for themselves in a `u`-flag regular expression. */
const regexSyntax = /[\\^$.*+?()[\]{}|/]/g

function literal (ch: string): string {
  return ch.replace(regexSyntax, '\\$&')
}

/** Escapes one character for use inside a `[...]` class of a `u`-flag regular expression. */
function classLiteral (ch: string): string {
  return /[\\\]^[-]/.test(ch) ? `\\${ch}` : ch
}

/** A cursor over a pattern's code points. */
class Reader {
  readonly chars: string[]
  pos = 0
  constructor (readonly pattern: string) {
    this.chars = Array.from(pattern)
  }

  peek (offset = 0): string | undefined {
    return this.chars[this.pos + offset]
  }

  next (): string | undefined {
    return this.chars[this.pos++]
  }

  fail (message: string): never {
    throw new WeftError('INVALID_ARGUMENT', `invalid glob "${this.pattern}": ${message}`)
  }
}

function readClass (r: Reader): string {
  let negated = false
  if (r.peek() === '!' || r.peek() === '^') {
    negated = true
    r.next()
  }
  let body = ''
  let first = true
  for (;;) {
    let ch = r.next()
    if (ch === undefined) r.fail('unterminated [')
    if (ch === ']' && !first) break
    first = false
    if (ch === '\\') {
      ch = r.next()
      if (ch === undefined) r.fail('trailing \\')
    }
    if (r.peek() === '-' && r.peek(1) !== undefined && r.peek(1) !== ']') {
      r.next()
      let hi = r.next()
      if (hi === '\\') hi = r.next()
      if (hi === undefined) r.fail('unterminated range')
      if ((hi.codePointAt(0) ?? 0) < (ch.codePointAt(0) ?? 0)) r.fail(`bad range ${ch}-${hi}`)
      body += `${classLiteral(ch)}-${classLiteral(hi)}`
    } else {
      body += classLiteral(ch)
    }
  }
  // A class never matches the separator: it stands for one character of a name.
  return negated ? `[^/${body}]` : `(?![/])[${body}]`
}

/** Translates glob text up to (not including) one of `stops`, or to the end at top level. */
function readSequence (r: Reader, depth: number): string {
  let out = ''
  for (;;) {
    const ch = r.peek()
    if (ch === undefined) {
      if (depth > 0) r.fail('unterminated {')
      return out
    }
    if (depth > 0 && (ch === ',' || ch === '}')) return out
    r.next()
    switch (ch) {
      case '*':
        if (r.peek() === '*') {
          while (r.peek() === '*') r.next()
          out += '.*'
        } else {
          out += '[^/]*'
        }
        break
      case '?':
        out += '[^/]'
        break
      case '[':
        out += readClass(r)
        break
      case '{':
        out += readAlternatives(r, depth + 1)
        break
      case '\\': {
        const escaped = r.next()
        if (escaped === undefined) r.fail('trailing \\')
        out += literal(escaped)
        break
      }
      default:
        out += literal(ch)
    }
  }
}

function readAlternatives (r: Reader, depth: number): string {
  const options: string[] = []
  for (;;) {
    options.push(readSequence(r, depth))
    const ch = r.next()
    if (ch === '}') return `(?:${options.join('|')})`
    // ',' continues with the next alternative; end of input was refused in readSequence.
  }
}

/**
 * Translates a glob into the source of an equivalent regular expression (unanchored, for the
 * `su` flags). Throws WeftError `INVALID_ARGUMENT` on malformed globs (unterminated `[` or `{`,
 * trailing `\`, reversed ranges).
 */
export function globToRegexSource (glob: string): string {
  const r = new Reader(glob)
  return readSequence(r, 0)
}

/** Compiles a glob into an anchored RegExp; `caseInsensitive` folds case (`(?i)`). */
export function compileGlob (glob: string, caseInsensitive = false): RegExp {
  return new RegExp(`^(?:${globToRegexSource(glob)})$`, caseInsensitive ? 'sui' : 'su')
}
