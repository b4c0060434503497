/**
 * The reach protocol (`/weft/reach/1.0.0`): one mesh stream per request. The opener sends
 * one framed JSON message; for `connect` the server answers `{ ok: true }` and both sides
 * switch to raw bytes (the TCP connection's), or answers an error and closes. `list` returns
 * the services the server exposes to the asking member; `changed` tells a member to list again.
 * A `connect` over a relay names a tunnel, which `resume` on a stream of a better path moves
 * there (migration.ts); the server answers `resume` like `connect`.
 */
import { z } from 'zod'
import { serviceNamePattern } from './types.js'

/** Protocol ID on the mesh. */
export const reachProtocol = '/weft/reach/1.0.0'
/** Largest control message (a service list of a few hundred entries). */
export const maxReachMessageBytes = 256 * 1024
/** A tunnel ID: 128 bits, base64url. */
export const tunnelId = z.string().regex(/^[A-Za-z0-9_-]{22}$/)

/** What the opener of a reach stream asks. */
export const reachRequest = z.discriminatedUnion('op', [
  z.object({ op: z.literal('connect'), service: z.string().regex(serviceNamePattern), udp: z.boolean().default(false), tunnel: tunnelId.optional() }).strict(),
  z.object({ op: z.literal('resume'), tunnel: tunnelId }).strict(),
  z.object({ op: z.literal('list') }).strict(),
  z.object({ op: z.literal('changed') }).strict()
])
export type ReachRequest = z.infer<typeof reachRequest>

/** The answer to `connect`. */
export const connectAnswer = z.union([
  z.object({ ok: z.literal(true) }).strict(),
  z.object({ ok: z.literal(false), code: z.string().max(64), message: z.string().max(1000) }).strict()
])

/** The answer to `list`. */
export const listAnswer = z.object({
  deviceName: z.string().max(64),
  services: z.array(z.object({
    name: z.string().regex(serviceNamePattern),
    port: z.number().int().min(1).max(65535),
    udp: z.boolean(),
    network: z.string().min(1).max(128)
  }).strict()).max(1000)
}).strict()
export type ListAnswer = z.infer<typeof listAnswer>
