/**
 * BEP message bodies: property round trips of every message type and the Hello, the 1.x/2.x
 * bridges of Folder, and the refusal side: out-of-range numbers are protocol errors, encrypted
 * records, unknown enum values, platform data and unknown fields are flagged, never applied.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import type { FolderId } from '../types.js'
import { arbFileInfo, arbHello, arbMessage } from '../../../../test/support/sync/arbitraries.js'
import { BepWireError } from './errors.js'
import { computeBlocksHash, fileInfoFromPb, type BepFileInfo } from './fileinfo.js'
import { decodeHelloBody, decodeMessage, encodeHelloBody, encodeMessage, messageTypeCodes, type BepIndex, type BepMessage } from './messages.js'
import { decodeAs } from './pb.js'
import { bepRoot, type PbFileInfo } from './schema.js'

const roundTrip = (m: BepMessage): BepMessage => decodeMessage(messageTypeCodes[m.type], encodeMessage(m))
const isProtocolError = (reason: string) => (err: unknown): boolean =>
  err instanceof BepWireError && err.code === 'PROTOCOL_ERROR' && err.reason === reason

/** Encodes raw protobuf fields of a bep type, bypassing the domain checks (what a hostile peer can send). */
function raw (type: string, value: object): Uint8Array {
  return bepRoot.lookupType(`bep.${type}`).encode(value).finish()
}

const file: BepFileInfo = {
  name: 'a.txt', type: 'file', size: 5, permissions: 0o644, modifiedS: 1_700_000_000, modifiedNs: 0, modifiedBy: 42n,
  deleted: false, invalid: false, noPermissions: false, version: [{ id: 42n, value: 1n }], sequence: 1, blockSize: 131072,
  blocks: [{ offset: 0, size: 5, hash: new Uint8Array(32).fill(7) }], symlinkTarget: '', unsupported: [], ignored: []
}
const decodeFile = (fields: object): BepFileInfo => fileInfoFromPb(decodeAs<PbFileInfo>(bepRoot.lookupType('bep.FileInfo'), raw('FileInfo', fields)))

describe('BEP message round trips', () => {
  it('decode(encode(m)) is m for every message type', () => {
    fc.assert(fc.property(arbMessage, (m) => {
      assert.deepStrictEqual(roundTrip(m), m)
    }), { numRuns: 500 })
  })

  it('round-trips the Hello, int64 timestamps included', () => {
    fc.assert(fc.property(arbHello, (h) => {
      assert.deepStrictEqual(decodeHelloBody(encodeHelloBody(h)), h)
    }))
  })

  it('round-trips FileInfo inside an Index, never sending inode', () => {
    fc.assert(fc.property(arbFileInfo, fc.nat(1e9), (f, inode) => {
      const m: BepIndex = { type: 'index', folder: 'f' as FolderId, files: [{ ...f, inode }], lastSequence: 3 }
      assert.deepStrictEqual(roundTrip(m), { ...m, files: [f] })
    }))
  })

  it('encodes a Ping as an empty body', () => {
    assert.equal(encodeMessage({ type: 'ping' }).length, 0)
  })

  it('computes blocks_hash as SHA-256 over the block hashes', () => {
    assert.equal(Buffer.from(computeBlocksHash([])).toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })
})

describe('BEP FileInfo decoding notes', () => {
  it('flags encrypted records and unknown entry types as unsupported (placeholder marked invalid)', () => {
    assert.deepEqual(decodeFile({ name: 'x', encrypted: Uint8Array.of(1) }).unsupported, ['encrypted'])
    const odd = decodeFile({ name: 'x', type: 9 })
    assert.deepEqual(odd.unsupported, ['type:9'])
    assert.equal(odd.invalid, true)
  })

  it('maps the deprecated symlink kinds 2 and 3 to symlink', () => {
    assert.equal(decodeFile({ name: 'l', type: 2 }).type, 'symlink')
    assert.equal(decodeFile({ name: 'l', type: 3 }).type, 'symlink')
  })

  it('flags non-NFC names, non-UTF-8 symlink targets and hashes that are not 32 bytes', () => {
    assert.deepEqual(decodeFile({ name: 'e\u0301' }).unsupported, ['name:notNFC'])
    assert.deepEqual(decodeFile({ name: 'l', type: 4, symlinkTarget: Uint8Array.of(0xff) }).unsupported, ['symlinkTarget:notUTF8'])
    assert.deepEqual(decodeFile({ name: 'f', blocks: [{ size: 1, hash: Uint8Array.of(1) }] }).unsupported, ['blocks:hashLength'])
  })

  it('drops platform data, permission bits above 0o777 and unknown fields, saying so', () => {
    const f = decodeFile({ name: 'x', platform: Uint8Array.of(0x0a, 0x00), permissions: 0o4755 })
    assert.equal(f.permissions, 0o755)
    assert.deepEqual(f.ignored, ['platform', 'permissions:high'])
    const withUnknown = new Uint8Array([...raw('FileInfo', { name: 'x' }), 0xa8, 0x01, 0x05, 0xc0, 0x3e, 0x01]) // field 21 = 5, field 1000 = 1
    const w = fileInfoFromPb(decodeAs<PbFileInfo>(bepRoot.lookupType('bep.FileInfo'), withUnknown))
    assert.deepEqual(w.ignored, ['field:21'])
    assert.deepEqual(w.unsupported, [])
  })

  it('refuses negative and beyond-2^53 sizes, sequences and offsets', () => {
    const big = { low: 1, high: 0x200000, unsigned: false } // 2^53 + 1
    assert.throws(() => decodeFile({ name: 'x', size: -1 }), isProtocolError('badMessage'))
    assert.throws(() => decodeFile({ name: 'x', sequence: big }), isProtocolError('badMessage'))
    assert.throws(() => decodeFile({ name: 'x', blocks: [{ offset: -5, size: 1, hash: new Uint8Array(32) }] }), isProtocolError('badMessage'))
    assert.equal(decodeFile({ name: 'x', modifiedS: -86400 }).modifiedS, -86400)
  })

  it('canonicalises vectors from the wire (sorted, merged, zeros dropped)', () => {
    const f = decodeFile({ name: 'x', version: { counters: [{ id: 9, value: 1 }, { id: 3, value: 0 }, { id: 2, value: 4 }, { id: 9, value: 2 }] } })
    assert.deepEqual(f.version, [{ id: 2n, value: 4n }, { id: 9n, value: 2n }])
  })

  it('refuses invalid UTF-8 in string fields', () => {
    const body = Uint8Array.of(0x0a, 0x01, 0x66, 0x12, 0x04, 0x0a, 0x02, 0xc3, 0x28)
    assert.throws(() => decodeMessage(1, body), isProtocolError('badMessage'))
  })

  it('refuses encoding values outside the protobuf ranges', () => {
    assert.throws(() => encodeMessage({ type: 'index', folder: 'f' as FolderId, files: [{ ...file, size: -1 }], lastSequence: 0 }), /size/)
    assert.throws(() => encodeMessage({ type: 'index', folder: 'f' as FolderId, files: [{ ...file, blockSize: 2 ** 31 }], lastSequence: 0 }), /blockSize/)
    assert.throws(() => encodeMessage({ type: 'index', folder: 'f' as FolderId, files: [{ ...file, modifiedBy: -1n }], lastSequence: 0 }), /modifiedBy/)
  })
})

describe('BEP ClusterConfig decoding', () => {
  const device = { id: new Uint8Array(32).fill(0xab), name: 'peer' }
  const decodeCc = (folder: object): BepMessage => decodeMessage(0, raw('ClusterConfig', { folders: [folder] }))
  const folderOf = (m: BepMessage) => {
    assert.equal(m.type, 'clusterConfig')
    const f = m.type === 'clusterConfig' ? m.folders[0] : undefined
    assert.ok(f)
    return f
  }

  it('reads a 1.x Folder: read_only and paused bools are send-only and stop reason 1', () => {
    const f = folderOf(decodeCc({ id: 'abc', type: 1, ignoreDelete: true, stopReason: 1, devices: [device] }))
    assert.equal(f.type, 'sendonly')
    assert.equal(f.readOnly, true)
    assert.equal(f.paused, true)
    assert.equal(f.ignoreDelete, true)
    assert.equal(f.devices[0]?.id, 'ab'.repeat(32))
  })

  it('flags encrypted sharing and unknown enum values', () => {
    assert.deepEqual(folderOf(decodeCc({ id: 'e', type: 3 })).unsupported, ['type:receiveencrypted'])
    const odd = folderOf(decodeCc({ id: 'o', type: 8, stopReason: 4, devices: [{ ...device, compression: 5, encryptionPasswordToken: Uint8Array.of(1) }] }))
    assert.deepEqual(odd.unsupported, ['type:8', 'stopReason:4', `device:${'ab'.repeat(32)}:compression:5`, `device:${'ab'.repeat(32)}:encryptionPasswordToken`])
    assert.equal(odd.paused, true)
  })

  it('refuses device IDs that are not 32 bytes', () => {
    assert.throws(() => decodeCc({ id: 'x', devices: [{ id: new Uint8Array(31) }] }), isProtocolError('badMessage'))
  })

  it('refuses to encode a folder whose readOnly contradicts its type', () => {
    const folder = {
      id: 'x' as FolderId, label: '', type: 'receiveonly' as const, readOnly: true, ignorePermissions: false, ignoreDelete: false,
      disableTempIndexes: false, paused: false, devices: []
    }
    assert.throws(() => encodeMessage({ type: 'clusterConfig', folders: [folder], secondary: false }), /contradicts/)
  })
})

describe('BEP message types and codes', () => {
  it('refuses unknown message types', () => {
    assert.throws(() => decodeMessage(8, new Uint8Array(0)), isProtocolError('unknownType'))
  })

  it('reports unknown response codes as generic errors and drops unknown progress update kinds', () => {
    const r = decodeMessage(4, raw('Response', { id: 1, code: 17 }))
    assert.deepEqual(r, { type: 'response', id: 1, data: new Uint8Array(0), code: 'generic' })
    const p = decodeMessage(5, raw('DownloadProgress', { folder: 'f', updates: [{ updateType: 2, name: 'a' }, { updateType: 1, name: 'b' }] }))
    assert.deepEqual(p.type === 'downloadProgress' ? p.updates.map((u) => u.name) : [], ['b'])
  })

  it('accepts packed block indexes too (Syncthing sends them unpacked)', () => {
    // field 4, wire type 2 (packed): 22 02 05 06 ; plus name "a"
    const body = Uint8Array.of(0x12, 0x07, 0x12, 0x01, 0x61, 0x22, 0x02, 0x05, 0x06)
    const p = decodeMessage(5, body)
    assert.deepEqual(p.type === 'downloadProgress' ? p.updates[0]?.blockIndexes : [], [5, 6])
    const encoded = encodeMessage({ type: 'downloadProgress', folder: '' as FolderId, updates: [{ updateType: 'append', name: 'a', version: [], blockIndexes: [5, 6], blockSize: 0 }] })
    // unpacked: 20 05 20 06 after name and an empty version (1a 00)
    assert.equal(Buffer.from(encoded).toString('hex'), '1209120161' + '1a00' + '20052006')
  })
})
