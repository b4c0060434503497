/**
 * Tunnels moving from one stream to another mid-connection (over in-memory stream pairs):
 * every byte arrives once and in order both ways, half-closes before or during the move are
 * kept, a refused move leaves the tunnel where it was, and a move that fails half-way tears
 * the connection down instead of ending it cleanly.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import type { DeviceId } from '../../core/ids.js'
import { FramedStream } from '../../net/framed.js'
import { createStreamPair } from '../../testing/memory-stream.js'
import type { MemoryStream } from '../../testing/memory-stream.js'
import { moveTunnel, TunnelDesk } from './migration.js'
import { reachRequest } from './protocol.js'
import { Tunnel } from './tunnel.js'

const opener = 'OPENER' as DeviceId
const server = 'SERVER' as DeviceId
const id = 'AAAAAAAAAAAAAAAAAAAAAA'

function streams (): [MemoryStream, MemoryStream] {
  return createStreamPair(opener, server, '/weft/reach/1.0.0')
}

/** An opener's and a server's tunnel over one stream pair, the server's registered. */
function tunnels (): { a: Tunnel, b: Tunnel, desk: TunnelDesk, old: [MemoryStream, MemoryStream] } {
  const old = streams()
  const a = new Tunnel(old[0])
  const b = new Tunnel(old[1])
  const desk = new TunnelDesk()
  assert.ok(desk.add(id, b))
  b.onClose(() => { desk.remove(id, b) })
  return { a, b, desk, old }
}

/** Moves `a` onto a fresh stream pair, the server side answering through `desk`. */
async function move (a: Tunnel, desk: TunnelDesk, serverSide?: (stream: MemoryStream) => Promise<void>): Promise<boolean> {
  const [mine, theirs] = streams()
  const answered = serverSide?.(theirs) ?? (async () => {
    const framed = new FramedStream(theirs)
    const request = reachRequest.parse(await framed.expect())
    assert.equal(request.op, 'resume')
    if (request.op === 'resume') await desk.resume(request.tunnel, framed)
  })()
  const [moved] = await Promise.all([moveTunnel(a, id, mine, { signal: AbortSignal.timeout(5000) }), answered])
  return moved
}

async function send (t: Tunnel, chunks: Uint8Array[], after?: (i: number) => void): Promise<void> {
  for (const [i, chunk] of chunks.entries()) {
    await t.write(chunk)
    after?.(i)
  }
  await t.closeWrite()
}

async function receive (t: Tunnel): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of t) parts.push(chunk)
  return Buffer.concat(parts)
}

const chunkList = fc.array(fc.uint8Array({ minLength: 1, maxLength: 40_000 }), { maxLength: 12 })

describe('tunnel moves', () => {
  it('carry every byte once and in order both ways, wherever the move falls', async () => {
    let moves = 0
    await fc.assert(fc.asyncProperty(chunkList, chunkList, fc.nat(12), async (up, down, at) => {
      const { a, b, desk, old } = tunnels()
      let moving: Promise<boolean> | undefined
      const start = (): void => { moving ??= move(a, desk) }
      if (at >= up.length) start()
      const [, , atServer, atOpener] = await Promise.all([
        send(a, up, (i) => { if (i + 1 === at) start() }),
        send(b, down),
        receive(b),
        receive(a)
      ])
      // A connection that ended before the server saw `resume` is not moved (nothing to move).
      const moved = await moving
      assert.deepEqual(atServer, Buffer.concat(up))
      assert.deepEqual(atOpener, Buffer.concat(down))
      assert.equal(a.switches, moved === true ? 1 : 0)
      assert.equal(b.switches, a.switches)
      if (moved === true) moves++
      if (moved === true) assert.ok(old[0].closed && old[1].closed, 'the old stream ended both ways')
    }), { numRuns: 60 })
    assert.ok(moves >= 30, `${moves} of 60 connections moved`)
  })

  it('keep a half-close that came before the move, and the other direction flows on', async () => {
    const { a, b, desk, old } = tunnels()
    const received = receive(b)
    await send(a, [Buffer.from('request')])
    assert.deepEqual(await received, Buffer.from('request'), 'the server saw the opener\'s end')
    const reply = receive(a)
    await b.write(Buffer.from('before '))
    assert.ok(await move(a, desk))
    await send(b, [Buffer.from('after the move')])
    assert.deepEqual(await reply, Buffer.from('before after the move'))
    assert.ok(old[0].closed && old[1].closed)
  })

  it('can move again, and a refused move leaves the tunnel where it was', async () => {
    const { a, b, desk } = tunnels()
    const atServer = receive(b)
    const atOpener = receive(a)
    await a.write(Buffer.from('one '))
    assert.ok(await move(a, desk))
    await a.write(Buffer.from('two '))
    // A second move waits until the reader has gone on to the stream of the first one.
    while (a.switching) await new Promise((resolve) => setImmediate(resolve))
    assert.ok(await move(a, desk))
    desk.remove(id, b)
    assert.equal(await move(a, desk), false, 'an unknown tunnel is refused')
    await b.write(Buffer.from('pong'))
    await send(a, [Buffer.from('three')])
    await b.closeWrite()
    assert.deepEqual(await atServer, Buffer.from('one two three'))
    assert.deepEqual(await atOpener, Buffer.from('pong'))
    assert.equal(a.switches, 2)
  })

  it('refuse a resume from another device than the opener', async () => {
    const { desk } = tunnels()
    const [mine, theirs] = createStreamPair('INTRUDER' as DeviceId, server, '/weft/reach/1.0.0')
    const framed = new FramedStream(mine)
    await framed.send({ op: 'resume', tunnel: id })
    await desk.resume(id, new FramedStream(theirs))
    assert.deepEqual(await framed.expect(), { ok: false, code: 'NOT_FOUND', message: 'no such connection to move' })
  })

  it('tear the connection down when the new stream fails during the move, never a clean end', async () => {
    const { a, b, desk } = tunnels()
    const atOpener = receive(a)
    const atServer = receive(b)
    await b.write(Buffer.from('partial'))
    // The server switches (its output on the old stream ends after 'partial'), then the new
    // stream dies before the opener reads the answer.
    const moved = await move(a, desk, async (stream) => {
      const framed = new FramedStream(stream)
      const request = reachRequest.parse(await framed.expect())
      if (request.op !== 'resume') throw new Error('expected resume')
      await b.switchAsServer(stream, framed.rest(), async () => {
        const sent = framed.send({ ok: true })
        stream.abort(new Error('path lost'))
        await sent.catch(() => {})
      })
    })
    assert.equal(moved, false)
    assert.ok(a.failed, 'the opener tore its end down')
    await assert.rejects(atOpener, 'the opener\'s reader gets an error, not the end of the stream')
    await assert.rejects(atServer, 'so does the server\'s')
  })
})
