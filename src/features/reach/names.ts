/**
 * The `.weft` name scheme, one for DNS, SOCKS5 and the dashboard:
 * `DEVICE.NET.weft` names a member, `SERVICE.svc.NET.weft` names a service (every member
 * exposing or registering it). `SERVICE.service.NET.weft` is an older alias of the service
 * name: accepted everywhere, never shown. Labels are matched without case.
 */

/** What a `.weft` name stands for. */
export type WeftName =
  | { kind: 'member', device: string, network: string }
  | { kind: 'service', service: string, network: string, alias: boolean }

/** The canonical label between a service and its network. */
export const serviceLabel = 'svc'
/** Older service labels still accepted. */
const aliasLabels = new Set(['service'])

/** Lowercases and keeps a name usable as one DNS label. */
export function dnsLabel (name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]/g, '-')
}

/** Parses a host name under `.weft` (trailing dot and case ignored); undefined for anything else. */
export function parseWeftName (host: string): WeftName | undefined {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.')
  if (labels.at(-1) !== 'weft' || labels.some((l) => l === '')) return undefined
  if (labels.length === 3) {
    const [device = '', network = ''] = labels
    return { kind: 'member', device, network }
  }
  if (labels.length === 4) {
    const [service = '', kind = '', network = ''] = labels
    if (kind === serviceLabel) return { kind: 'service', service, network, alias: false }
    if (aliasLabels.has(kind)) return { kind: 'service', service, network, alias: true }
  }
  return undefined
}

/** The canonical name of a member in a network: `DEVICE.NET.weft`. */
export function memberHost (deviceName: string, networkName: string): string {
  return `${dnsLabel(deviceName)}.${dnsLabel(networkName)}.weft`
}

/** The canonical name of a service in a network: `SERVICE.svc.NET.weft`. */
export function serviceHost (service: string, networkName: string): string {
  return `${dnsLabel(service)}.${serviceLabel}.${dnsLabel(networkName)}.weft`
}
