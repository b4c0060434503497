/**
 * Reading the daemon's log lines (pino JSON, one object per line) back: level names and
 * numbers, and the human-readable form `weft logs` and the daemon's terminal output print:
 * time, level, component, message, then the other fields as key=value (stacks only in the JSON).
 */

/** pino's level numbers by name. */
export const levelNumbers = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const
/** A level `weft logs --level` accepts. */
export type LevelName = keyof typeof levelNumbers

/** A parsed log line; `entry` is undefined for a line that is not a JSON object. */
export interface LogLine {
  raw: string
  entry?: Record<string, unknown>
  /** pino's level number, when the line has one. */
  level?: number
}

/** True when `name` is a level name. */
export function isLevelName (name: string): name is LevelName {
  return Object.hasOwn(levelNumbers, name)
}

/** Parses one line (without its newline). */
export function parseLogLine (raw: string): LogLine {
  if (!raw.startsWith('{')) return { raw }
  try {
    const value: unknown = JSON.parse(raw)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { raw }
    const entry = value as Record<string, unknown>
    return { raw, entry, ...(typeof entry.level === 'number' ? { level: entry.level } : {}) }
  } catch {
    return { raw }
  }
}

/** True when `line` is at `min` or above; lines without a level always pass (they are rare and may matter). */
export function atOrAbove (line: LogLine, min: number): boolean {
  return line.level === undefined || line.level >= min
}

function levelLabel (level: unknown): string {
  if (typeof level !== 'number') return '?'
  const named = Object.entries(levelNumbers).find(([, n]) => n === level)?.[0]
  return (named ?? String(level)).toUpperCase()
}

function fieldValue (value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)
  if (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string') {
    // A serialized error: its message is what a person needs; --json keeps the stack.
    return JSON.stringify((value as { message: string }).message)
  }
  return JSON.stringify(value) ?? String(value)
}

/** The human-readable form of one line; a line that is not JSON is returned as it is. */
export function formatLogLine (line: LogLine): string {
  const entry = line.entry
  if (entry === undefined) return line.raw
  // A stack (pino puts an error logged on its own at the top level) stays in --json: one line here.
  const { time, level, msg, component, part, ...rest } = entry
  delete rest.stack
  const when = typeof time === 'string' ? time : typeof time === 'number' ? new Date(time).toISOString() : ''
  const where = [component, part].filter((v) => typeof v === 'string').join('/')
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${fieldValue(v)}`)
  return [when, levelLabel(level).padEnd(5), where === '' ? '' : `[${where}]`, typeof msg === 'string' ? msg : '', ...fields]
    .filter((s) => s !== '').join(' ')
}

/** Turns a chunk of JSON lines into human-readable lines (for the daemon's stderr). */
export function formatLogChunk (chunk: string): string {
  return chunk.split('\n').filter((l) => l !== '').map((l) => formatLogLine(parseLogLine(l)) + '\n').join('')
}
