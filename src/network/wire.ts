/**
 * Wire messages of the network protocols, validated with zod at the boundary so that a
 * peer's bytes become typed values or a PROTOCOL_ERROR, never half-checked objects.
 */
import { z } from 'zod'
import { WeftError } from '../core/errors.js'
import type { DeviceId, NetworkId } from '../core/ids.js'
import type { SignedEntry } from './types.js'

/** Protocol over which a joiner redeems an invite with the inviter. */
export const inviteProtocol = '/weft/invite/1.0.0'
/** Protocol over which members replicate membership entries and addresses. */
export const membershipProtocol = '/weft/membership/1.0.0'

/** Most entries a network may hold; bounds what a peer can make us store. */
export const maxEntries = 10_000
/** Most addresses kept per device. */
export const maxAddressesPerDevice = 16

const deviceId = z.string().regex(/^[A-Z2-7]{7}(-[A-Z2-7]{7}){7}$/).transform((s) => s as DeviceId)
const networkId = z.string().regex(/^[0-9a-f]{32}$/).transform((s) => s as NetworkId)
const name = z.string().min(1).max(64)
const base = { v: z.literal(1), net: networkId, clock: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), by: deviceId, at: z.number().int().min(0), sig: z.string().max(128) }

/** Schema of one signed membership entry. */
export const signedEntrySchema = z.discriminatedUnion('kind', [
  z.object({ ...base, kind: z.literal('genesis'), device: deviceId, name, networkName: name, nonce: z.string().regex(/^[0-9a-f]{32}$/) }).strict(),
  z.object({ ...base, kind: z.literal('add'), device: deviceId, name, role: z.enum(['admin', 'member']) }).strict(),
  z.object({ ...base, kind: z.literal('remove'), device: deviceId, keep: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(maxEntries) }).strict()
]) satisfies z.ZodType<SignedEntry, unknown>

const addresses = z.record(z.string().max(64), z.array(z.string().max(512)).max(maxAddressesPerDevice)).refine((r) => Object.keys(r).length <= 1024, 'too many devices')

/** Joiner → inviter. */
export const redeemSchema = z.object({ type: z.literal('redeem'), net: networkId, token: z.string().regex(/^[A-Za-z0-9_-]{22}$/), name }).strict()
/** Inviter → joiner on success. */
export const welcomeSchema = z.object({
  type: z.literal('welcome'),
  net: networkId,
  secret: z.string().regex(/^[0-9a-f]{64}$/),
  entries: z.array(signedEntrySchema).max(maxEntries),
  addresses
}).strict()
/** Either side, when a request is refused. */
export const errorSchema = z.object({ type: z.literal('error'), code: z.string().max(64), message: z.string().max(1024) }).strict()
/** Membership state pushed by a member, answered in kind. */
export const stateSchema = z.object({
  type: z.literal('state'),
  net: networkId,
  entries: z.array(signedEntrySchema).max(maxEntries),
  addresses
}).strict()

/** A redeem request. */
export type RedeemMessage = z.infer<typeof redeemSchema>
/** A welcome answer. */
export type WelcomeMessage = z.infer<typeof welcomeSchema>
/** A membership state message. */
export type StateMessage = z.infer<typeof stateSchema>
/** An error answer. */
export type ErrorMessage = z.infer<typeof errorSchema>

/** Parses `value` with `schema` or throws PROTOCOL_ERROR describing the first problem. */
export function parseWire<T> (schema: z.ZodType<T, unknown>, value: unknown, what: string): T {
  const result = schema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new WeftError('PROTOCOL_ERROR', `malformed ${what}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim())
  }
  return result.data
}
