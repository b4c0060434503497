/**
 * Dotted keys into config.json (`p2p.relay.enabled`), as `weft config ls|get|set` and the
 * flags of `weft daemon` use them: listing, reading, turning a command-line word into a value
 * of the right type (by the schema), and setting it. Pure; the whole result is validated by
 * the schema before it is written.
 */
import { z } from 'zod'
import { WeftError } from '../core/errors.js'
import { configSchema, portKeys, validateConfig } from './config.js'
import type { Config, PortKey } from './config.js'

/** A schema without its default, prefault, optional, nullable and preprocess wrappers. */
interface Leaf {
  schema: z.ZodType
  nullable: boolean
  /** A duration setting (takes the duration grammar besides a number in its unit). */
  duration: boolean
}

function unwrap (schema: z.ZodType): Leaf {
  let s = schema
  let nullable = false
  let duration = false
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType
    else if (s instanceof z.ZodNullable) { nullable = true; s = s.unwrap() as z.ZodType } else if (s instanceof z.ZodPipe) { duration = true; s = s.out as z.ZodType } else return { schema: s, nullable, duration }
  }
}

function childrenOf (schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const leaf = unwrap(schema).schema
  return leaf instanceof z.ZodObject ? leaf.shape : undefined
}

/** The schema of `key`, or UNKNOWN key error naming what the nearest known level has. */
function schemaAt (key: string): z.ZodType {
  let schema: z.ZodType = configSchema
  const parts = key.split('.')
  for (let i = 0; i < parts.length; i++) {
    const children = childrenOf(schema)
    const child = children?.[parts[i] ?? '']
    if (children === undefined || child === undefined || !Object.hasOwn(children, parts[i] ?? '')) {
      const where = parts.slice(0, i).join('.')
      const has = children === undefined ? `${where} has no settings under it` : `${where === '' ? 'settings are' : `${where} has`}: ${Object.keys(children).join(', ')}`
      throw new WeftError('INVALID_ARGUMENT', `unknown setting "${key}"; ${has}`)
    }
    schema = child
  }
  return schema
}

/** Every set value of `config` as `[dotted key, value]`, objects flattened (empty ones kept as `{}`). */
export function flattenConfig (config: Config): Array<[string, unknown]> {
  const rows: Array<[string, unknown]> = []
  const walk = (prefix: string, value: unknown): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(prefix === '' ? k : `${prefix}.${k}`, v)
    } else rows.push([prefix, value])
  }
  walk('', config)
  return rows
}

/** The value at `key` (undefined when an optional setting is not set); INVALID_ARGUMENT for an unknown key. */
export function getSetting (config: Config, key: string): unknown {
  schemaAt(key)
  let value: unknown = config
  for (const part of key.split('.')) value = (value as Record<string, unknown> | undefined)?.[part]
  return value
}

const yes = ['true', 'on', 'yes']
const no = ['false', 'off', 'no']

function jsonOf (key: string, text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new WeftError('INVALID_ARGUMENT', `${key}: expected ${what} as JSON, got ${JSON.stringify(text)}`)
  }
}

/** Turns a command-line word into a value for `key`, by the type the schema gives it. */
export function parseSettingValue (key: string, text: string): unknown {
  const leaf = unwrap(schemaAt(key))
  const s = leaf.schema
  if (leaf.nullable && ['off', 'null', 'none'].includes(text)) return null
  if (s instanceof z.ZodBoolean) {
    if (yes.includes(text)) return true
    if (no.includes(text)) return false
    throw new WeftError('INVALID_ARGUMENT', `${key}: expected true or false, got ${JSON.stringify(text)}`)
  }
  if (s instanceof z.ZodNumber || s instanceof z.ZodLiteral) {
    if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text)
    if (leaf.duration) return text // the schema reads the duration grammar
    throw new WeftError('INVALID_ARGUMENT', `${key}: expected a number, got ${JSON.stringify(text)}`)
  }
  if (s instanceof z.ZodArray) {
    if (text.trim().startsWith('[')) return jsonOf(key, text, 'a list')
    return text.split(',').map((t) => t.trim()).filter((t) => t !== '')
  }
  if (s instanceof z.ZodObject) return jsonOf(key, text, 'an object')
  return text
}

function describeAccepted (key: string): string {
  const leaf = unwrap(schemaAt(key))
  const s = leaf.schema
  const off = leaf.nullable ? ', or off' : ''
  if (s instanceof z.ZodEnum) return `accepted: ${s.options.join(', ')}${off}`
  if (s instanceof z.ZodBoolean) return 'accepted: true or false'
  if (s instanceof z.ZodNumber) {
    const what = `${s.isInt ? 'whole numbers' : 'numbers'} from ${s.minValue ?? '-∞'} to ${s.maxValue ?? '∞'}`
    return `accepted: ${what}${leaf.duration ? ` (${key.endsWith('Seconds') ? 'seconds' : 'milliseconds'}), or a duration in that range such as 30s or 10m` : ''}${off}`
  }
  if (s instanceof z.ZodArray && s.element instanceof z.ZodEnum) return `accepted: a comma-separated list of ${s.element.options.join(', ')}`
  if (s instanceof z.ZodArray) return 'accepted: a comma-separated list, or a JSON array'
  return leaf.nullable ? 'or off' : ''
}

/**
 * `config` with `key` set to `value`, validated whole. A port setting set this way is the
 * user's (taken off `autoPorts`). INVALID_ARGUMENT, naming what is accepted, on a bad value.
 */
export function setSetting (config: Config, key: string, value: unknown): Config {
  schemaAt(key)
  const copy = structuredClone(config) as Record<string, unknown>
  const parts = key.split('.')
  let node = copy
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {}
    node = node[part] as Record<string, unknown>
  }
  node[parts.at(-1) ?? ''] = value
  if ((portKeys as readonly string[]).includes(key)) copy.autoPorts = config.autoPorts.filter((k) => k !== key)
  try {
    return validateConfig(copy, key)
  } catch (err) {
    const message = (err as Error).message.replace(`${key}: ${key}: `, `${key}: `)
    const accepted = message.includes('is not a duration') ? '' : describeAccepted(key)
    throw new WeftError('INVALID_ARGUMENT', accepted === '' ? message : `${message} (${accepted})`)
  }
}

/** The port settings among `keys`. */
export function portKeysIn (keys: readonly string[]): PortKey[] {
  return portKeys.filter((k) => keys.includes(k))
}

/** The settings whose value differs between `before` and `after`, as `key = value (was old)` lines. */
export function describeChanges (before: Config, after: Config): string[] {
  const old = new Map(flattenConfig(before).map(([k, v]) => [k, JSON.stringify(v)]))
  const lines: string[] = []
  for (const [k, v] of flattenConfig(after)) {
    if (k.startsWith('autoPorts')) continue
    const was = old.get(k)
    if (was !== JSON.stringify(v)) lines.push(`${k} = ${formatSetting(v)}${was === undefined ? '' : ` (was ${formatSetting(JSON.parse(was))})`}`)
  }
  return lines
}

/** A value as `config ls` and `config get` print it: strings bare, anything else as JSON. */
export function formatSetting (value: unknown): string {
  if (value === undefined) return '(not set)'
  return typeof value === 'string' ? value : JSON.stringify(value)
}
