/**
 * DNS answers for member and service names, from a fixed member list.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import type { DeviceId } from '../../core/ids.js'
import { answerQuery } from './dns.js'
import type { DnsMember } from './dns.js'

const members: DnsMember[] = [
  { device: 'ABCDEFG-HIJ' as DeviceId, name: 'Laptop', networks: ['home'], address: '127.70.1.2', services: [{ name: 'web', port: 8080, network: 'home' }] },
  { device: 'QRSTUVW-XYZ' as DeviceId, name: 'nas', networks: ['home', 'work'], address: '127.80.3.4', services: [{ name: 'web', port: 80, network: 'home' }] }
]

const ask = (name: string, type: string): ReturnType<typeof answerQuery> => answerQuery({ id: 7, type: 'query', flags: 256, questions: [{ name, type, class: 'IN' }] }, members)
const rcode = (p: ReturnType<typeof answerQuery>): number => (p.flags ?? 0) & 0xf

describe('DNS answers', () => {
  it('A for DEVICE.NET.weft, by name (any case) or ID prefix', () => {
    for (const name of ['laptop.home.weft', 'LAPTOP.Home.weft.', 'abcdefg.home.weft']) {
      const r = ask(name, 'A')
      assert.equal(rcode(r), 0)
      assert.deepEqual(r.answers?.map((a) => a.data), ['127.70.1.2'])
    }
  })
  it('SRV and A for NAME.svc.NET.weft, one per member exposing it', () => {
    const r = ask('web.svc.home.weft', 'SRV')
    assert.deepEqual(r.answers?.map((a) => a.data).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))), [
      { priority: 0, weight: 1, port: 80, target: 'nas.home.weft' },
      { priority: 0, weight: 1, port: 8080, target: 'laptop.home.weft' }
    ])
    assert.equal(r.additionals?.length, 2)
  })
  it('NXDOMAIN for unknown names under .weft, REFUSED outside, FORMERR without a question', () => {
    assert.equal(rcode(ask('nobody.home.weft', 'A')), 3)
    assert.equal(rcode(ask('laptop.work.weft', 'A')), 3, 'laptop is not in work')
    assert.equal(rcode(ask('example.com', 'A')), 5)
    assert.equal(rcode(answerQuery({ id: 1, type: 'query', questions: [] }, members)), 1)
  })
  it('an existing name with another record type gets an empty answer, not NXDOMAIN', () => {
    const r = ask('laptop.home.weft', 'AAAA')
    assert.equal(rcode(r), 0)
    assert.deepEqual(r.answers, [])
  })
})
