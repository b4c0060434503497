/**
 * A picture of a network's mesh: this device in the middle, every member around it, a line for
 * each link this device has, drawn by path kind (LAN, direct, relayed) with its RTT, and thinner
 * lines for the links between other members, from the link tables they share
 * (`GET /networks/:net/links`). It follows the event stream and refreshes every few seconds, so
 * it changes as links do. The same links are listed in words below the picture.
 */
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api } from '../api'
import { pathWords, rtt, shortId } from '../format'
import type { Member, MeshLinks, NetworkSummary, PathKind } from '../types'

const width = 640
const height = 420
const kinds: Array<{ kind: string, words: string }> = [
  { kind: 'lan', words: 'LAN' }, { kind: 'direct', words: 'direct' }, { kind: 'relay', words: 'relayed' }, { kind: 'offline', words: 'offline' }
]

interface Placed { member: Member, x: number, y: number }

/** Every member on one circle, this device at the bottom: links are chords, none hidden behind a node. */
function place (members: Member[]): { self: Placed | undefined, others: Placed[] } {
  const selfMember = members.find((m) => m.self)
  const rest = members.filter((m) => !m.self)
  const all = selfMember === undefined ? rest : [selfMember, ...rest]
  const cx = width / 2
  const cy = height / 2
  const radius = Math.min(width, height) / 2 - 60
  const placed = all.map((member, i) => {
    const angle = Math.PI / 2 + (2 * Math.PI * i) / Math.max(all.length, 1)
    return { member, x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle) }
  })
  return selfMember === undefined ? { self: undefined, others: placed } : { self: placed[0], others: placed.slice(1) }
}

function linkKind (m: Member): string {
  return m.online && m.path !== null ? m.path : 'offline'
}

function linkWords (m: Member, nameOf: (id: string) => string | undefined): string {
  return m.online ? `${pathWords(m.path, m.relay, nameOf)}, RTT ${rtt(m.rttMs)}` : 'offline'
}

function Node ({ p, self }: { p: Placed, self: boolean }): JSX.Element {
  return (
    <g class={`node ${self ? 'self' : p.member.online ? 'on' : 'off'}`} data-node={p.member.name} transform={`translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`}>
      <circle r={self ? 30 : 24} />
      <text class="name" y={p.y > height / 2 ? (self ? 48 : 42) : (self ? -38 : -32)} text-anchor="middle">{p.member.name}</text>
      <text class="id" y={4} text-anchor="middle">{shortId(p.member.deviceId).slice(0, 4)}</text>
    </g>
  )
}

interface PeerEdge { a: Placed, b: Placed, path: PathKind, rttMs: number | null }

/** Links between members other than this device, once per pair. */
function peerEdges (links: MeshLinks | null, others: Placed[]): PeerEdge[] {
  const byId = new Map(others.map((p) => [p.member.deviceId, p]))
  const seen = new Map<string, PeerEdge>()
  for (const e of links?.edges ?? []) {
    const from = byId.get(e.from)
    const to = byId.get(e.to)
    if (from === undefined || to === undefined) continue
    const [a, b] = from.member.name <= to.member.name ? [from, to] : [to, from]
    const key = `${a.member.deviceId}|${b.member.deviceId}`
    if (!seen.has(key)) seen.set(key, { a, b, path: e.path, rttMs: e.rttMs })
  }
  return [...seen.values()]
}

function useLinks (net: NetworkSummary, members: Member[]): MeshLinks | null {
  const [links, setLinks] = useState<MeshLinks | null>(null)
  const onlineKey = members.filter((m) => m.online).map((m) => m.deviceId).sort().join()
  useEffect(() => {
    let live = true
    const load = (): void => { api<MeshLinks>('GET', `/networks/${encodeURIComponent(net.id)}/links`).then((l) => { if (live) setLinks(l) }, () => { if (live) setLinks(null) }) }
    load()
    const timer = window.setInterval(load, 5000)
    return () => { live = false; window.clearInterval(timer) }
  }, [net.id, onlineKey])
  return links
}

function Picture ({ net, members }: { net: NetworkSummary, members: Member[] }): JSX.Element {
  const { self, others } = place(members)
  const links = useLinks(net, members)
  const between = peerEdges(links, others)
  const nameOf = (id: string): string | undefined => members.find((m) => m.deviceId === id)?.name
  const silent = (links?.unanswered ?? []).map((id) => members.find((m) => m.deviceId === id)?.name ?? shortId(id))
  return (
    <figure class="mesh" aria-labelledby={`mesh-cap-${net.id}`}>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Mesh of ${net.name}: ${others.length + 1} members`} data-testid="mesh">
        {between.map((e) => (
          <g key={`${e.a.member.deviceId}-${e.b.member.deviceId}`} class={`link peer ${e.path}`} data-pair={`${e.a.member.name}|${e.b.member.name}`} data-path={e.path}>
            <line x1={e.a.x} y1={e.a.y} x2={e.b.x} y2={e.b.y} />
            <text x={(e.a.x + e.b.x) / 2} y={(e.a.y + e.b.y) / 2 + 14} text-anchor="middle">{rtt(e.rttMs)}</text>
          </g>
        ))}
        {self !== undefined && others.map((o) => (
          <g key={o.member.deviceId} class={`link ${linkKind(o.member)}`} data-from={self.member.name} data-to={o.member.name} data-path={linkKind(o.member)}>
            <line x1={self.x} y1={self.y} x2={o.x} y2={o.y} />
            <text x={(self.x + o.x) / 2} y={(self.y + o.y) / 2 - 6} text-anchor="middle">{linkWords(o.member, nameOf)}</text>
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
          {others.map((o) => <li key={o.member.deviceId} data-link={o.member.name}>{self?.member.name ?? 'this device'} ↔ {o.member.name}: {linkWords(o.member, nameOf)}</li>)}
          {between.map((e) => <li key={`${e.a.member.deviceId}-${e.b.member.deviceId}`} data-pair={`${e.a.member.name}|${e.b.member.name}`}>{e.a.member.name} ↔ {e.b.member.name}: {kinds.find((k) => k.kind === e.path)?.words ?? e.path}, RTT {rtt(e.rttMs)}</li>)}
        </ul>
        <p class="muted">Thin lines are links between other members, from the tables they share with members.{silent.length > 0 && ` No table from ${silent.join(', ')}.`}</p>
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
