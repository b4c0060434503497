/**
 * Minimal multistream-select 1.0.0, run on a raw TCP socket before TLS.
 *
 * A standard libp2p TCP connection first negotiates its security protocol with
 * multistream-select; negotiating `/tls/1.0.0` here and then running the libp2p
 * TLS handshake natively keeps this transport wire-compatible with any libp2p
 * peer (js, go, rust) that offers the TLS security protocol over TCP.
 *
 * Wire format: each message is an unsigned-varint length, then UTF-8 text
 * ending in `\n`. Only the single-protocol select/handle needed here is
 * implemented; `ls` and anything else is answered with `na`.
 */
import type { Socket } from 'node:net'

const HEADER = '/multistream/1.0.0'
const NA = 'na'
const MAX_MESSAGE_LENGTH = 1024
const MAX_PROPOSALS = 16

/** Thrown when multistream-select negotiation fails. */
export class MultistreamError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'MultistreamError'
  }
}

/** Encodes one multistream-select message. */
export function encodeMessage (text: string): Buffer {
  const body = Buffer.from(`${text}\n`, 'utf8')
  const len: number[] = []
  let n = body.byteLength
  while (n >= 0x80) {
    len.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  len.push(n)
  return Buffer.concat([Buffer.from(len), body])
}

/**
 * Reads length-prefixed messages from a socket. When negotiation finishes,
 * `release()` puts any bytes read past the last message back into the socket
 * (Node's TLSSocket consumes such buffered bytes when it wraps the socket).
 */
class MessageReader {
  private buffered: Buffer = Buffer.alloc(0)
  private waiter?: () => void
  private failure?: Error
  private readonly onData = (chunk: Buffer): void => {
    this.buffered = this.buffered.byteLength === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    this.wake()
  }

  private readonly onEnd = (): void => {
    this.fail(new MultistreamError('connection closed during multistream-select'))
  }

  private readonly onError = (err: Error): void => {
    this.fail(err)
  }

  constructor (private readonly socket: Socket, private readonly signal: AbortSignal) {
    socket.on('data', this.onData)
    socket.once('end', this.onEnd)
    socket.once('close', this.onEnd)
    socket.once('error', this.onError)
    signal.addEventListener('abort', this.onAbort, { once: true })
    // A reader before us may have paused the socket when it handed over (release()).
    socket.resume()
  }

  private readonly onAbort = (): void => {
    this.fail(new MultistreamError('multistream-select aborted'))
  }

  private fail (err: Error): void {
    this.failure ??= err
    this.wake()
  }

  private wake (): void {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.()
  }

  /** Resolves with the next message, without its trailing newline. */
  async read (): Promise<string> {
    while (true) {
      if (this.failure != null) {
        throw this.failure
      }
      const message = this.tryParse()
      if (message != null) {
        return message
      }
      await new Promise<void>(resolve => { this.waiter = resolve })
    }
  }

  private tryParse (): string | undefined {
    let length = 0
    let shift = 0
    let offset = 0
    while (true) {
      if (offset >= this.buffered.byteLength) {
        return undefined
      }
      const byte = this.buffered[offset++] ?? 0
      length |= (byte & 0x7f) << shift
      if ((byte & 0x80) === 0) {
        break
      }
      shift += 7
      if (shift > 14) {
        throw new MultistreamError('multistream-select length prefix too long')
      }
    }
    if (length > MAX_MESSAGE_LENGTH || length === 0) {
      throw new MultistreamError(`invalid multistream-select message length ${length}`)
    }
    if (this.buffered.byteLength < offset + length) {
      return undefined
    }
    const body = this.buffered.subarray(offset, offset + length)
    this.buffered = this.buffered.subarray(offset + length)
    if (body[body.byteLength - 1] !== 0x0a) {
      throw new MultistreamError('multistream-select message missing newline')
    }
    return body.subarray(0, body.byteLength - 1).toString('utf8')
  }

  /** Stops reading and returns unread bytes to the socket. */
  release (): void {
    this.socket.pause()
    this.socket.off('data', this.onData)
    this.socket.off('end', this.onEnd)
    this.socket.off('close', this.onEnd)
    this.socket.off('error', this.onError)
    this.signal.removeEventListener('abort', this.onAbort)
    if (this.buffered.byteLength > 0) {
      this.socket.unshift(this.buffered)
      this.buffered = Buffer.alloc(0)
    }
  }
}

/** Dialer side: proposes `protocol` and resolves once the listener accepts it. */
export async function selectProtocol (socket: Socket, protocol: string, signal: AbortSignal): Promise<void> {
  const reader = new MessageReader(socket, signal)
  try {
    socket.write(Buffer.concat([encodeMessage(HEADER), encodeMessage(protocol)]))
    const header = await reader.read()
    if (header !== HEADER) {
      throw new MultistreamError(`unexpected multistream header "${header}"`)
    }
    const answer = await reader.read()
    if (answer !== protocol) {
      throw new MultistreamError(`remote does not support ${protocol} (answered "${answer}")`)
    }
  } finally {
    reader.release()
  }
}

/**
 * Listener side: answers proposals until the dialer proposes one of `protocols`, and
 * resolves with that one.
 */
export async function handleProtocol (socket: Socket, protocols: string | readonly string[], signal: AbortSignal): Promise<string> {
  const accepted = typeof protocols === 'string' ? [protocols] : protocols
  const reader = new MessageReader(socket, signal)
  try {
    const header = await reader.read()
    if (header !== HEADER) {
      throw new MultistreamError(`unexpected multistream header "${header}"`)
    }
    socket.write(encodeMessage(HEADER))
    for (let i = 0; i < MAX_PROPOSALS; i++) {
      const proposal = await reader.read()
      if (accepted.includes(proposal)) {
        socket.write(encodeMessage(proposal))
        return proposal
      }
      socket.write(encodeMessage(NA))
    }
    throw new MultistreamError('too many multistream-select proposals')
  } finally {
    reader.release()
  }
}

/** Reads one length-prefixed message (as multistream-select frames them) from `socket`. */
export async function readMessage (socket: Socket, signal: AbortSignal): Promise<string> {
  const reader = new MessageReader(socket, signal)
  try {
    return await reader.read()
  } finally {
    reader.release()
  }
}
