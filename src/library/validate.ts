/**
 * Validation of the library's arguments with the local API's request schemas, so that a call
 * and the same request over HTTP accept and refuse the same things (INVALID_ARGUMENT naming
 * the field).
 */
import type { z } from 'zod'
import { parseBody } from '../daemon/api/schemas.js'

/** Parses `value` with `schema`; INVALID_ARGUMENT naming the field otherwise. */
export async function checked<T> (schema: z.ZodType<T, unknown>, value: unknown): Promise<T> {
  return await parseBody(schema, () => Promise.resolve(value))
}
