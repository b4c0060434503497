/**
 * Networks and members: who is online, by which path, RTT, last seen; create a network, make an
 * invite (code and QR), join with a code, remove a member, leave. Every change asks first.
 */
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { api } from '../api'
import { ago, pathWords, plural, rtt, shortId } from '../format'
import { QrCode } from '../qr'
import type { Invite, Member, NetworkSummary } from '../types'
import { CopyButton, ErrorNote, useAction, useConfirm } from '../ui'

function MemberRow ({ net, member, canRemove, onChange, nameOf }: { net: NetworkSummary, member: Member, canRemove: boolean, onChange: () => void, nameOf: (id: string) => string | undefined }): JSX.Element {
  const confirm = useConfirm()
  const action = useAction()
  const remove = async (): Promise<void> => {
    const yes = await confirm({ title: `Remove ${member.name}?`, detail: `${member.name} (${shortId(member.deviceId)}) will be removed from "${net.name}" on every member, and its connections refused from then on.`, action: 'Remove', danger: true })
    if (yes && await action.run(async () => await api('DELETE', `/networks/${encodeURIComponent(net.id)}/members/${encodeURIComponent(member.deviceId)}`))) onChange()
  }
  return (
    <tr data-member={member.name} data-online={String(member.online)}>
      <th scope="row">{member.name}{member.self && <span class="tag">this device</span>}{member.role === 'admin' && <span class="tag">admin</span>}</th>
      <td><code title={member.deviceId}>{shortId(member.deviceId)}</code></td>
      <td>{member.self ? '–' : <span class={`dot ${member.online ? 'on' : 'off'}`}>{member.online ? 'online' : 'offline'}</span>}</td>
      <td>{pathWords(member.path, member.relay, nameOf)}</td>
      <td>{member.self ? '–' : rtt(member.rttMs)}</td>
      <td>{member.self ? '–' : member.online ? 'now' : ago(member.lastSeen)}</td>
      <td>
        {canRemove && !member.self && <button type="button" class="small danger" onClick={() => { void remove() }} disabled={action.busy} aria-label={`Remove ${member.name} from ${net.name}`}>Remove</button>}
        <ErrorNote error={action.error} />
      </td>
    </tr>
  )
}

function InviteMaker ({ net }: { net: NetworkSummary }): JSX.Element {
  const confirm = useConfirm()
  const action = useAction()
  const [invite, setInvite] = useState<Invite | null>(null)
  const [uses, setUses] = useState(1)
  const [ttl, setTtl] = useState(86400)
  const [admin, setAdmin] = useState(false)
  const make = async (e: Event): Promise<void> => {
    e.preventDefault()
    const yes = await confirm({ title: `Make an invite to "${net.name}"?`, detail: `Whoever has the code can join ${uses === 1 ? 'once' : `up to ${uses} times`} within ${ttl / 3600} h${admin ? ', as an admin' : ''}.`, action: 'Make invite' })
    if (yes) await action.run(async () => { setInvite(await api<Invite>('POST', `/networks/${encodeURIComponent(net.id)}/invites`, { uses, ttlSeconds: ttl, role: admin ? 'admin' : 'member' })) })
  }
  const id = `inv-${net.id.slice(0, 8)}`
  return (
    <form class="invite" onSubmit={(e) => { void make(e) }} aria-label={`Invite to ${net.name}`}>
      <div class="row">
        <label>Uses <input type="number" min={1} max={1000} value={uses} onInput={(e) => { setUses(Number(e.currentTarget.value)) }} /></label>
        <label>Valid for
          <select value={ttl} onChange={(e) => { setTtl(Number(e.currentTarget.value)) }}>
            <option value={3600}>1 hour</option><option value={86400}>24 hours</option><option value={604800}>7 days</option>
          </select>
        </label>
        <label class="check"><input type="checkbox" checked={admin} onChange={(e) => { setAdmin(e.currentTarget.checked) }} /> as admin</label>
        <button type="submit" class="primary" disabled={action.busy}>Make invite</button>
      </div>
      <ErrorNote error={action.error} />
      {invite !== null && (
        <div class="invite-result">
          <label for={id}>Invite code (valid until {new Date(invite.expiresAt).toLocaleString()}):</label>
          <textarea id={id} readOnly rows={3} data-testid="invite-code" value={invite.code} onFocus={(e) => { e.currentTarget.select() }} />
          <CopyButton text={invite.code} label="Copy invite code" />
          <QrCode text={invite.code} label={`QR code of the invite to ${net.name}`} />
        </div>
      )}
    </form>
  )
}

function NetworkCard ({ net, members, onChange }: { net: NetworkSummary, members: Member[], onChange: () => void }): JSX.Element {
  const confirm = useConfirm()
  const leave = useAction()
  const isAdmin = net.role === 'admin'
  const doLeave = async (): Promise<void> => {
    const yes = await confirm({ title: `Leave "${net.name}"?`, detail: 'This device leaves the network and forgets it; you need a new invite to come back.', action: 'Leave', danger: true })
    if (yes && await leave.run(async () => await api('POST', `/networks/${encodeURIComponent(net.id)}/leave`))) onChange()
  }
  return (
    <section class="card" aria-labelledby={`net-${net.id}`} data-network={net.name}>
      <h2 id={`net-${net.id}`}>{net.name} <span class="tag">{net.role}</span></h2>
      <p class="muted">{net.members <= 1 ? 'No other members yet: make an invite.' : `${net.online} of ${plural(net.members - 1, 'other member')} online`}</p>
      <div class="scroll">
        <table>
          <caption class="sr-only">Members of {net.name}</caption>
          <thead><tr><th scope="col">Member</th><th scope="col">Device</th><th scope="col">Status</th><th scope="col">Path</th><th scope="col">RTT</th><th scope="col">Last seen</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>{members.map((m) => <MemberRow key={m.deviceId} net={net} member={m} canRemove={isAdmin} onChange={onChange} nameOf={(id) => members.find((x) => x.deviceId === id)?.name} />)}</tbody>
        </table>
      </div>
      {isAdmin && <InviteMaker net={net} />}
      <button type="button" class="small danger" onClick={() => { void doLeave() }} disabled={leave.busy}>Leave network</button>
      <ErrorNote error={leave.error} />
    </section>
  )
}

function CreateForm ({ onChange }: { onChange: () => void }): JSX.Element {
  const confirm = useConfirm()
  const action = useAction()
  const [name, setName] = useState('')
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    const yes = await confirm({ title: `Create network "${name}"?`, detail: 'A new private network with this device as its admin.', action: 'Create' })
    if (yes && await action.run(async () => await api('POST', '/networks', { name: name.trim() }))) { setName(''); onChange() }
  }
  return (
    <form class="card" onSubmit={(e) => { void submit(e) }} aria-labelledby="create-title">
      <h2 id="create-title">Create a network</h2>
      <div class="row">
        <label>Name <input name="network-name" required maxLength={64} pattern="[^\s\/]+" title="no spaces or slashes" value={name} onInput={(e) => { setName(e.currentTarget.value) }} /></label>
        <button type="submit" class="primary" disabled={action.busy}>Create</button>
      </div>
      <ErrorNote error={action.error} />
    </form>
  )
}

function JoinForm ({ onChange }: { onChange: () => void }): JSX.Element {
  const confirm = useConfirm()
  const action = useAction()
  const [code, setCode] = useState('')
  const [joined, setJoined] = useState<string | null>(null)
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    const yes = await confirm({ title: 'Join with this invite?', detail: `The code ${code.trim().slice(0, 16)}… lets this device join the inviter's network; its members will see this device.`, action: 'Join' })
    if (yes && await action.run(async () => {
      const net = await api<NetworkSummary>('POST', '/join', { code: code.trim() })
      setJoined(net.name)
    })) { setCode(''); onChange() }
  }
  return (
    <form class="card" onSubmit={(e) => { void submit(e) }} aria-labelledby="join-title">
      <h2 id="join-title">Join with an invite code</h2>
      <label for="join-code">Invite code</label>
      <textarea id="join-code" name="invite-code" required rows={3} placeholder="weft1…" value={code} onInput={(e) => { setCode(e.currentTarget.value) }} />
      <button type="submit" class="primary" disabled={action.busy}>{action.busy ? 'Joining…' : 'Join'}</button>
      <ErrorNote error={action.error} />
      {joined !== null && <p role="status">Joined "{joined}".</p>}
    </form>
  )
}

/** The networks view. */
export function NetworksView ({ networks, members, onChange }: { networks: NetworkSummary[], members: Record<string, Member[]>, onChange: () => void }): JSX.Element {
  return (
    <div class="stack">
      {networks.length === 0 && <p class="card">No networks yet: create one, or join with a code from another device.</p>}
      {networks.map((n) => <NetworkCard key={n.id} net={n} members={members[n.id] ?? []} onChange={onChange} />)}
      <div class="grid2">
        <CreateForm onChange={onChange} />
        <JoinForm onChange={onChange} />
      </div>
    </div>
  )
}
