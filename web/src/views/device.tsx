/**
 * "This device": name, device ID (copy, QR), version, uptime, addresses, and the NAT and
 * reachability summary of `GET /api/v1/doctor` where the daemon has that route.
 */
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError } from '../api'
import { duration } from '../format'
import { QrCode } from '../qr'
import type { Doctor, Status } from '../types'
import { CopyButton } from '../ui'

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

/** Finds `key` in the report or one level down (the report's exact shape is the doctor's). */
function find (report: Doctor, key: string): unknown {
  if (key in report) return report[key]
  for (const value of Object.values(report)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && key in value) return (value as Record<string, unknown>)[key]
  }
  return undefined
}

/** Plain sentences for the fields we know (NAT mapping, public reachability, relays). */
function knownLines (report: Doctor): string[] {
  const lines: string[] = []
  const mapping = find(report, 'mapping')
  if (typeof mapping === 'string') lines.push(`NAT: ${mappingWords[mapping] ?? mapping}.`)
  const reachable = find(report, 'publiclyReachable')
  if (reachable === true) lines.push('Reachable from the internet: yes.')
  if (reachable === false) lines.push('Reachable from the internet: no (members come in through relays or hole punching).')
  const relays = find(report, 'relays')
  if (Array.isArray(relays)) {
    const reserved = relays.filter((r) => (r as { state?: unknown }).state === 'reserved').length
    lines.push(`Relays: reservations on ${reserved} of ${relays.length}.`)
  }
  return lines
}

/** The doctor's report in a few lines: its summary, what we can say plainly, then its simple fields. */
function DoctorSummary ({ report }: { report: Doctor }): JSX.Element {
  const summary = scalar(report.summary)
  const fields = Object.entries(report).filter(([key, value]) => key !== 'summary' && scalar(value) !== null)
  return (
    <div>
      {summary !== null && <p>{summary}</p>}
      {knownLines(report).map((line) => <p key={line}>{line}</p>)}
      <dl class="facts">
        {fields.map(([key, value]) => <div key={key}><dt>{key}</dt><dd>{scalar(value)}</dd></div>)}
      </dl>
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
            <dt>Device ID</dt>
            <dd>
              <code class="device-id" data-testid="device-id">{status.deviceId}</code>
              <span class="inline-actions">
                <CopyButton text={status.deviceId} label="Copy device ID" />
                <button type="button" class="small" aria-expanded={showQr} aria-controls="device-qr" onClick={() => { setShowQr(!showQr) }}>{showQr ? 'Hide QR code' : 'QR code'}</button>
              </span>
              <div id="device-qr" hidden={!showQr}>{showQr && <QrCode text={status.deviceId} label={`QR code of device ID ${status.deviceId}`} />}</div>
            </dd>
          </div>
          <div><dt>Version</dt><dd>weft {status.version}</dd></div>
          <div><dt>Up for</dt><dd>{duration(status.uptimeSeconds)}</dd></div>
          <div><dt>Listening on</dt><dd>{status.addresses.length === 0 ? 'nothing' : <ul class="plain">{status.addresses.map((a) => <li key={a}><code>{a}</code></li>)}</ul>}</dd></div>
          <div><dt>Local API</dt><dd><code>{status.api}</code></dd></div>
          <div><dt>Names (DNS)</dt><dd>{status.dns === null ? 'off' : <code>{status.dns}</code>}</dd></div>
          <div><dt>SOCKS5 proxy</dt><dd>{status.socks === null ? 'off' : <code>{status.socks}</code>}</dd></div>
        </dl>
      </section>
      <Reachability />
    </div>
  )
}
