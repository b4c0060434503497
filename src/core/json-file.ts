/**
 * JSON state files (config.json, folders.json, services.json, networks/*.json, …): read,
 * parse and validate against a zod schema with one error format, and save atomically.
 * Every problem is a CONFIG_INVALID naming the file and, when there is one, the field:
 * `<file>: not valid JSON (…)` or `<file>: <dotted.field>: <what is wrong>`.
 */
import type { z } from 'zod'
import { WeftError } from './errors.js'
import { readFileIfExists, writeFileAtomic } from './atomic-file.js'

/** The CONFIG_INVALID error of a state file: `<source>: <field>: <problem>` (no field: `<source>: <problem>`). */
export function stateFileError (source: string, field: string, problem: string, options?: { cause?: unknown }): WeftError {
  return new WeftError('CONFIG_INVALID', `${source}: ${field === '' ? '' : `${field}: `}${problem}`, options)
}

/**
 * Validates an already parsed value against `schema`; CONFIG_INVALID naming `source` and the
 * dotted path of the first bad field otherwise.
 */
export function validateJson<S extends z.ZodType> (schema: S, value: unknown, source: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  throw stateFileError(source, issue?.path.map(String).join('.') ?? '', issue?.message ?? 'invalid')
}

/** Parses JSON text and validates it; CONFIG_INVALID naming `source` (and the field) otherwise. */
export function parseJsonText<S extends z.ZodType> (schema: S, text: string, source: string): z.output<S> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw stateFileError(source, '', `not valid JSON (${(err as Error).message})`)
  }
  return validateJson(schema, parsed, source)
}

/**
 * Reads, parses and validates the JSON file at `path`. A missing file gives `fallback` (undefined
 * when none is given); a file that is not JSON or does not match the schema is CONFIG_INVALID.
 * Other I/O errors pass through as they are.
 */
export async function readJsonFile<S extends z.ZodType> (path: string, schema: S): Promise<z.output<S> | undefined>
export async function readJsonFile<S extends z.ZodType> (path: string, schema: S, fallback: z.output<S>): Promise<z.output<S>>
export async function readJsonFile<S extends z.ZodType> (path: string, schema: S, fallback?: z.output<S>): Promise<z.output<S> | undefined> {
  const raw = await readFileIfExists(path)
  if (raw === undefined) return fallback
  return parseJsonText(schema, raw.toString('utf8'), path)
}

/** Atomically replaces `path` with `value` as indented JSON and a final newline (mode 0600 unless given). */
export async function writeJsonFile (path: string, value: unknown, options: { mode?: number } = {}): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', options)
}
