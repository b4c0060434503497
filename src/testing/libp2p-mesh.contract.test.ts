/**
 * The Mesh behaviour suite (mesh-contract.ts) against the libp2p mesh: real nodes on
 * loopback (ephemeral TCP ports), no mDNS, no bootstrap peers, no relays, no DHT.
 */
import { randomBytes } from 'node:crypto'
import { silentLogger } from '../core/log.js'
import { Libp2pMesh } from '../net/libp2p-mesh.js'
import { meshContract } from './mesh-contract.js'

meshContract('Libp2pMesh on loopback', {
  create: async () => {
    const mesh = new Libp2pMesh({
      seed: randomBytes(32),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      announce: [],
      mdns: { enabled: false, intervalMs: 10_000 },
      agentVersion: 'weft/contract-test',
      relays: [],
      bootstrap: [],
      dht: 'off',
      holePunching: false,
      logger: silentLogger()
    })
    await mesh.start()
    return mesh
  },
  // The writer's queue (1 MiB above its low-water mark), the reader's queue (1 MiB before it
  // pauses), what arrived while paused (up to a Yamux window, 16 MiB, see libp2p-mesh.ts and
  // libp2p-stream.ts) and the window granted when it resumed, in flight (kernel buffers
  // included); a little to spare for chunks in hand.
  maxBufferedBytes: 36 * 1024 * 1024
})
