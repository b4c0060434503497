/**
 * A QR code drawn as one SVG path (no canvas, no data: URL, so the page's CSP stays strict).
 * The matrix comes from uqr.
 */
import type { JSX } from 'preact'
import { useMemo } from 'preact/hooks'
import { encode } from 'uqr'

/** A QR code of `text`, described for screen readers by `label`. */
export function QrCode ({ text, label, size = 192 }: { text: string, label: string, size?: number }): JSX.Element {
  const { path, modules } = useMemo(() => {
    const qr = encode(text, { ecc: 'M', border: 2 })
    let d = ''
    qr.data.forEach((row, y) => {
      row.forEach((dark, x) => { if (dark) d += `M${x} ${y}h1v1h-1z` })
    })
    return { path: d, modules: qr.size }
  }, [text])
  return (
    <svg class="qr" role="img" aria-label={label} width={size} height={size} viewBox={`0 0 ${modules} ${modules}`} shape-rendering="crispEdges">
      <rect width={modules} height={modules} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  )
}
