/**
 * One behaviour suite for the {@link Mesh} interface (src/net/types.ts), run against every
 * implementation, as js-libp2p's interface compliance tests are: the in-memory mesh
 * (src/testing/memory-mesh.contract.test.ts) and the libp2p mesh on loopback
 * (src/testing/libp2p-mesh.contract.test.ts). Features are tested over the in-memory mesh and
 * run over the libp2p one; this suite is what makes the first stand for the second. It checks
 * streams (bytes both ways, half-close, backpressure, aborts and disconnects surfacing as
 * `PEER_UNREACHABLE` on the other side), handlers (handle and unhandle), the connection gate
 * on both ends, and connect and disconnect seen on both sides. Everything is judged by
 * bytes and events, never by how long something took.
 */
import { strict as assert } from 'node:assert'
import { afterEach, describe, it } from 'node:test'
import type { DeviceId } from '../core/ids.js'
import { WeftError } from '../core/errors.js'
import type { ErrorCode } from '../core/errors.js'
import type { ConnectionGate, Mesh, MeshEvents, MeshStream } from '../net/types.js'
import { waitFor } from './wait.js'

/** What the suite needs of an implementation. */
export interface MeshContractSubject {
  /** Creates and starts one mesh; every mesh it creates can reach the others it created. */
  create: () => Promise<Mesh>
  /**
   * The most bytes a writer may run ahead of a reader that does not read: the buffers of
   * both ends and of everything between them. The suite writes well past it.
   */
  maxBufferedBytes: number
}

/** A started mesh of the suite with the devices its gate refuses. */
interface Node {
  mesh: Mesh
  refuse: Set<DeviceId>
  events: Array<{ event: 'peer:connect' | 'peer:disconnect', device: DeviceId }>
}

const protocol = '/weft-contract/echo/1'

/** Size of each write of the backpressure case (a bound may count one in each end's hands). */
export const meshContractChunkBytes = 64 * 1024

/** Reads a stream to its end. */
async function readAll (stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of stream) parts.push(Buffer.from(chunk))
  return Buffer.concat(parts)
}

/** Reads a stream until it fails; fails the test if it ends cleanly. */
async function readFailure (stream: MeshStream): Promise<unknown> {
  try {
    // Drained (and dropped) until the failure.
    for await (const chunk of stream) void chunk
  } catch (err) {
    return err
  }
  assert.fail('the stream ended cleanly instead of failing')
}

/** Asserts `err` is a {@link WeftError} with `code`. */
function assertCode (err: unknown, code: ErrorCode): void {
  assert.ok(err instanceof WeftError, `expected a WeftError ${code}, got ${String(err)}`)
  assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`)
}

/** Collects the streams a handler receives, in order. */
class Inbox {
  readonly #streams: MeshStream[] = []
  #waiting: Array<(s: MeshStream) => void> = []

  /** The handler to register. */
  readonly handler = (stream: MeshStream): void => {
    const waiter = this.#waiting.shift()
    if (waiter !== undefined) waiter(stream)
    else this.#streams.push(stream)
  }

  /** The next stream received. */
  async next (): Promise<MeshStream> {
    const queued = this.#streams.shift()
    if (queued !== undefined) return queued
    return await new Promise((resolve) => { this.#waiting.push(resolve) })
  }
}

/** Echo handler: reads to the end, then writes it all back and ends. */
async function echo (stream: MeshStream): Promise<void> {
  const data = await readAll(stream)
  await stream.write(data)
  await stream.closeWrite()
}

/**
 * Registers the suite (node:test `describe` and `it`) for the implementation `name`. Each
 * case starts its own meshes and stops them when it ends.
 */
export function meshContract (name: string, subject: MeshContractSubject): void {
  describe(`Mesh contract: ${name}`, () => {
    let nodes: Node[] = []

    async function start (count: number): Promise<Node[]> {
      const started: Node[] = []
      for (let i = 0; i < count; i++) {
        const node: Node = { mesh: await subject.create(), refuse: new Set(), events: [] }
        nodes.push(node)
        const gate: ConnectionGate = { allowConnection: (d) => !node.refuse.has(d), isFellow: () => true, shareNetwork: () => true }
        node.mesh.setGate(gate)
        for (const event of ['peer:connect', 'peer:disconnect'] as const) {
          node.mesh.events.on(event, (device: MeshEvents[typeof event]) => { node.events.push({ event, device }) })
        }
        started.push(node)
      }
      return started
    }

    async function open (from: Node, to: Node, p = protocol): Promise<MeshStream> {
      return await from.mesh.openStream(to.mesh.deviceId, p, { addresses: to.mesh.listenAddresses() })
    }

    function saw (node: Node, event: 'peer:connect' | 'peer:disconnect', other: Node): boolean {
      return node.events.some((e) => e.event === event && e.device === other.mesh.deviceId)
    }

    afterEach(async () => {
      const stopping = nodes
      nodes = []
      await Promise.all(stopping.map(async (n) => { await n.mesh.stop() }))
    })

    it('starts with a device ID of its own and addresses to be dialled at', async () => {
      const [a, b] = await start(2) as [Node, Node]
      assert.notEqual(a.mesh.deviceId, b.mesh.deviceId)
      assert.ok(a.mesh.listenAddresses().length > 0)
      assert.equal(a.mesh.link(b.mesh.deviceId).online, false)
    })

    it('carries bytes both ways on a stream for a handled protocol; both ends know who and what', async () => {
      const [a, b] = await start(2) as [Node, Node]
      const inbox = new Inbox()
      await b.mesh.handle(protocol, inbox.handler)
      const outgoing = await open(a, b)
      assert.equal(outgoing.remote, b.mesh.deviceId)
      assert.equal(outgoing.protocol, protocol)
      for (const part of ['one ', 'two ', 'three']) await outgoing.write(Buffer.from(part))
      await outgoing.closeWrite()
      const incoming = await inbox.next()
      assert.equal(incoming.remote, a.mesh.deviceId)
      assert.equal(incoming.protocol, protocol)
      await echo(incoming)
      assert.equal((await readAll(outgoing)).toString(), 'one two three')
    })

    it('carries several streams on one connection independently', async () => {
      const [a, b] = await start(2) as [Node, Node]
      await b.mesh.handle(protocol, echo)
      const texts = ['alpha', 'beta', 'gamma', 'delta']
      const streams = await Promise.all(texts.map(async () => await open(a, b)))
      // Written in reverse order, so no stream can borrow another's bytes by arrival order.
      for (const [i, stream] of [...streams.entries()].reverse()) {
        await stream.write(Buffer.from(texts[i] ?? ''))
        await stream.closeWrite()
      }
      assert.deepEqual((await Promise.all(streams.map(readAll))).map(String), texts)
    })

    it('refuses a protocol nobody handles, serves it once handled, and refuses it again after unhandle', async () => {
      const [a, b] = await start(2) as [Node, Node]
      await assert.rejects(open(a, b), (err) => { assertCode(err, 'PEER_UNREACHABLE'); return true })
      await b.mesh.handle(protocol, echo)
      const before = await open(a, b)
      await b.mesh.unhandle(protocol)
      await assert.rejects(open(a, b), (err) => { assertCode(err, 'PEER_UNREACHABLE'); return true })
      // A stream opened before goes on.
      await before.write(Buffer.from('still here'))
      await before.closeWrite()
      assert.equal((await readAll(before)).toString(), 'still here')
    })

    it('half-close: the side that ended its writes still reads what the other sends', async () => {
      const [a, b] = await start(2) as [Node, Node]
      const inbox = new Inbox()
      await b.mesh.handle(protocol, inbox.handler)
      const outgoing = await open(a, b)
      const incoming = await inbox.next()
      // The handler speaks first and ends its side at once.
      await incoming.write(Buffer.from('hello'))
      await incoming.closeWrite()
      await assert.rejects(incoming.write(Buffer.from('too late')), WeftError)
      const handlerRead = readAll(incoming)
      // The opener sees the end of the handler's bytes, then answers on its own side.
      assert.equal((await readAll(outgoing)).toString(), 'hello')
      await outgoing.write(Buffer.from('after your end'))
      await outgoing.closeWrite()
      assert.equal((await handlerRead).toString(), 'after your end')
    })

    it('backpressure: a writer never runs further ahead of a slow reader than the buffers hold', async () => {
      const [a, b] = await start(2) as [Node, Node]
      const inbox = new Inbox()
      await b.mesh.handle(protocol, inbox.handler)
      const outgoing = await open(a, b)
      const chunk = Buffer.alloc(meshContractChunkBytes, 7)
      const total = 2 * subject.maxBufferedBytes + chunk.length
      let written = 0
      let read = 0
      let furthestAhead = 0
      // Settled to a value, so a failed write is reported below rather than as an unhandled rejection.
      const writer = (async () => {
        while (written < total) {
          await outgoing.write(chunk)
          written += chunk.length
          furthestAhead = Math.max(furthestAhead, written - read)
        }
        await outgoing.closeWrite()
      })().then(() => undefined, (err: unknown) => err instanceof Error ? err : new Error(String(err)))
      const incoming = await inbox.next()
      // The reader reads nothing until the writer stopped making progress (it waits for
      // room) or wrote everything (it did not wait, which the assertion below catches).
      let seen = -1
      await waitFor('the writer to stop making progress', () => {
        const still = written === seen
        seen = written
        return still || written >= total
      }, 60_000, 200)
      assert.ok(written < total, `the writer wrote all ${total} bytes with nobody reading`)
      for await (const data of incoming) read += data.length
      const failure = await writer
      if (failure !== undefined) throw failure
      assert.equal(read, total)
      assert.ok(furthestAhead <= subject.maxBufferedBytes, `the writer ran ${furthestAhead} bytes ahead of the reader (bound ${subject.maxBufferedBytes})`)
    })

    it('an abort by the opener fails the handler\'s reads with PEER_UNREACHABLE', async () => {
      const [a, b] = await start(2) as [Node, Node]
      const inbox = new Inbox()
      await b.mesh.handle(protocol, inbox.handler)
      const outgoing = await open(a, b)
      await outgoing.write(Buffer.from('partial'))
      const incoming = await inbox.next()
      outgoing.abort(new Error('given up'))
      assertCode(await readFailure(incoming), 'PEER_UNREACHABLE')
      await assert.rejects(incoming.write(Buffer.from('to nobody')), WeftError)
    })

    it('an abort by the handler fails the opener\'s reads with PEER_UNREACHABLE', async () => {
      const [a, b] = await start(2) as [Node, Node]
      const inbox = new Inbox()
      await b.mesh.handle(protocol, inbox.handler)
      const outgoing = await open(a, b)
      await outgoing.write(Buffer.from('a request'))
      const incoming = await inbox.next()
      await incoming.write(Buffer.from('half an answer'))
      incoming.abort(new Error('handler failed'))
      assertCode(await readFailure(outgoing), 'PEER_UNREACHABLE')
    })

    it('a disconnect fails the open streams on both sides with PEER_UNREACHABLE', async () => {
      const [a, b] = await start(2) as [Node, Node]
      const inbox = new Inbox()
      await b.mesh.handle(protocol, inbox.handler)
      const outgoing = await open(a, b)
      await outgoing.write(Buffer.from('ping'))
      const incoming = await inbox.next()
      const failures = [readFailure(outgoing), readFailure(incoming)]
      await a.mesh.disconnect(b.mesh.deviceId)
      for (const failure of await Promise.all(failures)) assertCode(failure, 'PEER_UNREACHABLE')
    })

    it('connect and disconnect are seen on both sides, in events and links', async () => {
      const [a, b] = await start(2) as [Node, Node]
      await a.mesh.connect(b.mesh.deviceId, b.mesh.listenAddresses())
      await waitFor('peer:connect on both sides', () => saw(a, 'peer:connect', b) && saw(b, 'peer:connect', a))
      assert.equal(a.mesh.link(b.mesh.deviceId).online, true)
      await waitFor('the link online on the far side', () => b.mesh.link(a.mesh.deviceId).online)
      const rtt = await a.mesh.ping(b.mesh.deviceId)
      assert.ok(Number.isFinite(rtt) && rtt >= 0, `ping reported ${rtt}`)
      await a.mesh.disconnect(b.mesh.deviceId)
      await waitFor('peer:disconnect on both sides', () => saw(a, 'peer:disconnect', b) && saw(b, 'peer:disconnect', a))
      assert.equal(a.mesh.link(b.mesh.deviceId).online, false)
      await waitFor('the link offline on the far side', () => !b.mesh.link(a.mesh.deviceId).online)
      await assert.rejects(a.mesh.ping(b.mesh.deviceId), (err) => { assertCode(err, 'PEER_UNREACHABLE'); return true })
    })

    it('the gate: a device refused by either end\'s gate cannot connect or open streams', async () => {
      const [a, b, c] = await start(3) as [Node, Node, Node]
      await b.mesh.handle(protocol, echo)
      await a.mesh.handle(protocol, echo)
      // The far end refuses.
      b.refuse.add(a.mesh.deviceId)
      await assert.rejects(open(a, b), (err) => { assertCode(err, 'PEER_UNREACHABLE'); return true })
      await waitFor('no connection left from the refused attempt', () => !a.mesh.link(b.mesh.deviceId).online && !b.mesh.link(a.mesh.deviceId).online)
      // Our own gate refuses.
      c.refuse.add(a.mesh.deviceId)
      await assert.rejects(c.mesh.connect(a.mesh.deviceId, a.mesh.listenAddresses()), (err) => { assertCode(err, 'PEER_UNREACHABLE'); return true })
      assert.equal(c.mesh.link(a.mesh.deviceId).online, false)
      // A device both gates allow still gets through.
      const allowed = await open(c, b)
      await allowed.closeWrite()
      assert.equal((await readAll(allowed)).length, 0)
    })

    it('fails with PEER_UNREACHABLE towards a device that stopped', async () => {
      const [a, b] = await start(2) as [Node, Node]
      await b.mesh.handle(protocol, echo)
      const addresses = b.mesh.listenAddresses()
      await b.mesh.stop()
      await assert.rejects(a.mesh.openStream(b.mesh.deviceId, protocol, { addresses }), (err) => { assertCode(err, 'PEER_UNREACHABLE'); return true })
    })

    it('openDirect gives a stream of its own to a direct handler, or undefined (then callers use openStream)', async () => {
      const [a, b] = await start(2) as [Node, Node]
      await b.mesh.handle(protocol, echo, { direct: true })
      await a.mesh.connect(b.mesh.deviceId, b.mesh.listenAddresses())
      const direct = await a.mesh.openDirect(b.mesh.deviceId, protocol)
      if (direct === undefined) return
      assert.equal(direct.remote, b.mesh.deviceId)
      await direct.write(Buffer.from('straight'))
      await direct.closeWrite()
      assert.equal((await readAll(direct)).toString(), 'straight')
    })

    // Reported as a to-do, not a failure, until direct streams can tell the other side: see
    // the header of src/net/socket-stream.ts (no safe TCP reset under a TLS socket in Node).
    it('a direct stream\'s abort and disconnect fail the other side\'s reads with PEER_UNREACHABLE, as a muxed stream\'s do', { todo: 'the other side of a direct stream sees an abort as an end of data (src/net/socket-stream.ts)' }, async () => {
      const [a, b] = await start(2) as [Node, Node]
      const inbox = new Inbox()
      await b.mesh.handle(protocol, inbox.handler, { direct: true })
      await a.mesh.connect(b.mesh.deviceId, b.mesh.listenAddresses())
      const first = await a.mesh.openDirect(b.mesh.deviceId, protocol)
      if (first === undefined) return
      await first.write(Buffer.from('partial'))
      const firstIncoming = await inbox.next()
      first.abort(new Error('given up'))
      assertCode(await readFailure(firstIncoming), 'PEER_UNREACHABLE')
      const second = await a.mesh.openDirect(b.mesh.deviceId, protocol)
      assert.ok(second !== undefined, 'a second direct stream, as the first')
      await second.write(Buffer.from('partial'))
      const secondIncoming = await inbox.next()
      const failures = [readFailure(second), readFailure(secondIncoming)]
      await a.mesh.disconnect(b.mesh.deviceId)
      for (const failure of await Promise.all(failures)) assertCode(failure, 'PEER_UNREACHABLE')
    })
  })
}
