/**
 * Golden bytes: a Hello and an Index with one FileInfo, encoded by hand from the protobuf rules
 * (tag = field number << 3 | wire type; varints 7 bits at a time, least significant group first,
 * high bit = more; proto3 leaves out zero/empty fields; fields in number order, as Go's
 * protobuf-go marshals them). Both directions must match byte for byte.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import type { FolderId } from '../types.js'
import { BepDecoder, encodeFrame, encodeHello } from './framing.js'
import type { BepHello, BepIndex } from './messages.js'

const hex = (s: string): string => s.replace(/#.*$/gm, '').replace(/\s+/g, '')
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(hex(s), 'hex'))

const hello: BepHello = { deviceName: 'dev', clientName: 'weft', clientVersion: '0.1.0', numConnections: 2, timestamp: 1_000_000_000n }

/*
 * 1_000_000_000 = 0b11_1011100_1101011_0010100_0000000 → groups (low first) 0x00 0x14 0x6b 0x5c 0x03
 * → with continuation bits 80 94 eb dc 03.
 */
const helloHex = `
  2ea7d90b                 # magic
  001a                     # body length 26
  0a 03 646576             # 1 device_name (LEN): "dev"
  12 04 77656674           # 2 client_name: "weft"
  1a 05 302e312e30         # 3 client_version: "0.1.0"
  20 02                    # 4 num_connections (VARINT): 2
  28 8094ebdc03            # 5 timestamp: 1_000_000_000
`

const sha256OfHello = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'
const maxU64 = (1n << 64n) - 1n

const index: BepIndex = {
  type: 'index',
  folder: 'f' as FolderId,
  files: [{
    name: 'a.txt', type: 'file', size: 5, permissions: 0o644, modifiedS: 1_700_000_000, modifiedNs: 0, modifiedBy: 42n,
    deleted: false, invalid: false, noPermissions: false, version: [{ id: maxU64, value: 1n }], sequence: 1, blockSize: 131072,
    blocks: [{ offset: 0, size: 5, hash: Uint8Array.from(Buffer.from(sha256OfHello, 'hex')) }], symlinkTarget: '',
    unsupported: [], ignored: []
  }],
  lastSequence: 1
}

/*
 * FileInfo (82 bytes). type 0 (file), deleted/invalid/no_permissions false, modified_ns 0 and
 * block offset 0 are defaults and left out.
 *   permissions 0o644 = 420 = 0b11_0100100 → a4 03
 *   modified_s 1_700_000_000 = 0x6553f100 → groups 0x00 0x62 0x4f 0x2a 0x06 → 80 e2 cf aa 06
 *   counter id 2^64-1: 64 one bits = nine groups of 0x7f then a single 1 → ff×9 01
 *   block_size 131072 = 2^17 → groups 0x00 0x00 0x08 → 80 80 08
 *   field 16 (blocks, LEN): tag 16<<3|2 = 130 → 82 01
 */
const fileInfoHex = `
  0a 05 612e747874         # 1 name: "a.txt"                         7
  18 05                    # 3 size: 5                               2
  20 a403                  # 4 permissions: 0o644                    3
  28 80e2cfaa06            # 5 modified_s: 1_700_000_000             6
  4a 0f                    # 9 version: Vector, 15 bytes             2
     0a 0d                 #   1 counters: Counter, 13 bytes         2
        08 ffffffffffffffffff01  # 1 id: 2^64-1                     11
        10 01              #     2 value: 1                          2
  50 01                    # 10 sequence: 1                          2
  60 2a                    # 12 modified_by: 42                      2
  68 808008                # 13 block_size: 131072                   4
  8201 24                  # 16 blocks: BlockInfo, 36 bytes          3
     10 05                 #   2 size: 5                             2
     1a 20 ${sha256OfHello} #  3 hash: SHA-256("hello")            34
`

/*
 * Frame: header {type: 1 (Index)} = 08 01, two bytes; compression none (the 89-byte body is
 * under Syncthing's 128-byte compression threshold, so the default 'metadata' mode sends it raw).
 */
const indexFrameHex = `
  0002 0801                # header length 2, Header {type: INDEX}
  00000059                 # message length 89
  0a 01 66                 # 1 folder: "f"
  12 52 ${fileInfoHex}     # 2 files: FileInfo, 82 bytes
  18 01                    # 3 last_sequence: 1
`

describe('BEP golden bytes', () => {
  it('encodes the Hello exactly', () => {
    assert.equal(toHex(encodeHello(hello)), hex(helloHex))
  })

  it('encodes the Index frame exactly', () => {
    assert.equal(hex(fileInfoHex).length / 2, 82)
    assert.equal(toHex(encodeFrame(index)), hex(indexFrameHex))
  })

  it('decodes both back to the domain values', () => {
    const frames = new BepDecoder().feed(fromHex(helloHex + indexFrameHex))
    assert.deepStrictEqual(frames, [
      { kind: 'hello', hello },
      { kind: 'message', message: index, compressed: false, wireBytes: hex(indexFrameHex).length / 2 }
    ])
  })
})
