/**
 * Services: the network's catalog with each instance's health (what DNS answers with), what
 * members expose to this device, and what this device exposes (expose, unexpose), with the
 * addresses to use (stable address, DNS name, SOCKS5 name).
 */
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { api } from '../api'
import type { Catalog, CatalogInstance, NetworkSummary, Services, Status } from '../types'
import { CopyButton, ErrorNote, useAction, useConfirm } from '../ui'
import { memberHost, serviceHost } from '../names'

function ExposeForm ({ networks, onChange }: { networks: NetworkSummary[], onChange: () => void }): JSX.Element | null {
  const confirm = useConfirm()
  const action = useAction()
  const [name, setName] = useState('')
  const [port, setPort] = useState('')
  const [network, setNetwork] = useState('')
  const net = network !== '' ? network : networks[0]?.id ?? ''
  if (networks.length === 0) return null
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    const netName = networks.find((n) => n.id === net)?.name ?? net
    const yes = await confirm({ title: `Expose port ${port} as "${name}"?`, detail: `Every member of "${netName}" can then connect to 127.0.0.1:${port} on this device through weft.`, action: 'Expose' })
    if (yes && await action.run(async () => await api('POST', '/services', { name: name.trim(), port: Number(port), network: net }))) { setName(''); setPort(''); onChange() }
  }
  return (
    <form class="card" onSubmit={(e) => { void submit(e) }} aria-labelledby="expose-title">
      <h2 id="expose-title">Expose a local service</h2>
      <div class="row">
        <label>Name <input required pattern="[a-z0-9]([a-z0-9\-]*[a-z0-9])?" title="lowercase letters, digits and -" maxLength={63} value={name} onInput={(e) => { setName(e.currentTarget.value) }} /></label>
        <label>Local TCP port <input required type="number" min={1} max={65535} value={port} onInput={(e) => { setPort(e.currentTarget.value) }} /></label>
        <label>Network
          <select value={net} onChange={(e) => { setNetwork(e.currentTarget.value) }}>{networks.map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}</select>
        </label>
        <button type="submit" class="primary" disabled={action.busy}>Expose</button>
      </div>
      <ErrorNote error={action.error} />
    </form>
  )
}

function Exposed ({ services, networks, onChange }: { services: Services, networks: NetworkSummary[], onChange: () => void }): JSX.Element {
  const confirm = useConfirm()
  const action = useAction()
  const unexpose = async (name: string): Promise<void> => {
    const yes = await confirm({ title: `Stop exposing "${name}"?`, detail: 'Members can no longer connect to it; connections open now are cut.', action: 'Unexpose', danger: true })
    if (yes && await action.run(async () => await api('DELETE', `/services/${encodeURIComponent(name)}`))) onChange()
  }
  return (
    <section class="card" aria-labelledby="exposed-title">
      <h2 id="exposed-title">Exposed by this device</h2>
      {services.exposed.length === 0
        ? <p class="muted">Nothing exposed (weft expose PORT --name NAME, or the form below).</p>
        : (
          <div class="scroll"><table>
            <thead><tr><th scope="col">Name</th><th scope="col">Local address</th><th scope="col">Network</th><th scope="col">Who may use it</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>{services.exposed.map((s) => (
              <tr key={s.name} data-service={s.name}>
                <th scope="row">{s.name}{s.udp && <span class="tag">UDP</span>}</th>
                <td><code>{s.host}:{s.port}</code></td>
                <td>{networks.find((n) => n.id === s.network)?.name ?? s.network.slice(0, 8)}</td>
                <td>{s.allow.length === 0 ? 'every member' : `${s.allow.length} members`}</td>
                <td><button type="button" class="small danger" onClick={() => { void unexpose(s.name) }} aria-label={`Stop exposing ${s.name}`}>Unexpose</button></td>
              </tr>
            ))}</tbody>
          </table></div>)}
      <ErrorNote error={action.error} />
    </section>
  )
}

function Remote ({ services, status }: { services: Services, status: Status }): JSX.Element {
  return (
    <section class="card" aria-labelledby="remote-title">
      <h2 id="remote-title">Members' services</h2>
      {services.remote.length === 0
        ? <p class="muted">No member exposes a service to this device.</p>
        : (
          <div class="scroll"><table>
            <thead><tr><th scope="col">Service</th><th scope="col">On</th><th scope="col">Status</th><th scope="col">Address to use</th><th scope="col">By name</th></tr></thead>
            <tbody>{services.remote.map((s) => {
              const host = memberHost(s.deviceName, s.networkName)
              return (
                <tr key={`${s.device}-${s.name}`} data-remote={s.name}>
                  <th scope="row">{s.name}{s.udp && <span class="tag">UDP</span>}</th>
                  <td>{s.deviceName} <span class="muted">({s.networkName})</span></td>
                  <td><span class={`dot ${s.online ? 'on' : 'off'}`}>{s.online ? 'member online' : 'member offline'}</span></td>
                  <td>{s.address === null ? <span class="muted">none (use SOCKS5 or weft forward)</span> : <><code>{s.address}</code> <CopyButton text={s.address} label={`Copy address of ${s.name}`} /></>}</td>
                  <td>
                    {status.dns !== null && <div><code>{serviceHost(s.name, s.networkName)}</code> <span class="muted">(DNS at {status.dns})</span></div>}
                    {status.socks !== null && !s.udp && <div><code>{serviceHost(s.name, s.networkName)}:{s.port}</code> or <code>{host}:{s.port}</code> <span class="muted">(SOCKS5 at {status.socks})</span></div>}
                  </td>
                </tr>
              )
            })}</tbody>
          </table></div>)}
    </section>
  )
}

type HealthFilter = 'all' | 'healthy' | 'failing'

function matches (i: CatalogInstance, text: string, health: HealthFilter): boolean {
  if (health === 'healthy' && !i.healthy) return false
  if (health === 'failing' && i.healthy) return false
  const t = text.trim().toLowerCase()
  return t === '' || i.name.includes(t) || i.deviceName.toLowerCase().includes(t) || i.tags.some((tag) => tag.toLowerCase().includes(t))
}

/** Why an instance is (not) in DNS answers, in words. */
function healthWords (i: CatalogInstance): string {
  if (i.memberState === 'dead' || i.memberState === 'left') return `member ${i.memberState}`
  return i.status
}

function CatalogCard ({ catalog, status }: { catalog: Catalog, status: Status }): JSX.Element {
  const [text, setText] = useState('')
  const [health, setHealth] = useState<HealthFilter>('all')
  const shown = catalog.instances.filter((i) => matches(i, text, health))
  const healthy = catalog.instances.filter((i) => i.healthy).length
  return (
    <section class="card" aria-labelledby="catalog-title">
      <h2 id="catalog-title">Catalog <span class="muted">({healthy} of {catalog.instances.length} healthy)</span></h2>
      {catalog.instances.length === 0
        ? <p class="muted">No service registered in this device's networks (weft catalog register NAME --port PORT, or weft expose).</p>
        : (
          <>
            <div class="filters">
              <label>Filter <input type="search" placeholder="name, device or tag" value={text} onInput={(e) => { setText(e.currentTarget.value) }} /></label>
              <label>Health
                <select value={health} onChange={(e) => { setHealth(e.currentTarget.value as HealthFilter) }}>
                  <option value="all">all</option><option value="healthy">healthy</option><option value="failing">failing</option>
                </select>
              </label>
            </div>
            <div class="scroll"><table>
              <thead><tr><th scope="col">Service</th><th scope="col">On</th><th scope="col">Health</th><th scope="col">Address</th><th scope="col">By name</th></tr></thead>
              <tbody>{shown.map((i) => (
                <tr key={`${i.network}-${i.device}-${i.name}`} data-instance={i.name} data-device={i.deviceName} data-health={i.status} data-healthy={String(i.healthy)}>
                  <th scope="row">{i.name}{i.tags.map((t) => <span key={t} class="tag">{t}</span>)}</th>
                  <td>{i.deviceName} <span class="muted">({i.networkName}, {i.memberState})</span></td>
                  <td title={i.output}>
                    <span class={`badge ${i.healthy ? 'ok' : i.status === 'warning' && i.memberState !== 'dead' ? 'warning' : 'error'}`}>{healthWords(i)}</span>
                    {i.output !== '' && <div class="muted small-text">{i.output.length > 120 ? `${i.output.slice(0, 120)}…` : i.output}</div>}
                  </td>
                  <td><code>{i.address}:{i.port}</code> <CopyButton text={`${i.address}:${i.port}`} label={`Copy address of ${i.name} on ${i.deviceName}`} /></td>
                  <td>{i.healthy ? <code>{serviceHost(i.name, i.networkName)}</code> : <span class="muted">not in DNS answers</span>}{status.dns !== null && i.healthy && <span class="muted"> (DNS at {status.dns})</span>}</td>
                </tr>
              ))}</tbody>
            </table></div>
            {shown.length === 0 && <p class="muted">No instance matches the filter.</p>}
          </>)}
    </section>
  )
}

/** The services view. */
export function ServicesView ({ services, catalog, networks, status, onChange }: { services: Services, catalog: Catalog, networks: NetworkSummary[], status: Status, onChange: () => void }): JSX.Element {
  return (
    <div class="stack">
      <CatalogCard catalog={catalog} status={status} />
      <Remote services={services} status={status} />
      <Exposed services={services} networks={networks} onChange={onChange} />
      <ExposeForm networks={networks} onChange={onChange} />
    </div>
  )
}
