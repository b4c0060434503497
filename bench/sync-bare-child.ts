/**
 * One process of the bare data path of `npm run bench:sync` (forked by bench/sync-bare.ts,
 * talks to it over the IPC channel; no weft code). The parent sends `init` with the role, the
 * folder, this end's key and certificate and the peer's certificate fingerprint:
 *   receiver: listens with TLS 1.3 on 127.0.0.1 (port 0), answers `listening` {port}, accepts
 *             one connection from the pinned peer (`connected`), receives into the folder and
 *             answers `done` {files} once every file is renamed into place;
 *   sender:   connects to the receiver, checks its certificate (`connected` {cipher}), and on
 *             `start` scans and sends the folder: `scanned` when the last file is hashed, `sent`.
 * Any failure answers `error` {message} and exits with 1; `exit` (or the parent going away)
 * exits with 0.
 */
import { connect, createServer } from 'node:tls'
import type { TLSSocket } from 'node:tls'
import { sendFolder } from './sync-bare-send.js'
import { receiveFolder } from './sync-bare-recv.js'

/** What the parent sends first. */
export interface BareInit {
  type: 'init'
  role: 'send' | 'recv'
  dir: string
  keyPem: string
  certPem: string
  peerFingerprint: string
  /** The receiver's port (sender only). */
  port?: number
}

/** Messages the child sends to its parent. */
export type BareReport =
  | { type: 'listening', port: number }
  | { type: 'connected', cipher: string }
  | { type: 'scanned' }
  | { type: 'sent', files: number }
  | { type: 'done', files: number }
  | { type: 'error', message: string }

function report (message: BareReport): void {
  process.send?.(message)
}

function die (err: unknown): void {
  report({ type: 'error', message: err instanceof Error ? err.message : String(err) })
  process.exitCode = 1
  setTimeout(() => process.exit(1), 100).unref()
  process.disconnect?.()
}

function pinned (socket: TLSSocket, fingerprint: string): boolean {
  return socket.getPeerX509Certificate()?.fingerprint256 === fingerprint
}

const tlsOptions = (init: BareInit): { key: string, cert: string, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', rejectUnauthorized: false } =>
  ({ key: init.keyPem, cert: init.certPem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', rejectUnauthorized: false })

function receiver (init: BareInit): void {
  let accepted = false
  const server = createServer({ ...tlsOptions(init), requestCert: true }, (socket) => {
    if (accepted || !pinned(socket, init.peerFingerprint)) { socket.destroy(); return }
    accepted = true
    server.close()
    socket.setNoDelay(true)
    report({ type: 'connected', cipher: socket.getCipher().standardName })
    receiveFolder(socket, init.dir, (files) => { report({ type: 'done', files }) }, die)
  })
  server.on('error', die)
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    if (address === null || typeof address === 'string') die(new Error('bare receiver: no port'))
    else report({ type: 'listening', port: address.port })
  })
}

let startSending: (() => void) | undefined

function sender (init: BareInit): void {
  const socket = connect({ ...tlsOptions(init), host: '127.0.0.1', port: init.port ?? 0 }, () => {
    if (!pinned(socket, init.peerFingerprint)) { die(new Error('bare sender: the receiver presented another certificate')); return }
    socket.setNoDelay(true)
    startSending = () => {
      sendFolder(socket, init.dir, () => { report({ type: 'scanned' }) })
        .then((files) => { report({ type: 'sent', files }) }, die)
    }
    report({ type: 'connected', cipher: socket.getCipher().standardName })
  })
  socket.on('error', die)
}

process.on('message', (message: { type?: string }) => {
  if (message.type === 'init') {
    const init = message as BareInit
    if (init.role === 'recv') receiver(init)
    else sender(init)
  } else if (message.type === 'start') {
    if (startSending === undefined) die(new Error('bare sender: start before connected'))
    else startSending()
  } else if (message.type === 'exit') {
    process.exit(0)
  }
})
process.on('disconnect', () => { process.exit(process.exitCode ?? 0) })
