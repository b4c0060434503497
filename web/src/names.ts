/**
 * The `.weft` names the dashboard shows, in the daemon's one scheme (src/features/reach/names.ts,
 * which DNS and SOCKS5 both accept): `DEVICE.NET.weft` for a member, `SERVICE.svc.NET.weft`
 * for a service. The older alias `SERVICE.service.NET.weft` still resolves but is never shown.
 */

/** Lowercases and keeps a name usable as one DNS label. */
function label (name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]/g, '-')
}

/** `DEVICE.NET.weft`. */
export function memberHost (deviceName: string, networkName: string): string {
  return `${label(deviceName)}.${label(networkName)}.weft`
}

/** `SERVICE.svc.NET.weft`. */
export function serviceHost (service: string, networkName: string): string {
  return `${label(service)}.svc.${label(networkName)}.weft`
}
