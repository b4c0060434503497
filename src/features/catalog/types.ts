/**
 * Types of the catalog: service registrations and their health checks, the record each
 * member publishes about itself, and the views the API and CLI show. Limits live here too.
 */
import { z } from 'zod'
import { msDuration } from '../../core/duration-schema.js'
import type { DeviceId, NetworkId } from '../../core/ids.js'
import type { MemberState } from './swim/types.js'

/** Largest KV value (bytes). */
export const maxValueBytes = 512 * 1024
/** Longest KV key (UTF-8 bytes). */
export const maxKeyBytes = 512
/** Internal key prefix of user KV entries. */
export const kvKeyPrefix = 'kv/'
/** Internal key prefix of member records (`node/DEVICE`, written only by DEVICE). */
export const nodeKeyPrefix = 'node/'

/** Health of one check or instance, as Consul names them. */
export type Health = 'passing' | 'warning' | 'critical'
export const healthValues = ['passing', 'warning', 'critical'] as const

const serviceName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'lowercase letters, digits and - (at most 63)')
const durationMs = msDuration(z.number().int().min(100).max(86_400_000))

/** A health check of a registered service. */
export const checkSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tcp'), target: z.string().min(3).max(300), intervalMs: durationMs.default(10_000), timeoutMs: durationMs.default(2000) }).strict(),
  z.object({ kind: z.literal('http'), url: z.string().url().max(2000).regex(/^https?:\/\//, 'http:// or https:// only'), intervalMs: durationMs.default(10_000), timeoutMs: durationMs.default(2000) }).strict(),
  z.object({ kind: z.literal('script'), command: z.string().min(1).max(4000), intervalMs: durationMs.default(10_000), timeoutMs: durationMs.default(10_000) }).strict(),
  z.object({ kind: z.literal('ttl'), ttlMs: durationMs }).strict()
])
export type Check = z.infer<typeof checkSchema>

/** A service registered in the catalog by CLI, API or config file. */
export const registrationSchema = z.object({
  name: serviceName,
  port: z.number().int().min(1).max(65535),
  /** Network name or ID (optional when the device is in one network). */
  network: z.string().min(1).max(100).optional(),
  address: z.string().min(1).max(255).optional(),
  tags: z.array(z.string().min(1).max(100).regex(/^[^\s,]+$/, 'no spaces or commas')).max(32).default([]),
  meta: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'meta keys: letters, digits, _ and - (at most 64)'), z.string().max(512)).default({}).refine((m) => Object.keys(m).length <= 64, 'at most 64 meta keys'),
  checks: z.array(checkSchema).max(8).default([])
}).strict()
export type RegistrationInput = z.input<typeof registrationSchema>
export type Registration = z.infer<typeof registrationSchema>

/** A stored registration: the network resolved to its ID. */
export interface StoredRegistration extends Omit<Registration, 'network'> {
  network: NetworkId
}

/** One service instance as its device publishes it. */
export const publishedServiceSchema = z.object({
  name: serviceName,
  port: z.number().int().min(1).max(65535),
  address: z.string().max(255),
  tags: z.array(z.string().max(100)).max(32),
  meta: z.record(z.string(), z.string().max(512)),
  status: z.enum(healthValues),
  output: z.string().max(4096),
  source: z.enum(['catalog', 'expose'])
}).strict()
export type PublishedService = z.infer<typeof publishedServiceSchema>

/** What a member publishes about itself in `node/DEVICE`. */
export const nodeRecordSchema = z.object({
  v: z.literal(1),
  name: z.string().max(64),
  services: z.array(publishedServiceSchema).max(256)
}).strict()
export type NodeRecord = z.infer<typeof nodeRecordSchema>

/** One instance in `weft catalog ls`. */
export interface InstanceView extends PublishedService {
  device: DeviceId
  deviceName: string
  network: NetworkId
  networkName: string
  /** The device's state in gossip (this device is always alive). */
  memberState: MemberState | 'unknown'
  /** Passing and on a member that is not dead or gone. */
  healthy: boolean
}

/** A KV entry as the API shows it. */
export interface KvView {
  key: string
  /** UTF-8 text of the value, when it is valid UTF-8. */
  value?: string
  /** The value in base64 (always). */
  base64: string
  size: number
  /** Version for check-and-set. */
  version: string
  writtenBy: string
  writtenAt: number
}
