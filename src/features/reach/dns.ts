/**
 * A small DNS server on loopback for member and service names (like Tailscale's MagicDNS),
 * in the scheme of names.ts: `DEVICE.NET.weft` answers A with the member's stable loopback
 * address; `NAME.svc.NET.weft` (and its older alias `NAME.service.NET.weft`, the same answer)
 * answers SRV (port and target) and A for every member exposing that service and every healthy
 * catalog instance of it, once each; an instance whose checks fail is left out. DEVICE is the
 * member's name or the first 7 characters of its device ID; names are matched without case.
 * Other `.weft` names get NXDOMAIN, names outside `.weft` REFUSED; malformed packets are
 * dropped and counted. UDP only (answers fit easily).
 */
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import dnsPacket from 'dns-packet'
import type { Answer, Packet } from 'dns-packet'
import type { DeviceId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import { dnsLabel, parseWeftName } from './names.js'

/** A member as DNS sees it. */
export interface DnsMember {
  device: DeviceId
  /** Lowercased names of the networks it shares with this device. */
  networks: string[]
  name: string
  address: string
  services: Array<{ name: string, port: number, network: string, udp?: boolean }>
}

/** A catalog instance as DNS answers it (labels already lowercased). */
export interface DnsServiceInstance {
  service: string
  network: string
  device: string
  address: string
  port: number
  /** False when its checks fail: it is left out, and so is the member's exposed service of that port. */
  healthy?: boolean
  /** 'expose' for another member's exposed service: answered only when reach lists it (it is exposed to this device). */
  source?: string
}

const ttl = 10
const rcodeNxDomain = 3
const rcodeRefused = 5
const rcodeFormErr = 1

export { dnsLabel }

/** Answers one query from the current member list and catalog instances. */
export function answerQuery (query: Packet, members: DnsMember[], instances: DnsServiceInstance[] = []): Packet {
  const question = query.questions?.[0]
  const response: Packet = { id: query.id, type: 'response', flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED), questions: query.questions, answers: [], additionals: [] }
  if (question === undefined) return { ...response, flags: (response.flags ?? 0) | rcodeFormErr }
  const name = question.name.toLowerCase().replace(/\.$/, '')
  if (!name.endsWith('.weft') && name !== 'weft') return { ...response, flags: (response.flags ?? 0) | rcodeRefused }
  const parsed = parseWeftName(name)
  const answers: Answer[] = []
  const additionals: Answer[] = []
  let exists = false
  if (parsed?.kind === 'member') {
    for (const m of members) {
      if (!m.networks.includes(parsed.network)) continue
      if (dnsLabel(m.name) !== parsed.device && m.device.slice(0, 7).toLowerCase() !== parsed.device) continue
      exists = true
      if (question.type === 'A' || question.type === 'ANY') answers.push({ type: 'A', name: question.name, ttl, data: m.address })
    }
  } else if (parsed?.kind === 'service') {
    // TTL 0: health can change at any moment. A service with no healthy instance is NXDOMAIN.
    for (const t of serviceTargets(parsed.service, parsed.network, members, instances)) {
      exists = true
      if (question.type === 'SRV' || question.type === 'ANY') {
        answers.push({ type: 'SRV', name: question.name, ttl: 0, data: { priority: 0, weight: 1, port: t.port, target: t.target } })
        additionals.push({ type: 'A', name: t.target, ttl: 0, data: t.address })
      } else if (question.type === 'A') {
        answers.push({ type: 'A', name: question.name, ttl: 0, data: t.address })
      }
    }
  }
  if (!exists) return { ...response, flags: (response.flags ?? 0) | rcodeNxDomain }
  return { ...response, answers, additionals }
}

/**
 * Where a service name points: who exposes it to this device (reach) and who registered it
 * (catalog), once each, without instances whose checks fail. Exposed services come from reach
 * alone, so that `--allow` holds for names too; the catalog only vetoes failing ones.
 */
export function serviceTargets (service: string, network: string, members: DnsMember[], instances: DnsServiceInstance[]): Array<{ target: string, address: string, port: number }> {
  const mine = instances.filter((i) => i.service === service && i.network === network)
  const failing = new Set(mine.filter((i) => i.healthy === false).map((i) => `${i.device}:${i.port}`))
  const out = new Map<string, { target: string, address: string, port: number }>()
  for (const i of mine) {
    if (i.healthy === false || i.source === 'expose') continue
    out.set(`${i.device}:${i.port}`, { target: `${i.device}.${network}.weft`, address: i.address, port: i.port })
  }
  for (const m of members) {
    if (!m.networks.includes(network)) continue
    const device = dnsLabel(m.name)
    for (const s of m.services) {
      if (s.name !== service || dnsLabel(s.network) !== network) continue
      const key = `${device}:${s.port}`
      if (failing.has(key) || out.has(key)) continue
      out.set(key, { target: `${device}.${network}.weft`, address: m.address, port: s.port })
    }
  }
  return [...out.values()]
}

/** The DNS server. */
export class DnsServer {
  readonly #socket: Socket
  readonly #members: () => DnsMember[]
  readonly #instances: () => DnsServiceInstance[]
  readonly #log: Logger
  /** Packets that could not be decoded (dropped). */
  malformed = 0

  private constructor (socket: Socket, members: () => DnsMember[], log: Logger, instances: () => DnsServiceInstance[]) {
    this.#socket = socket
    this.#members = members
    this.#instances = instances
    this.#log = log
  }

  /** Listens on `host:port` (UDP). */
  static async listen (host: string, port: number, members: () => DnsMember[], log: Logger, instances: () => DnsServiceInstance[] = () => []): Promise<DnsServer> {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4')
    const server = new DnsServer(socket, members, log, instances)
    socket.on('message', (msg, rinfo) => { server.#onMessage(msg, rinfo.address, rinfo.port) })
    socket.bind(port, host)
    try {
      await once(socket, 'listening')
    } catch (err) {
      // A socket that could not bind is closed here: the caller reports the error, and nothing stays open.
      socket.close()
      throw err
    }
    socket.on('error', (err) => { log.warn({ err: err.message }, 'DNS socket error') })
    return server
  }

  get address (): { host: string, port: number } {
    const a: AddressInfo = this.#socket.address()
    return { host: a.address, port: a.port }
  }

  #onMessage (msg: Buffer, host: string, port: number): void {
    let query: Packet
    try {
      if (msg.length > 512) throw new Error('oversized query')
      query = dnsPacket.decode(msg)
      if (query.type !== 'query') throw new Error('not a query')
    } catch {
      this.malformed++
      return
    }
    try {
      const response = dnsPacket.encode(answerQuery(query, this.#members(), this.#instances()))
      this.#socket.send(response, port, host)
    } catch (err) {
      this.#log.debug({ err: err instanceof Error ? err.message : String(err) }, 'DNS answer failed')
    }
  }

  async close (): Promise<void> {
    await new Promise<void>((resolve) => { this.#socket.close(() => { resolve() }) })
  }
}
