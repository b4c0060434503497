/**
 * DNS answers for member and service names, from a fixed member list.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import type { DeviceId } from '../../core/ids.js'
import { answerQuery } from './dns.js'
import { memberHost, parseWeftName, serviceHost } from './names.js'
import type { DnsMember, DnsServiceInstance } from './dns.js'

const members: DnsMember[] = [
  { device: 'ABCDEFG-HIJ' as DeviceId, name: 'Laptop', networks: ['home'], address: '127.70.1.2', services: [{ name: 'web', port: 8080, network: 'home' }] },
  { device: 'QRSTUVW-XYZ' as DeviceId, name: 'nas', networks: ['home', 'work'], address: '127.80.3.4', services: [{ name: 'web', port: 80, network: 'home' }] }
]

const ask = (name: string, type: string, instances: DnsServiceInstance[] = []): ReturnType<typeof answerQuery> => answerQuery({ id: 7, type: 'query', flags: 256, questions: [{ name, type, class: 'IN' }] }, members, instances)
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
  it('the alias NAME.service.NET.weft gets the same answer as NAME.svc.NET.weft', () => {
    const srv = (r: ReturnType<typeof answerQuery>): string[] => (r.answers ?? []).map((a) => JSON.stringify(a.data)).sort()
    assert.deepEqual(srv(ask('web.service.home.weft', 'SRV')), srv(ask('web.svc.home.weft', 'SRV')))
    assert.deepEqual(srv(ask('WEB.Service.HOME.weft.', 'SRV')), srv(ask('web.svc.home.weft', 'SRV')))
  })
  it('a service is answered once per instance: exposed and registered, failing checks left out', () => {
    const instances: DnsServiceInstance[] = [
      { service: 'web', network: 'home', device: 'laptop', address: '127.70.1.2', port: 8080, healthy: true },
      { service: 'web', network: 'home', device: 'nas', address: '127.80.3.4', port: 80, healthy: false },
      { service: 'web', network: 'home', device: 'pi', address: '127.90.0.1', port: 3000 }
    ]
    const r = ask('web.svc.home.weft', 'SRV', instances)
    assert.deepEqual(r.answers?.map((a) => a.data).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))), [
      { priority: 0, weight: 1, port: 3000, target: 'pi.home.weft' },
      { priority: 0, weight: 1, port: 8080, target: 'laptop.home.weft' }
    ])
    const hidden = ask('web.svc.home.weft', 'SRV', [{ service: 'web', network: 'home', device: 'tv', address: '127.90.0.2', port: 9000, healthy: true, source: 'expose' }])
    assert.equal(hidden.answers?.some((a) => JSON.stringify(a.data).includes('tv.home.weft')), false, 'a service exposed but not to this device is not answered')
    const none = ask('web.svc.home.weft', 'SRV', instances.map((i) => ({ ...i, healthy: false })))
    assert.equal(rcode(none), 3, 'no healthy instance: NXDOMAIN')
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

describe('.weft names', () => {
  it('parses member names, service names and the older service alias, without case or trailing dot', () => {
    assert.deepEqual(parseWeftName('Laptop.Home.weft.'), { kind: 'member', device: 'laptop', network: 'home' })
    assert.deepEqual(parseWeftName('web.svc.home.weft'), { kind: 'service', service: 'web', network: 'home', alias: false })
    assert.deepEqual(parseWeftName('web.service.home.weft'), { kind: 'service', service: 'web', network: 'home', alias: true })
  })
  it('refuses names outside the scheme', () => {
    for (const name of ['example.com', 'weft', 'home.weft', 'web.other.home.weft', 'a.b.c.d.weft', 'web..home.weft', 'laptop.home.weft.com']) {
      assert.equal(parseWeftName(name), undefined, name)
    }
  })
  it('builds the canonical names that parse back to the same thing', () => {
    assert.equal(serviceHost('web', 'My Home'), 'web.svc.my-home.weft')
    assert.equal(memberHost('Laptop', 'home'), 'laptop.home.weft')
    assert.deepEqual(parseWeftName(serviceHost('web', 'home')), { kind: 'service', service: 'web', network: 'home', alias: false })
  })
})
