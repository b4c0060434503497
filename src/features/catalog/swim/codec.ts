/**
 * The gossip wire format: compact binary, 8-byte short member IDs (what keeps a 1,400-byte
 * packet carrying dozens of updates). Layout, all integers big-endian:
 *
 *   packet  = version u8 (1) · count u8 · message*
 *   ping    = 1 · seq u32 · target id      ack  = 2 · seq u32
 *   ping-req= 3 · seq u32 · target id      nack = 4 · seq u32
 *   alive   = 5 · id · inc u32             left = 8 · id · inc u32
 *   suspect = 6 · id · inc u32 · from id   dead = 7 · id · inc u32 · from id
 *   sync    = 9 · flags u8 (1 join, 2 reply) · n u32 · (id · inc u32 · state u8)*n
 *
 * `sizeOf` gives exact sizes without encoding (the state machine fills packets with it).
 * Decoding checks every length against the bytes present and throws a PROTOCOL_ERROR, so a
 * hostile packet costs at most its own length. A message naming an ID the {@link IdCodec}
 * does not know (not a member) is left out and counted, the rest of the packet is kept.
 */
import { WeftError } from '../../../core/errors.js'
import { memberStates } from './types.js'
import type { MemberId, Message, Packet, SyncEntry } from './types.js'

/** Maps member IDs to their 8 wire bytes and back (decode: undefined for a non-member). */
export interface IdCodec {
  encode: (id: MemberId) => Uint8Array
  decode: (bytes: Uint8Array) => MemberId | undefined
}

const version = 1
const idBytes = 8
const codes = { ping: 1, ack: 2, 'ping-req': 3, nack: 4, alive: 5, suspect: 6, dead: 7, left: 8, sync: 9 } as const
/** Most members one sync may list. */
export const maxSyncMembers = 100_000

/** Encoded size of one message. */
export function messageSize (m: Message): number {
  switch (m.t) {
    case 'ping': case 'ping-req': case 'alive': case 'left': return 1 + 4 + idBytes
    case 'ack': case 'nack': return 1 + 4
    case 'suspect': case 'dead': return 1 + idBytes + 4 + idBytes
    case 'sync': return 1 + 1 + 4 + m.members.length * (idBytes + 4 + 1)
  }
}

/** Encoded size of a packet header. */
export const packetHeaderSize = 2
/** Most messages in one packet. */
export const maxMessagesPerPacket = 255

/** Encoded size of a packet. */
export function sizeOf (packet: Packet): number {
  let n = packetHeaderSize
  for (const m of packet.msgs) n += messageSize(m)
  return n
}

/** Encodes a packet. */
export function encodePacket (packet: Packet, ids: IdCodec): Uint8Array {
  if (packet.msgs.length > maxMessagesPerPacket) throw new WeftError('INVALID_ARGUMENT', `a packet holds at most ${maxMessagesPerPacket} messages`)
  const buf = Buffer.alloc(sizeOf(packet))
  let o = 0
  const id = (value: MemberId): void => { buf.set(ids.encode(value), o); o += idBytes }
  const u32 = (value: number): void => { buf.writeUInt32BE(value >>> 0, o); o += 4 }
  buf[o++] = version
  buf[o++] = packet.msgs.length
  for (const m of packet.msgs) {
    buf[o++] = codes[m.t]
    switch (m.t) {
      case 'ping': case 'ping-req': u32(m.seq); id(m.target); break
      case 'ack': case 'nack': u32(m.seq); break
      case 'alive': case 'left': id(m.id); u32(m.inc); break
      case 'suspect': case 'dead': id(m.id); u32(m.inc); id(m.from); break
      case 'sync':
        buf[o++] = (m.join ? 1 : 0) | (m.reply ? 2 : 0)
        u32(m.members.length)
        for (const e of m.members) { id(e.id); u32(e.inc); buf[o++] = memberStates.indexOf(e.state) }
        break
    }
  }
  return buf
}

/** A decoded packet and how many messages were left out for naming non-members. */
export interface Decoded {
  packet: Packet
  unknownIds: number
}

/** Decodes a packet; PROTOCOL_ERROR for anything malformed. */
export function decodePacket (bytes: Uint8Array, ids: IdCodec): Decoded {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let o = 0
  const bad = (why: string): never => { throw new WeftError('PROTOCOL_ERROR', `malformed gossip packet: ${why}`) }
  const need = (n: number): void => { if (o + n > buf.length) bad('truncated') }
  const u8 = (): number => { need(1); return buf[o++] ?? 0 }
  const u32 = (): number => { need(4); const v = buf.readUInt32BE(o); o += 4; return v }
  let unknown: boolean
  const id = (): MemberId => {
    need(idBytes)
    const v = ids.decode(buf.subarray(o, o + idBytes))
    o += idBytes
    if (v === undefined) unknown = true
    return v ?? ''
  }
  if (u8() !== version) bad('unknown version')
  const count = u8()
  const msgs: Message[] = []
  let unknownIds = 0
  for (let i = 0; i < count; i++) {
    unknown = false
    const code = u8()
    let m: Message
    switch (code) {
      case codes.ping: m = { t: 'ping', seq: u32(), target: id() }; break
      case codes.ack: m = { t: 'ack', seq: u32() }; break
      case codes['ping-req']: m = { t: 'ping-req', seq: u32(), target: id() }; break
      case codes.nack: m = { t: 'nack', seq: u32() }; break
      case codes.alive: m = { t: 'alive', id: id(), inc: u32() }; break
      case codes.left: m = { t: 'left', id: id(), inc: u32() }; break
      case codes.suspect: m = { t: 'suspect', id: id(), inc: u32(), from: id() }; break
      case codes.dead: m = { t: 'dead', id: id(), inc: u32(), from: id() }; break
      case codes.sync: {
        const flags = u8()
        if ((flags & ~3) !== 0) bad('unknown sync flags')
        const n = u32()
        if (n > maxSyncMembers) bad('too many members in a sync')
        need(n * (idBytes + 4 + 1))
        const members: SyncEntry[] = []
        for (let j = 0; j < n; j++) {
          unknown = false
          const e = { id: id(), inc: u32(), state: memberStates[u8()] }
          if (e.state === undefined) bad('unknown member state')
          if (unknown) unknownIds++
          else members.push(e as SyncEntry)
        }
        unknown = false
        m = { t: 'sync', join: (flags & 1) !== 0, reply: (flags & 2) !== 0, members }
        break
      }
      default: return bad(`unknown message type ${code}`)
    }
    if (unknown) unknownIds++
    else msgs.push(m)
  }
  if (o !== buf.length) bad('trailing bytes')
  return { packet: { msgs }, unknownIds }
}
