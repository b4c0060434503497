/**
 * The Mesh behaviour suite (mesh-contract.ts) against the in-memory mesh: the mesh features'
 * unit tests run over must behave as the libp2p mesh does.
 */
import { generateDeviceKey } from '../identity/device-key.js'
import { meshContract, meshContractChunkBytes } from './mesh-contract.js'
import { MemoryHub } from './memory-mesh.js'
import { memoryStreamHighWaterMark } from './memory-stream.js'

const hub = new MemoryHub()

meshContract('MemoryMesh', {
  create: async () => {
    const mesh = hub.createMesh(generateDeviceKey().deviceId)
    await mesh.start()
    return mesh
  },
  // One direction's buffer, the write that took it past its high-water mark, and the chunk
  // the reader has taken out but not yet counted.
  maxBufferedBytes: memoryStreamHighWaterMark + 2 * meshContractChunkBytes
})
