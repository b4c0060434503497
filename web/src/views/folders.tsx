/**
 * Folders: state in words, progress with rate and ETA, out-of-sync items, conflicts, errors;
 * add (or accept a member's offer), pause, resume, rescan.
 */
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api } from '../api'
import { bytes, duration, plural } from '../format'
import type { Conflict, Folder, FolderList, NetworkSummary, Offer } from '../types'
import { ErrorNote, useAction, useConfirm } from '../ui'

/** A daemon's error message, said plainly where we recognise it. */
export function plainError (message: string): string {
  if (/\.stfolder|marker/i.test(message)) return `The folder's marker file (.stfolder) is missing: is its disk unmounted? Nothing is deleted meanwhile. (${message})`
  if (/DISK_FULL|no space/i.test(message)) return `The disk is full: free some space, then resume. (${message})`
  if (/permission denied/i.test(message)) return `weft is not allowed to read or write here (permission denied). (${message})`
  if (/not found/i.test(message)) return `Something weft expected is gone (not found). (${message})`
  return message
}

function inSync (f: Folder): boolean {
  return f.state === 'idle' && f.need.files === 0 && f.need.deletes === 0 && f.need.bytes === 0
}

function stateWords (f: Folder): string {
  if (f.state === 'paused') return 'Paused'
  if (f.state === 'error') return 'Stopped by an error'
  if (f.state === 'scanning') return 'Scanning'
  if (f.state === 'syncing') return 'Syncing'
  return inSync(f) ? 'Up to date' : 'Out of sync'
}

const typeWords: Record<Folder['type'], string> = { sendreceive: 'send and receive', sendonly: 'send only', receiveonly: 'receive only' }

/** The original of `NAME.sync-conflict-DATE-TIME-DEVICE.EXT`. */
function originalOf (conflict: string): string {
  return conflict.replace(/\.sync-conflict-\d{8}-\d{6}-[A-Z0-9]{7}/, '')
}

function Progress ({ f }: { f: Folder }): JSX.Element | null {
  if (f.progress !== null && f.progress.bytesTotal > 0) {
    const { bytesDone, bytesTotal, filesDone, filesTotal } = f.progress
    return (
      <div class="progress">
        <progress max={bytesTotal} value={bytesDone} aria-label={`Sync progress of ${f.label}`} />
        <span>{bytes(bytesDone)} of {bytes(bytesTotal)}, {filesDone} of {plural(filesTotal, 'file')}
          {f.rateBytesPerSecond > 0 && `, ${bytes(f.rateBytesPerSecond)}/s`}{f.etaSeconds !== null && `, about ${duration(f.etaSeconds)} left`}</span>
      </div>
    )
  }
  if (f.scan !== null) return <p>Hashed {plural(f.scan.filesHashed, 'file')} ({bytes(f.scan.bytesHashed)}) so far.</p>
  return null
}

function Conflicts ({ f }: { f: Folder }): JSX.Element | null {
  const [list, setList] = useState<Conflict[]>([])
  useEffect(() => {
    api<Conflict[]>('GET', `/folders/${encodeURIComponent(f.id)}/conflicts`).then(setList, () => { setList([]) })
  }, [f.id, f.local.files, f.global.files])
  if (list.length === 0) return null
  return (
    <div data-conflicts={list.length}>
      <h3>Conflicts ({list.length})</h3>
      <p class="muted">Both versions are kept: the winner under the file's name, the other as a conflict copy. Keep the one you want and delete the other.</p>
      <ul>{list.map((c) => <li key={c.name}><code>{originalOf(c.name)}</code> and <code>{c.name}</code> ({bytes(c.size)}, {new Date(c.modified).toLocaleString()})</li>)}</ul>
    </div>
  )
}

function FolderCard ({ f, networks, onChange }: { f: Folder, networks: NetworkSummary[], onChange: () => void }): JSX.Element {
  const action = useAction()
  const net = networks.find((n) => n.id === f.network)
  const call = async (verb: 'pause' | 'resume' | 'rescan'): Promise<void> => {
    if (await action.run(async () => await api('POST', `/folders/${encodeURIComponent(f.id)}/${verb}`))) onChange()
  }
  return (
    <section class="card" aria-labelledby={`folder-${f.id}`} data-folder={f.id} data-state={inSync(f) ? 'in-sync' : f.state} data-local-files={f.local.files}>
      <h2 id={`folder-${f.id}`}>{f.label !== '' ? f.label : f.id} <span class={`badge ${inSync(f) ? 'ok' : f.state}`}>{stateWords(f)}</span></h2>
      <p class="muted"><code>{f.path}</code> · {typeWords[f.type]} · network {net?.name ?? f.network.slice(0, 8)} · with {plural(f.peers.length, 'member')} now</p>
      {f.error !== null && <p class="error" role="alert">{plainError(f.error)}</p>}
      <Progress f={f} />
      <dl class="facts">
        <div><dt>Here</dt><dd>{plural(f.local.files, 'file')}, {bytes(f.local.bytes)}</dd></div>
        <div><dt>Everyone</dt><dd>{plural(f.global.files, 'file')}, {bytes(f.global.bytes)}</dd></div>
        <div><dt>Out of sync</dt><dd>{f.need.files === 0 && f.need.deletes === 0 ? 'nothing' : `${plural(f.need.files, 'file')} to fetch (${bytes(f.need.bytes)})${f.need.deletes > 0 ? `, ${f.need.deletes} to delete` : ''}`}</dd></div>
        <div><dt>Last scan</dt><dd>{f.lastScanAt === null ? 'not yet' : new Date(f.lastScanAt).toLocaleTimeString()}</dd></div>
      </dl>
      {f.failed.length > 0 && (
        <div>
          <h3>Items that failed ({f.failed.length})</h3>
          <ul>{f.failed.slice(0, 50).map((item) => <li key={item.name}><code>{item.name}</code>: {plainError(item.error)}</li>)}</ul>
        </div>
      )}
      <Conflicts f={f} />
      <div class="actions">
        {f.state === 'paused'
          ? <button type="button" onClick={() => { void call('resume') }} disabled={action.busy}>Resume</button>
          : <button type="button" onClick={() => { void call('pause') }} disabled={action.busy}>Pause</button>}
        <button type="button" onClick={() => { void call('rescan') }} disabled={action.busy || f.state === 'paused'}>Rescan</button>
      </div>
      <ErrorNote error={action.error} />
    </section>
  )
}

interface Draft { path: string, network: string, id: string, type: Folder['type'] }

function AddForm ({ networks, draft, setDraft, onChange }: { networks: NetworkSummary[], draft: Draft, setDraft: (d: Draft) => void, onChange: () => void }): JSX.Element {
  const confirm = useConfirm()
  const action = useAction()
  const network = draft.network !== '' ? draft.network : networks[0]?.id ?? ''
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    const netName = networks.find((n) => n.id === network)?.name ?? network
    const yes = await confirm({ title: `Sync ${draft.path}?`, detail: `The folder is offered to the members of "${netName}" (${typeWords[draft.type]}). Files already there stay.`, action: 'Add folder' })
    const body = { path: draft.path.trim(), network, type: draft.type, ...(draft.id.trim() === '' ? {} : { id: draft.id.trim() }) }
    if (yes && await action.run(async () => await api('POST', '/folders', body))) { setDraft({ path: '', network: '', id: '', type: 'sendreceive' }); onChange() }
  }
  if (networks.length === 0) return <p class="card">Join or create a network first: folders sync with a network's members.</p>
  return (
    <form class="card" id="add-folder" onSubmit={(e) => { void submit(e) }} aria-labelledby="add-folder-title">
      <h2 id="add-folder-title">Add a folder</h2>
      <div class="row">
        <label>Path on this device <input name="folder-path" required value={draft.path} placeholder="/home/me/Documents" onInput={(e) => { setDraft({ ...draft, path: e.currentTarget.value }) }} /></label>
        <label>Network
          <select name="folder-network" value={network} onChange={(e) => { setDraft({ ...draft, network: e.currentTarget.value }) }}>
            {networks.map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
          </select>
        </label>
        <label>Folder ID <input name="folder-id" value={draft.id} placeholder="(new)" maxLength={64} onInput={(e) => { setDraft({ ...draft, id: e.currentTarget.value }) }} /></label>
        <label>Type
          <select name="folder-type" value={draft.type} onChange={(e) => { setDraft({ ...draft, type: e.currentTarget.value as Folder['type'] }) }}>
            <option value="sendreceive">send and receive</option><option value="sendonly">send only</option><option value="receiveonly">receive only</option>
          </select>
        </label>
      </div>
      <button type="submit" class="primary" disabled={action.busy}>Add folder</button>
      <ErrorNote error={action.error} />
    </form>
  )
}

function Offers ({ offered, networks, accept }: { offered: Offer[], networks: NetworkSummary[], accept: (o: Offer) => void }): JSX.Element | null {
  if (offered.length === 0) return null
  return (
    <section class="card" aria-labelledby="offers-title">
      <h2 id="offers-title">Offered by members</h2>
      <ul class="plain">
        {offered.map((o) => (
          <li key={`${o.device}-${o.id}`} data-offer={o.id}>
            <strong>{o.label !== '' ? o.label : o.id}</strong> in {networks.find((n) => n.id === o.network)?.name ?? 'a network'}{' '}
            <button type="button" class="small" onClick={() => { accept(o) }} aria-label={`Accept folder ${o.id}`}>Accept…</button>
          </li>
        ))}
      </ul>
    </section>
  )
}

/** The folders view. */
export function FoldersView ({ folders, networks, onChange }: { folders: FolderList, networks: NetworkSummary[], onChange: () => void }): JSX.Element {
  const [draft, setDraft] = useState<Draft>({ path: '', network: '', id: '', type: 'sendreceive' })
  const accept = (o: Offer): void => {
    setDraft({ ...draft, id: o.id, network: o.network ?? '' })
    document.querySelector<HTMLInputElement>('#add-folder input[name="folder-path"]')?.focus()
  }
  return (
    <div class="stack">
      {folders.folders.length === 0 && <p class="card">No folders yet.</p>}
      {folders.folders.map((f) => <FolderCard key={f.id} f={f} networks={networks} onChange={onChange} />)}
      <Offers offered={folders.offered} networks={networks} accept={accept} />
      <AddForm networks={networks} draft={draft} setDraft={setDraft} onChange={onChange} />
    </div>
  )
}
