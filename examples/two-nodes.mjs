// Two weft nodes in this one process, each with its own temporary home, form a private
// network (one invites, the other joins) and exchange a message over a stream.
// Run: node examples/two-nodes.mjs   (in a checkout after `npm run build`, or wherever weft is installed)
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode } from 'weft'

const dir = await mkdtemp(join(tmpdir(), 'weft-example-'))
// `loopback: true` keeps both nodes on 127.0.0.1 with ephemeral ports, no mDNS and no
// bootstrap peers; drop it to run a node on the LAN and beyond.
const alice = await createNode({ home: join(dir, 'alice'), name: 'alice', loopback: true, logLevel: 'warn' })
const bob = await createNode({ home: join(dir, 'bob'), name: 'bob', loopback: true, logLevel: 'warn' })
try {
  await alice.start()
  await bob.start()

  // alice creates a network and invites bob; the code carries alice's addresses.
  const network = await alice.networks.create('example')
  const invite = await alice.networks.invite(network.name)
  await bob.networks.join(invite.code)
  await bob.networks.waitForOnline(alice.id, { signal: AbortSignal.timeout(30_000) })
  console.log(`bob joined "${network.name}"; members: ${bob.networks.members('example').map((m) => m.name).join(', ')}`)

  // Both open the same topic; each gets one end of one end-to-end encrypted stream.
  const signal = AbortSignal.timeout(30_000)
  const [toBob, toAlice] = await Promise.all([
    alice.streams.open('greetings', { signal }),
    bob.streams.open('greetings', { signal })
  ])
  await toBob.write(`hello from ${alice.name}`)
  await toBob.end()
  const message = await toAlice.text()
  await toAlice.end()
  console.log(`bob received: ${message}`)
} finally {
  await bob.stop()
  await alice.stop()
  await rm(dir, { recursive: true, force: true })
}
