/**
 * Receiving end of the baseline measurements (a separate process, like a second daemon):
 * listens on loopback with raw TCP or TLS 1.3, counts each connection's bytes until the
 * sender ends, answers with the count as a u64 and prints its port on stdout. Mode `echo`
 * echoes instead (round-trip probes).
 */
import { createServer as createTcpServer } from 'node:net'
import type { Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { readFileSync } from 'node:fs'

const [mode, certPath, keyPath] = process.argv.slice(2)

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

const server = mode === 'tls'
  ? createTlsServer({ cert: readFileSync(certPath!), key: readFileSync(keyPath!), minVersion: 'TLSv1.3' }, count)
  : createTcpServer(mode === 'echo' ? echo : count)
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : 0}\n`)
})
