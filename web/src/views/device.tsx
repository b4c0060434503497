/**
 * "This device": name, weft device ID (copy, QR), the Syncthing card (syncthing.tsx), version, uptime, addresses, and the NAT and
 * reachability summary of `GET /api/v1/doctor` where the daemon has that route.
 */
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError } from '../api'
import { bytes, duration, pathWords, rtt } from '../format'
import { QrCode } from '../qr'
import type { Doctor, Status } from '../types'
import { CopyButton } from '../ui'
import { SyncthingCard } from './syncthing'

type DoctorState = { kind: 'loading' } | { kind: 'absent' } | { kind: 'failed', message: string } | { kind: 'ready', report: Doctor }

function scalar (value: unknown): string | null {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return null
}

const mappingWords: Record<string, string> = {
  none: 'not behind a NAT',
  'endpoint-independent': 'a cone NAT (one public port for every destination): hole punching works',
  'endpoint-dependent': 'a symmetric NAT (a new port per destination): members reach it through relays',
  unknown: 'unknown (fewer than two observers answered)'
}

const relayStateWords: Record<string, string> = { reserved: 'reservation held', connecting: 'connecting', refused: 'refused', unreachable: 'unreachable' }

/** Finds `key` in the report or one level down (read defensively: the report is the doctor's). */
function find (report: Doctor, key: string): unknown {
  if (key in report) return report[key]
  for (const value of Object.values(report)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && key in value) return (value as Record<string, unknown>)[key]
  }
  return undefined
}

function record (value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : {}
}

/** Plain sentences for what the report says: NAT, reachability, relays, DHT, hole punching. */
function knownLines (report: Doctor): string[] {
  const lines: string[] = []
  const mapping = find(report, 'mapping')
  if (typeof mapping === 'string') lines.push(`NAT: ${mappingWords[mapping] ?? mapping}.`)
  const observed = find(report, 'observed')
  if (Array.isArray(observed) && observed.length > 0) lines.push(`Seen from outside as ${observed.map(String).join(', ')}.`)
  const reachable = find(report, 'publiclyReachable')
  if (reachable === true) lines.push('Reachable from the internet: yes.')
  if (reachable === false) lines.push('Reachable from the internet: no (members come in through relays or hole punching).')
  if (reachable === null) lines.push('Reachable from the internet: unknown (no observer could try).')
  if (typeof report.servesRelay === 'boolean') lines.push(`Serves as a relay for members: ${report.servesRelay ? 'yes' : 'no'}.`)
  const dht = record(report.dht)
  if (dht.enabled === false) lines.push('DHT: off.')
  if (dht.enabled === true) lines.push(`DHT: ${typeof dht.peers === 'number' ? `${dht.peers} peers in the routing table` : 'on'}${record(dht.lastPut).ok === false ? `; last publish failed (${scalar(record(dht.lastPut).error) ?? ''})` : ''}.`)
  const punch = record(report.punch)
  if (typeof punch.attempts === 'number') lines.push(`Hole punches: ${scalar(punch.successes) ?? '0'} of ${punch.attempts} succeeded${typeof punch.lastMs === 'number' ? `, the last in ${punch.lastMs} ms` : ''}${typeof punch.lastError === 'string' ? ` (last error: ${punch.lastError})` : ''}.`)
  return lines
}

/** The relays the report lists, with their state in words. */
function Relays ({ relays }: { relays: unknown }): JSX.Element | null {
  if (!Array.isArray(relays)) return null
  if (relays.length === 0) return <p>Relays: none known (add one with <code>--relays</code>, or a member that serves as one).</p>
  return (
    <div>
      <h3>Relays</h3>
      <ul>{relays.map((r, i) => {
        const relay = record(r)
        const id = typeof relay.deviceId === 'string' ? relay.deviceId : '?'
        return <li key={`${id}-${i}`}><code>{id.slice(0, 7)}</code> ({scalar(relay.source) ?? ''}): {relayStateWords[scalar(relay.state) ?? ''] ?? scalar(relay.state) ?? '?'}{typeof relay.reason === 'string' && `: ${relay.reason}`}</li>
      })}</ul>
    </div>
  )
}

/** The per-member path test of the report. */
function MemberPaths ({ members }: { members: unknown }): JSX.Element | null {
  if (!Array.isArray(members) || members.length === 0) return null
  return (
    <div>
      <h3>Path test per member</h3>
      <div class="scroll"><table>
        <thead><tr><th scope="col">Member</th><th scope="col">Path</th><th scope="col">RTT</th></tr></thead>
        <tbody>{members.map((m, i) => {
          const row = record(m)
          const path = typeof row.path === 'string' ? row.path : null
          return (
            <tr key={i}>
              <th scope="row">{scalar(row.name) ?? scalar(row.deviceId) ?? '?'}</th>
              <td>{path === 'unreachable' ? `unreachable${typeof row.error === 'string' ? ` (${row.error})` : ''}` : pathWords(path, typeof row.relay === 'string' ? row.relay : null, (id) => members.map(record).find((x) => x.deviceId === id)?.name as string | undefined)}</td>
              <td>{typeof row.rttMs === 'number' ? rtt(row.rttMs) : '–'}</td>
            </tr>
          )
        })}</tbody>
      </table></div>
    </div>
  )
}

/** The doctor's report: its summary if any, plain sentences, relays, the member path test. */
function DoctorSummary ({ report }: { report: Doctor }): JSX.Element {
  const summary = scalar(report.summary)
  return (
    <div>
      {summary !== null && <p>{summary}</p>}
      {knownLines(report).map((line) => <p key={line}>{line}</p>)}
      <Relays relays={report.relays} />
      <MemberPaths members={report.members} />
    </div>
  )
}

function Reachability (): JSX.Element {
  const [state, setState] = useState<DoctorState>({ kind: 'loading' })
  const check = (): void => {
    setState({ kind: 'loading' })
    api<Doctor>('GET', '/doctor').then((report) => { setState({ kind: 'ready', report }) }, (err: unknown) => {
      if (err instanceof ApiError && err.status === 404) setState({ kind: 'absent' })
      else setState({ kind: 'failed', message: err instanceof Error ? err.message : String(err) })
    })
  }
  useEffect(check, [])
  return (
    <section aria-labelledby="reach-title" class="card">
      <h2 id="reach-title">NAT and reachability</h2>
      <div aria-live="polite" data-doctor={state.kind}>
        {state.kind === 'loading' && <p>Checking…</p>}
        {state.kind === 'absent' && <p>Not available: this daemon has no <code>weft doctor</code> yet.</p>}
        {state.kind === 'failed' && <p class="error">The check failed: {state.message}</p>}
        {state.kind === 'ready' && <DoctorSummary report={state.report} />}
      </div>
      {state.kind !== 'absent' && <button type="button" onClick={check} disabled={state.kind === 'loading'}>Check again</button>}
    </section>
  )
}

/** The device view. */
export function DeviceView ({ status }: { status: Status }): JSX.Element {
  const [showQr, setShowQr] = useState(false)
  return (
    <div class="stack">
      <section aria-labelledby="device-title" class="card">
        <h2 id="device-title">This device</h2>
        <dl class="facts">
          <div><dt>Name</dt><dd data-testid="device-name">{status.name}</dd></div>
          <div>
            <dt>weft device ID</dt>
            <dd>
              <code class="device-id" data-testid="device-id">{status.deviceId}</code>
              <span class="inline-actions">
                <CopyButton text={status.deviceId} label="Copy device ID" />
                <button type="button" class="small" aria-expanded={showQr} aria-controls="device-qr" onClick={() => { setShowQr(!showQr) }}>{showQr ? 'Hide QR code' : 'QR code'}</button>
              </span>
              <div id="device-qr" hidden={!showQr}>{showQr && <QrCode text={status.deviceId} label={`QR code of weft device ID ${status.deviceId}`} />}</div>
              <p class="muted small-text">For weft invites and members only; a Syncthing app needs the Syncthing device ID below.</p>
            </dd>
          </div>
          <div><dt>Version</dt><dd>weft {status.version}</dd></div>
          <div><dt>Up for</dt><dd>{duration(status.uptimeSeconds)}</dd></div>
          <div><dt>Memory</dt><dd>{bytes(status.memory.rss)} resident (JavaScript heap {bytes(status.memory.heapUsed)} of {bytes(status.memory.heapTotal)}, buffers {bytes(status.memory.arrayBuffers)})</dd></div>
          <div><dt>Listening on</dt><dd>{status.addresses.length === 0 ? 'nothing' : <ul class="plain">{status.addresses.map((a) => <li key={a}><code>{a}</code></li>)}</ul>}</dd></div>
          <div><dt>Local API</dt><dd><code>{status.api}</code></dd></div>
          <div><dt>Names (DNS)</dt><dd>{status.dns === null ? 'off' : <code>{status.dns}</code>}</dd></div>
          <div><dt>SOCKS5 proxy</dt><dd>{status.socks === null ? 'off' : <code>{status.socks}</code>}</dd></div>
        </dl>
      </section>
      <SyncthingCard />
      <Reachability />
    </div>
  )
}
