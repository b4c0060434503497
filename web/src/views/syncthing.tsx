/**
 * The Syncthing card of the device view: this device's Syncthing device ID and its QR code
 * (what a Syncthing app adds; weft's own device ID looks the same but is not it), the
 * Syncthing devices weft syncs with (add, remove), and which folders are shared with each.
 */
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api } from '../api'
import { QrCode } from '../qr'
import type { Folder, FolderList, SyncthingDevice, SyncthingDevices } from '../types'
import { CopyButton, ErrorNote, useAction, useConfirm } from '../ui'

type Loaded = { kind: 'loading' } | { kind: 'failed', message: string } | { kind: 'ready', view: SyncthingDevices, folders: Folder[] }

/** Whether two Syncthing device IDs are the same (dashes and case aside). */
export function sameSyncthingId (a: string, b: string): boolean {
  const norm = (id: string): string => id.toUpperCase().replace(/[-\s]/g, '')
  return norm(a) === norm(b)
}

function AddDevice ({ onChange }: { onChange: () => void }): JSX.Element {
  const [id, setId] = useState('')
  const [address, setAddress] = useState('dynamic')
  const [name, setName] = useState('')
  const action = useAction()
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    const ok = await action.run(async () => await api('POST', '/syncthing/devices', { id: id.trim(), address: address.trim(), name: name.trim() === '' ? undefined : name.trim() }))
    if (ok) { setId(''); setName(''); setAddress('dynamic'); onChange() }
  }
  return (
    <form aria-label="Add a Syncthing device" onSubmit={(e) => { void submit(e) }}>
      <div class="row">
      <label>Syncthing device ID <input name="syncthing-id" required value={id} onInput={(e) => { setId(e.currentTarget.value) }} placeholder="XXXXXXX-XXXXXXX-…" /></label>
      <label>Address <input name="syncthing-address" required value={address} onInput={(e) => { setAddress(e.currentTarget.value) }} placeholder="tcp://HOST:22000 or dynamic" /></label>
      <label>Name <input name="syncthing-name" value={name} onInput={(e) => { setName(e.currentTarget.value) }} placeholder="optional" /></label>
      <button type="submit" disabled={action.busy}>Add device</button>
      </div>
      <ErrorNote error={action.error} />
    </form>
  )
}

function DeviceRow ({ device, folders, onChange }: { device: SyncthingDevice, folders: Folder[], onChange: () => void }): JSX.Element {
  const action = useAction()
  const confirm = useConfirm()
  const label = device.name === '' ? device.id.slice(0, 7) : device.name
  const remove = async (): Promise<void> => {
    if (!await confirm({ title: `Remove ${label}?`, detail: 'Folders stop syncing with this Syncthing device. Files stay.', action: 'Remove', danger: true })) return
    if (await action.run(async () => await api('DELETE', `/syncthing/devices/${encodeURIComponent(device.id)}`))) onChange()
  }
  const toggle = async (folder: string, shared: boolean): Promise<void> => {
    if (await action.run(async () => await api('POST', `/folders/${encodeURIComponent(folder)}/${shared ? 'unshare' : 'share'}`, { syncthing: device.id }))) onChange()
  }
  return (
    <tr data-syncthing-device={device.id}>
      <th scope="row">{label}<div><code class="small-text">{device.id}</code></div></th>
      <td><span class={`dot ${device.connected ? 'on' : 'off'}`}>{device.connected ? `connected${device.peer === null ? '' : ` (${device.peer.client})`}` : 'not connected'}</span></td>
      <td>{device.addresses.join(' ')}</td>
      <td>
        {folders.length === 0
          ? <span class="muted">no folders</span>
          : <ul class="plain">{folders.map((f) => {
            const shared = device.folders.includes(f.id)
            return <li key={f.id}><label><input type="checkbox" checked={shared} disabled={action.busy} onChange={() => { void toggle(f.id, shared) }} /> {f.label}</label></li>
          })}</ul>}
        <ErrorNote error={action.error} />
      </td>
      <td><button type="button" class="small danger" onClick={() => { void remove() }} aria-label={`Remove Syncthing device ${label}`}>Remove</button></td>
    </tr>
  )
}

/** The Syncthing card. */
export function SyncthingCard (): JSX.Element {
  const [state, setState] = useState<Loaded>({ kind: 'loading' })
  const [showQr, setShowQr] = useState(false)
  const load = (): void => {
    Promise.all([api<SyncthingDevices>('GET', '/syncthing'), api<FolderList>('GET', '/folders')]).then(([view, list]) => {
      setState({ kind: 'ready', view, folders: list.folders })
    }, (err: unknown) => { setState({ kind: 'failed', message: err instanceof Error ? err.message : String(err) }) })
  }
  useEffect(load, [])
  return (
    <section aria-labelledby="syncthing-title" class="card" data-syncthing={state.kind}>
      <h2 id="syncthing-title">Syncthing</h2>
      {state.kind === 'loading' && <p>Loading…</p>}
      {state.kind === 'failed' && <p class="error">Could not read the Syncthing devices: {state.message}</p>}
      {state.kind === 'ready' && (
        <>
          <p class="muted">To sync with a Syncthing app, add <em>this</em> ID there (not the weft device ID above: it looks alike but a Syncthing app cannot connect to it).</p>
          <dl class="facts">
            <div>
              <dt>Syncthing device ID</dt>
              <dd>
                <code class="device-id" data-testid="syncthing-id">{state.view.id}</code>
                <span class="inline-actions">
                  <CopyButton text={state.view.id} label="Copy Syncthing device ID" />
                  <button type="button" class="small" aria-expanded={showQr} aria-controls="syncthing-qr" onClick={() => { setShowQr(!showQr) }}>{showQr ? 'Hide QR code' : 'Syncthing QR code'}</button>
                </span>
                <div id="syncthing-qr" hidden={!showQr}>{showQr && <QrCode text={state.view.id} label={`QR code of Syncthing device ID ${state.view.id}`} />}</div>
              </dd>
            </div>
            <div><dt>Listening for Syncthing</dt><dd>{state.view.listen === null ? 'off (weft dials the devices you add)' : <code>{state.view.listen}</code>}</dd></div>
          </dl>
          <h3>Syncthing devices</h3>
          {state.view.devices.length === 0
            ? <p class="muted">None yet.</p>
            : (
              <div class="scroll"><table>
                <thead><tr><th scope="col">Device</th><th scope="col">Connection</th><th scope="col">Address</th><th scope="col">Folders shared</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>{state.view.devices.map((d) => <DeviceRow key={d.id} device={d} folders={state.folders} onChange={load} />)}</tbody>
              </table></div>)}
          {state.view.pending.length > 0 && (
            <ul class="plain">{state.view.pending.map((p) => <li key={p.device}>Called from {p.address}: <code>{p.device}</code> (add it with address <code>dynamic</code>)</li>)}</ul>
          )}
          <AddDevice onChange={load} />
        </>)}
    </section>
  )
}
