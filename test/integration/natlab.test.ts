/**
 * The NAT lab itself: hosts behind cone and symmetric routers reach a public host, and the
 * public host observes the mapping each NAT mode promises (one public port for every
 * destination behind a cone NAT, a different one per destination behind a symmetric NAT).
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createNatLab, natLabUnavailable, labInternet } from '../../src/testing/natlab.js'
import type { NatLab, LabHost } from '../../src/testing/natlab.js'

const unavailable = await natLabUnavailable()
if (unavailable !== undefined) console.log(`# skipped NAT lab tests: ${unavailable}`)

// Answers every UDP datagram with the sender's address as the server saw it, from the address
// it was sent to (one socket per address: an unbound one would answer from the primary).
const reflector = (addresses: string[]): string => `let ready = 0;
for (const a of ${JSON.stringify(addresses)}) { const s = require('node:dgram').createSocket('udp4');
  s.on('message', (m, r) => s.send(r.address + ':' + r.port, r.port, r.address));
  s.bind(9000, a, () => { if (++ready === ${addresses.length}) console.log('ready') }) }`

// Sends from one socket to both of the public host's addresses; prints what each saw.
const prober = (a: string, b: string): string => `const s = require('node:dgram').createSocket('udp4');
const seen = new Map(); s.on('message', (m, r) => { seen.set(r.address, m.toString()); if (seen.size === 2) { console.log(JSON.stringify([seen.get('${a}'), seen.get('${b}')])); s.close() } });
s.bind(40000, () => { const go = () => { if (seen.size < 2) { s.send('x', 9000, '${a}'); s.send('x', 9000, '${b}'); setTimeout(go, 200) } }; go() })`

async function runIn (host: LabHost, script: string): Promise<string> {
  const [command, ...prefix] = host.wrap
  return await new Promise((resolve, reject) => {
    execFile(command ?? 'ip', [...prefix, process.execPath, '-e', script], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout.trim())
      else reject(new Error(stderr || err.message))
    })
  })
}

describe('NAT lab', { skip: unavailable }, () => {
  let lab: NatLab
  let server: ChildProcess
  before(async () => {
    lab = await createNatLab({ publicHosts: ['pub'], sites: [{ name: 'A', nat: 'cone' }, { name: 'B', nat: 'symmetric' }] })
    const pub = lab.host('pub')
    const [command, ...prefix] = pub.wrap
    server = spawn(command ?? 'ip', [...prefix, process.execPath, '-e', reflector([pub.address, pub.secondAddress!])], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise((resolve) => server.stdout?.once('data', resolve))
  })
  after(async () => {
    server?.kill()
    await lab?.stop()
  })

  it('a cone NAT maps one local port to one public port for every destination', async () => {
    const pub = lab.host('pub')
    const [first, second] = JSON.parse(await runIn(lab.host('A'), prober(pub.address, pub.secondAddress!))) as [string, string]
    assert.equal(first, `${labInternet}.50:40000`)
    assert.equal(second, first)
  })

  it('a symmetric NAT maps each destination to its own public port', async () => {
    const pub = lab.host('pub')
    const [first, second] = JSON.parse(await runIn(lab.host('B'), prober(pub.address, pub.secondAddress!))) as [string, string]
    assert.match(first, new RegExp(`^${labInternet.replace(/\./g, '\\.')}\\.51:`))
    assert.notEqual(second, first)
  })

  it('a host that moves to another site gets that site\'s address and public mapping', async () => {
    const address = await lab.moveHost('B', 'A')
    assert.match(address, /^10\.0\.1\./)
    const pub = lab.host('pub')
    const [first] = JSON.parse(await runIn(lab.host('B'), prober(pub.address, pub.secondAddress!))) as [string, string]
    assert.match(first, new RegExp(`^${labInternet.replace(/\./g, '\\.')}\\.50:`))
  })
})
