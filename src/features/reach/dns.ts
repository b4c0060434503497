/**
 * A small DNS server on loopback for member and service names (like Tailscale's MagicDNS):
 * `DEVICE.NET.weft` answers A with the member's stable loopback address; `NAME.svc.NET.weft`
 * answers SRV (port and target) and A for every member exposing that service. DEVICE is the
 * member's name or the first 7 characters of its device ID; names are matched without case.
 * `NAME.service.NET.weft` answers SRV and A for the catalog's healthy instances only (issue 7).
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

/** A member as DNS sees it. */
export interface DnsMember {
  device: DeviceId
  /** Lowercased names of the networks it shares with this device. */
  networks: string[]
  name: string
  address: string
  services: Array<{ name: string, port: number, network: string }>
}

/** A healthy catalog instance as DNS answers it (labels already lowercased). */
export interface DnsServiceInstance {
  service: string
  network: string
  device: string
  address: string
  port: number
}

const ttl = 10
const rcodeNxDomain = 3
const rcodeRefused = 5
const rcodeFormErr = 1

/** Lowercases and keeps a name usable as one DNS label. */
export function dnsLabel (name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]/g, '-')
}

/** Answers one query from the current member list. */
export function answerQuery (query: Packet, members: DnsMember[], instances: DnsServiceInstance[] = []): Packet {
  const question = query.questions?.[0]
  const response: Packet = { id: query.id, type: 'response', flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED), questions: query.questions, answers: [], additionals: [] }
  if (question === undefined) return { ...response, flags: (response.flags ?? 0) | rcodeFormErr }
  const name = question.name.toLowerCase().replace(/\.$/, '')
  if (!name.endsWith('.weft') && name !== 'weft') return { ...response, flags: (response.flags ?? 0) | rcodeRefused }
  const labels = name.split('.')
  const answers: Answer[] = []
  const additionals: Answer[] = []
  let exists = false
  if (labels.length === 3) {
    const [device = '', net = ''] = labels
    for (const m of members) {
      if (!m.networks.includes(net)) continue
      if (dnsLabel(m.name) !== device && m.device.slice(0, 7).toLowerCase() !== device) continue
      exists = true
      if (question.type === 'A' || question.type === 'ANY') answers.push({ type: 'A', name: question.name, ttl, data: m.address })
    }
  } else if (labels.length === 4 && labels[1] === 'svc') {
    const [service = '', , net = ''] = labels
    for (const m of members) {
      if (!m.networks.includes(net)) continue
      for (const s of m.services) {
        if (s.name !== service || dnsLabel(s.network) !== net) continue
        exists = true
        const target = `${dnsLabel(m.name)}.${net}.weft`
        if (question.type === 'SRV' || question.type === 'ANY') {
          answers.push({ type: 'SRV', name: question.name, ttl, data: { priority: 0, weight: 1, port: s.port, target } })
          additionals.push({ type: 'A', name: target, ttl, data: m.address })
        } else if (question.type === 'A') {
          answers.push({ type: 'A', name: question.name, ttl, data: m.address })
        }
      }
    }
  } else if (labels.length === 4 && labels[1] === 'service') {
    // Catalog instances, healthy only (TTL 0: health can change at any moment), as Consul:
    // a service with no healthy instance is NXDOMAIN.
    const [service = '', , net = ''] = labels
    for (const s of instances) {
      if (s.service !== service || s.network !== net) continue
      exists = true
      const target = `${s.device}.${net}.weft`
      if (question.type === 'SRV' || question.type === 'ANY') {
        answers.push({ type: 'SRV', name: question.name, ttl: 0, data: { priority: 0, weight: 1, port: s.port, target } })
        additionals.push({ type: 'A', name: target, ttl: 0, data: s.address })
      } else if (question.type === 'A') {
        answers.push({ type: 'A', name: question.name, ttl: 0, data: s.address })
      }
    }
  }
  if (!exists) return { ...response, flags: (response.flags ?? 0) | rcodeNxDomain }
  return { ...response, answers, additionals }
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
    socket.on('error', (err) => { log.warn({ err: err.message }, 'DNS socket error') })
    socket.bind(port, host)
    await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([err]) => { throw err })])
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
