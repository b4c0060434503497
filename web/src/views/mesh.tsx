/**
 * A picture of a network's mesh: this device in the middle, every member around it, and a line
 * for each link this device has, drawn by path kind (LAN, direct, relayed) with its RTT. It
 * follows the event stream and the periodic refresh, so it changes as links do. The same links
 * are listed in words below the picture for screen readers.
 */
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { rtt, shortId } from '../format'
import type { Member, NetworkSummary } from '../types'

const width = 640
const height = 420
const kinds: Array<{ kind: string, words: string }> = [
  { kind: 'lan', words: 'LAN' }, { kind: 'direct', words: 'direct' }, { kind: 'relay', words: 'relayed' }, { kind: 'offline', words: 'offline' }
]

interface Placed { member: Member, x: number, y: number }

function place (members: Member[]): { self: Placed | undefined, others: Placed[] } {
  const selfMember = members.find((m) => m.self)
  const rest = members.filter((m) => !m.self)
  const cx = width / 2
  const cy = height / 2
  const radius = Math.min(width, height) / 2 - 60
  const others = rest.map((member, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(rest.length, 1)
    return { member, x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle) }
  })
  return { self: selfMember === undefined ? undefined : { member: selfMember, x: cx, y: cy }, others }
}

function linkKind (m: Member): string {
  return m.online && m.path !== null ? m.path : 'offline'
}

function linkWords (m: Member): string {
  const kind = linkKind(m)
  const words = kinds.find((k) => k.kind === kind)?.words ?? kind
  return m.online ? `${words}, RTT ${rtt(m.rttMs)}` : 'offline'
}

function Node ({ p, self }: { p: Placed, self: boolean }): JSX.Element {
  return (
    <g class={`node ${self ? 'self' : p.member.online ? 'on' : 'off'}`} data-node={p.member.name} transform={`translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`}>
      <circle r={self ? 30 : 24} />
      <text class="name" y={self ? 48 : 42} text-anchor="middle">{p.member.name}</text>
      <text class="id" y={4} text-anchor="middle">{shortId(p.member.deviceId).slice(0, 4)}</text>
    </g>
  )
}

function Picture ({ net, members }: { net: NetworkSummary, members: Member[] }): JSX.Element {
  const { self, others } = place(members)
  return (
    <figure class="mesh" aria-labelledby={`mesh-cap-${net.id}`}>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Mesh of ${net.name}: ${others.length + 1} members`} data-testid="mesh">
        {self !== undefined && others.map((o) => (
          <g key={o.member.deviceId} class={`link ${linkKind(o.member)}`} data-from={self.member.name} data-to={o.member.name} data-path={linkKind(o.member)}>
            <line x1={self.x} y1={self.y} x2={o.x} y2={o.y} />
            <text x={(self.x + o.x) / 2} y={(self.y + o.y) / 2 - 6} text-anchor="middle">{linkWords(o.member)}</text>
          </g>
        ))}
        {others.map((o) => <Node key={o.member.deviceId} p={o} self={false} />)}
        {self !== undefined && <Node p={self} self />}
      </svg>
      <figcaption id={`mesh-cap-${net.id}`}>
        <ul class="legend" aria-label="Line styles">
          {kinds.map((k) => <li key={k.kind}><span class={`swatch ${k.kind}`} aria-hidden="true" />{k.words}</li>)}
        </ul>
        <ul class="links" aria-label={`Links of ${self?.member.name ?? 'this device'}`}>
          {others.map((o) => <li key={o.member.deviceId} data-link={o.member.name}>{self?.member.name ?? 'this device'} ↔ {o.member.name}: {linkWords(o.member)}</li>)}
        </ul>
        <p class="muted">Lines show this device's own links. Links between other members are not shared by the daemons yet.</p>
      </figcaption>
    </figure>
  )
}

/** The mesh view: one picture per network, picked from a list. */
export function MeshView ({ networks, members }: { networks: NetworkSummary[], members: Record<string, Member[]> }): JSX.Element {
  const [chosen, setChosen] = useState<string | null>(null)
  const net = networks.find((n) => n.id === chosen) ?? networks[0]
  if (net === undefined) return <p class="card">No networks yet: the picture appears once this device is in one.</p>
  return (
    <section class="card" aria-labelledby="mesh-title">
      <h2 id="mesh-title">Mesh of {net.name}</h2>
      {networks.length > 1 && (
        <label>Network{' '}
          <select value={net.id} onChange={(e) => { setChosen(e.currentTarget.value) }}>
            {networks.map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
          </select>
        </label>
      )}
      <Picture net={net} members={members[net.id] ?? []} />
    </section>
  )
}
