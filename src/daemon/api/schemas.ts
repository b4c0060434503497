/**
 * Request bodies of the local API, validated with zod; a bad body is INVALID_ARGUMENT
 * naming the field.
 */
import { z } from 'zod'
import { WeftError } from '../../core/errors.js'

/** POST /networks */
export const createNetworkBody = z.object({ name: z.string().trim().min(1).max(64).regex(/^[^\s/]+$/, 'no spaces or slashes') }).strict()
/** POST /networks/:net/invites */
export const inviteBody = z.object({
  uses: z.number().int().min(1).max(1000).default(1),
  ttlSeconds: z.number().int().min(1).max(365 * 86400).default(86400),
  role: z.enum(['admin', 'member']).default('member')
}).strict()
/** POST /perf */
export const perfBody = z.object({ device: z.string().min(1).max(128), bytes: z.number().int().min(1).max(64 * 1024 ** 3).default(100 * 1024 * 1024), stream: z.enum(['direct', 'mesh']).default('direct') }).strict()
/** POST /ping */
export const pingBody = z.object({ device: z.string().min(1).max(128) }).strict()
/** POST /folders */
export const addFolderBody = z.object({
  path: z.string().min(1).max(4096),
  network: z.string().min(1).max(128),
  id: z.string().min(1).max(64).optional(),
  label: z.string().max(256).optional(),
  type: z.enum(['sendreceive', 'sendonly', 'receiveonly']).optional(),
  versioning: z.discriminatedUnion('type', [
    z.object({ type: z.literal('none') }).strict(),
    z.object({ type: z.literal('trashcan'), cleanoutDays: z.number().int().min(0).max(36500) }).strict(),
    z.object({ type: z.literal('simple'), keep: z.number().int().min(1).max(1000) }).strict()
  ]).optional(),
  rescanIntervalS: z.number().int().min(10).max(604800).optional(),
  watch: z.boolean().optional()
}).strict()
/** POST /join */
export const joinBody = z.object({ code: z.string().min(1).max(4096) }).strict()

/** Parses a JSON body with `schema`. */
export async function parseBody<T> (schema: z.ZodType<T, unknown>, read: () => Promise<unknown>): Promise<T> {
  let value: unknown
  try {
    value = await read()
  } catch {
    throw new WeftError('INVALID_ARGUMENT', 'request body must be JSON')
  }
  const result = schema.safeParse(value ?? {})
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new WeftError('INVALID_ARGUMENT', `invalid request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim())
  }
  return result.data
}

/** Body of `POST /services` (weft expose). */
export const exposeBody = z.object({
  name: z.string().min(1).max(63),
  port: z.number().int().min(1).max(65535),
  host: z.string().min(1).max(255).optional(),
  network: z.string().min(1).max(128).optional(),
  allow: z.array(z.string().min(1).max(128)).max(1000).optional(),
  udp: z.boolean().optional()
}).strict()

/** Body of `POST /forwards` (weft forward). */
export const forwardBody = z.object({
  device: z.string().min(1).max(128),
  service: z.string().min(1).max(63),
  host: z.string().min(1).max(255).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535),
  /** Start even when the member's list (perhaps stale) lacks the service. */
  force: z.boolean().default(false)
}).strict()

/** Body of `POST /send` (weft send). */
export const sendBody = z.object({
  paths: z.array(z.string().min(1).max(4096)).max(1000),
  to: z.string().min(1).max(128).optional(),
  /** A short message to send instead of files (`weft send --text`). */
  text: z.string().max(64 * 1024).optional()
}).strict()

/** Body of `POST /receive` (weft receive). */
export const receiveBody = z.object({
  code: z.string().min(1).max(100),
  dir: z.string().min(1).max(4096)
}).strict()
