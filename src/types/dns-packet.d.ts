/**
 * The part of dns-packet's API weft uses (the package ships no types).
 */
declare module 'dns-packet' {
  export interface Question { type: string, name: string, class?: string }
  export interface Answer { type: string, name: string, ttl?: number, class?: string, data: unknown }
  export interface Packet {
    id?: number
    type?: 'query' | 'response'
    flags?: number
    rcode?: string
    questions?: Question[]
    answers?: Answer[]
    authorities?: Answer[]
    additionals?: Answer[]
  }
  export const AUTHORITATIVE_ANSWER: number
  export const RECURSION_DESIRED: number
  export function encode (packet: Packet): Buffer
  export function decode (buf: Buffer): Packet
  const dnsPacket: { AUTHORITATIVE_ANSWER: number, RECURSION_DESIRED: number, encode: typeof encode, decode: typeof decode }
  export default dnsPacket
}
