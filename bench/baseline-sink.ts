/**
 * Receiving end of the baseline measurements (a separate process, like a second daemon):
 * listens on loopback with raw TCP or TLS 1.3, counts each connection's bytes until the
 * sender ends, answers with the count as a u64 and prints its port on stdout. Mode `echo`
 * echoes instead (round-trip probes). Modes `tls-entry` and `tls-exit` are relays with no
 * weft in them: plain TCP in, TLS 1.3 to the target port / TLS 1.3 in, plain TCP to the
 * target port; two of them in a row are the shape of a reach path, four processes.
 */
import { createServer as createTcpServer } from 'node:net'
import type { Socket } from 'node:net'
import { connect as tcpConnect } from 'node:net'
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls'
import { readFileSync } from 'node:fs'

const [mode, certPath, keyPath, target] = process.argv.slice(2)

/** Copies `from` into `to` with backpressure, passing the end on (half-close). */
async function copy (from: Socket, to: Socket): Promise<void> {
  for await (const chunk of from.iterator({ destroyOnReturn: false })) {
    if (!to.write(chunk as Buffer)) await new Promise((resolve) => { to.once('drain', resolve) })
  }
  to.end()
}

/** Relay mode: joins an accepted socket with a new one to the target, both ways. */
function relay (inbound: Socket): void {
  const outbound = mode === 'tls-entry'
    ? tlsConnect({ socket: tcpConnect({ host: '127.0.0.1', port: Number(target), allowHalfOpen: true }), rejectUnauthorized: false, minVersion: 'TLSv1.3' })
    : tcpConnect({ host: '127.0.0.1', port: Number(target), allowHalfOpen: true })
  for (const s of [inbound, outbound]) s.on('error', () => { inbound.destroy(); outbound.destroy() })
  void copy(inbound, outbound).catch(() => {})
  void copy(outbound, inbound).catch(() => {})
}

function count (socket: Socket): void {
  let received = 0
  socket.on('data', (d: Buffer) => { received += d.length })
  socket.on('end', () => {
    const answer = Buffer.alloc(8)
    answer.writeBigUInt64BE(BigInt(received))
    socket.end(answer)
  })
  socket.on('error', () => {})
}

/** Echo mode (latency probes): every byte goes straight back. */
function echo (socket: Socket): void {
  socket.setNoDelay(true)
  socket.on('error', () => {})
  socket.pipe(socket)
}

const tlsOptions = (): { cert: Buffer, key: Buffer, minVersion: 'TLSv1.3' } => ({ cert: readFileSync(certPath!), key: readFileSync(keyPath!), minVersion: 'TLSv1.3' })
const server = mode === 'tls'
  ? createTlsServer(tlsOptions(), count)
  : mode === 'tls-exit'
    ? createTlsServer({ ...tlsOptions(), allowHalfOpen: true }, relay)
    : mode === 'tls-entry'
      ? createTcpServer({ allowHalfOpen: true }, relay)
      : createTcpServer(mode === 'echo' ? echo : count)
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : 0}\n`)
})
