/**
 * Tests of the native-TLS TCP transport: a normal libp2p connection (identify,
 * ping), interop with `@libp2p/tcp` + `@libp2p/tls`, and rejection of peers
 * whose key is wrong or whose certificate is forged or missing.
 * Run: `node --test dist/` after `tsc`. Loopback only.
 */
import '../polyfills.js'
import { strict as assert } from 'node:assert'
import * as net from 'node:net'
import { after, before, describe, it } from 'node:test'
import * as tls from 'node:tls'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { tls as libp2pTls } from '@libp2p/tls'
import { multiaddr } from '@multiformats/multiaddr'
import { getNetConfig } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import { createLibp2pSecureContext, secureSocket, TLS_PROTOCOL } from './handshake.js'
import { nativeTlsTcp } from './index.js'
import { handleProtocol, selectProtocol } from './multistream.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import type { Ping } from '@libp2p/ping'

type Node = Libp2p<{ identify: Identify, ping: Ping }>

async function makeNode (kind: 'native' | 'libp2p-tls' | 'noise', privateKey?: PrivateKey): Promise<Node> {
  return createLibp2p({
    ...(privateKey != null ? { privateKey } : {}),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [kind === 'native' ? nativeTlsTcp() : tcp()],
    connectionEncrypters: [kind === 'libp2p-tls' ? libp2pTls() : noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping() }
  })
}

/**
 * A private key that claims `claimed`'s public key but signs with `signer`:
 * the certificate it yields says "I am `claimed`" with a signature that is not
 * `claimed`'s.
 */
function forgedKey (signer: PrivateKey, claimed: PrivateKey): PrivateKey {
  return new Proxy(signer, {
    get (target, prop, receiver) {
      if (prop === 'publicKey') {
        return claimed.publicKey
      }
      const value: unknown = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    }
  })
}

const log = defaultLogger().forComponent('test')
const timeout = (): AbortSignal => AbortSignal.timeout(5_000)

describe('native TLS TCP transport', () => {
  let a: Node
  let b: Node
  before(async () => {
    a = await makeNode('native')
    b = await makeNode('native')
  })
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()])
  })

  it('makes a normal libp2p connection (identify + ping)', async () => {
    const conn = await a.dial(b.getMultiaddrs()[0]!, { signal: timeout() })
    assert.equal(conn.remotePeer.toString(), b.peerId.toString())
    assert.equal(conn.encryption, 'native')
    assert.equal(conn.multiplexer, '/yamux/1.0.0')
    const rtt = await a.services.ping.ping(b.peerId, { signal: timeout() })
    assert.ok(rtt >= 0)
    const result = await a.services.identify.identify(conn, { signal: timeout() })
    assert.ok(result.protocols.includes('/ipfs/ping/1.0.0'))
    await a.hangUp(b.peerId)
  })

  it('rejects a dial when the remote key is not the expected one', async () => {
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const port = getNetConfig(b.getMultiaddrs()[0]!).port
    const wrong = multiaddr(`/ip4/127.0.0.1/tcp/${port}/p2p/${other.toString()}`)
    await assert.rejects(a.dial(wrong, { signal: timeout() }), /Unexpected Peer/)
    assert.equal(a.getConnections(other).length, 0)
  })

  it('rejects a listener whose certificate is signed by another key', async () => {
    const victim = await generateKeyPair('Ed25519')
    const attacker = await generateKeyPair('Ed25519')
    const secureContext = await createLibp2pSecureContext(forgedKey(attacker, victim))
    const server = net.createServer(socket => {
      socket.on('error', () => {})
      handleProtocol(socket, TLS_PROTOCOL, timeout())
        .then(async () => secureSocket(socket, { isServer: true, secureContext, muxers: [], signal: timeout(), log }))
        .catch(() => socket.destroy())
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as net.AddressInfo
      const victimId = peerIdFromPrivateKey(victim)
      await assert.rejects(a.dial(multiaddr(`/ip4/127.0.0.1/tcp/${port}/p2p/${victimId.toString()}`), { signal: timeout() }), /Could not verify signature/)
      // without an expected peer id the forged certificate is still rejected
      await assert.rejects(a.dial(multiaddr(`/ip4/127.0.0.1/tcp/${port}`), { signal: timeout() }), /Could not verify signature/)
    } finally {
      server.close()
    }
  })

  it('rejects a dialer whose certificate is forged or missing', async () => {
    const victim = await generateKeyPair('Ed25519')
    const attacker = await generateKeyPair('Ed25519')
    const forged = await createLibp2pSecureContext(forgedKey(attacker, victim))
    const { port } = getNetConfig(b.getMultiaddrs()[0]!)

    // forged libp2p certificate: the listener must close the connection
    const socket = net.connect({ host: '127.0.0.1', port: Number(port) })
    await new Promise(resolve => socket.once('connect', resolve))
    await selectProtocol(socket, TLS_PROTOCOL, timeout())
    const secured = await secureSocket(socket, { isServer: false, secureContext: forged, muxers: ['/yamux/1.0.0'], signal: timeout(), log })
    await new Promise(resolve => secured.tlsSocket.once('close', resolve))

    // no client certificate at all
    const raw = net.connect({ host: '127.0.0.1', port: Number(port) })
    await new Promise(resolve => raw.once('connect', resolve))
    await selectProtocol(raw, TLS_PROTOCOL, timeout())
    const bare = tls.connect({ socket: raw, rejectUnauthorized: false, minVersion: 'TLSv1.3' })
    bare.on('error', () => {})
    await new Promise(resolve => bare.once('close', resolve))

    assert.equal(b.getConnections(peerIdFromPrivateKey(victim)).length, 0)
    assert.equal(b.getConnections().length, 0)
  })

  it('interoperates with @libp2p/tcp + @libp2p/tls in both directions', async () => {
    const std = await makeNode('libp2p-tls')
    try {
      const out = await a.dial(std.getMultiaddrs()[0]!, { signal: timeout() })
      assert.equal(out.multiplexer, '/yamux/1.0.0')
      assert.ok(await a.services.ping.ping(std.peerId, { signal: timeout() }) >= 0)
      await a.hangUp(std.peerId)
      const back = await std.dial(a.getMultiaddrs()[0]!, { signal: timeout() })
      assert.equal(back.encryption, '/tls/1.0.0')
      assert.ok(await std.services.ping.ping(a.peerId, { signal: timeout() }) >= 0)
    } finally {
      await std.stop()
    }
  })

  it('fails cleanly against a Noise-only peer', async () => {
    const n = await makeNode('noise')
    try {
      await assert.rejects(a.dial(n.getMultiaddrs()[0]!, { signal: timeout() }), /does not support|na/)
    } finally {
      await n.stop()
    }
  })
})
