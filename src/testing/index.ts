/**
 * Test helpers weft supports for its own tests and for later features' tests.
 */
export { startTestnet, formNetwork, waitForOnline, runWeft, TestDaemon, weftBin } from './testnet.js'
export type { Testnet, TestnetOptions, CliResult, PeerRow } from './testnet.js'
export { waitFor } from './wait.js'
export { createLoopbackNamespace, netnsUnavailable } from './netns.js'
export type { LoopbackNamespace } from './netns.js'
export { MemoryHub, MemoryMesh, memoryAddress } from './memory-mesh.js'
export { SyncthingInstance, pairSyncthing, syncthingUnavailable, syncthingVersion, freeLoopbackPort } from './syncthing.js'
export type { SyncthingOptions, SyncthingFolder, SyncthingFolderStatus } from './syncthing.js'
export { createNatLab, natLabUnavailable, labInternet, routerRuleset } from './natlab.js'
export type { NatLab, NatLabOptions, NatMode, LabHost, SiteOptions } from './natlab.js'
export { startLabDaemons, labAddress, labPort } from './lab-daemons.js'
export type { LabDaemons, LabDaemonSpec } from './lab-daemons.js'
