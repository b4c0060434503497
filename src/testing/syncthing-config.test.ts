/**
 * Unit tests of the Syncthing config rewrite: a config.xml as `syncthing generate` (1.19) writes
 * it comes out with the REST socket, API key, one loopback listen address and every option
 * that would reach off the machine turned off.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { hardenSyncthingConfig, offlineOptions, onlineLeaks } from './syncthing-config.js'

/** Trimmed output of `syncthing generate --no-default-folder --skip-port-probing` (v1.19.2). */
const generated = `<configuration version="36">
    <device id="PDWYZIO-UYG52LD-IQDHZLK-V7FGEO5-GBESEMU-LZWE6KY-BSN34JF-TK3WNAL" name="vm" compression="metadata" introducer="false" skipIntroductionRemovals="false" introducedBy="">
        <address>dynamic</address>
        <paused>false</paused>
        <autoAcceptFolders>false</autoAcceptFolders>
        <maxSendKbps>0</maxSendKbps>
        <maxRecvKbps>0</maxRecvKbps>
        <maxRequestKiB>0</maxRequestKiB>
        <untrusted>false</untrusted>
        <remoteGUIPort>0</remoteGUIPort>
    </device>
    <gui enabled="true" tls="false" debugging="false">
        <address>127.0.0.1:8384</address>
        <apikey>XNxm5tiqGExsrEPSfkz3E4rxiAz6TE7m</apikey>
        <theme>default</theme>
    </gui>
    <options>
        <listenAddress>default</listenAddress>
        <globalAnnounceServer>default</globalAnnounceServer>
        <globalAnnounceEnabled>true</globalAnnounceEnabled>
        <localAnnounceEnabled>true</localAnnounceEnabled>
        <localAnnouncePort>21027</localAnnouncePort>
        <localAnnounceMCAddr>[ff12::8384]:21027</localAnnounceMCAddr>
        <maxSendKbps>0</maxSendKbps>
        <maxRecvKbps>0</maxRecvKbps>
        <reconnectionIntervalS>60</reconnectionIntervalS>
        <relaysEnabled>true</relaysEnabled>
        <relayReconnectIntervalM>10</relayReconnectIntervalM>
        <startBrowser>true</startBrowser>
        <natEnabled>true</natEnabled>
        <natLeaseMinutes>60</natLeaseMinutes>
        <natRenewalMinutes>30</natRenewalMinutes>
        <natTimeoutSeconds>10</natTimeoutSeconds>
        <urAccepted>0</urAccepted>
        <urSeen>0</urSeen>
        <urUniqueID></urUniqueID>
        <urURL>https://data.syncthing.net/newdata</urURL>
        <urPostInsecurely>false</urPostInsecurely>
        <urInitialDelayS>1800</urInitialDelayS>
        <restartOnWakeup>true</restartOnWakeup>
        <autoUpgradeIntervalH>12</autoUpgradeIntervalH>
        <upgradeToPreReleases>false</upgradeToPreReleases>
        <keepTemporariesH>24</keepTemporariesH>
        <cacheIgnoredFiles>false</cacheIgnoredFiles>
        <progressUpdateIntervalS>5</progressUpdateIntervalS>
        <limitBandwidthInLan>false</limitBandwidthInLan>
        <minHomeDiskFree unit="%">1</minHomeDiskFree>
        <releasesURL>https://upgrades.syncthing.net/meta.json</releasesURL>
        <overwriteRemoteDeviceNamesOnConnect>false</overwriteRemoteDeviceNamesOnConnect>
        <tempIndexMinBlocks>10</tempIndexMinBlocks>
        <unackedNotificationID>authenticationUserAndPassword</unackedNotificationID>
        <trafficClass>0</trafficClass>
        <setLowPriority>true</setLowPriority>
        <maxFolderConcurrency>0</maxFolderConcurrency>
        <crashReportingURL>https://crash.syncthing.net/newcrash</crashReportingURL>
        <crashReportingEnabled>true</crashReportingEnabled>
        <stunKeepaliveStartS>180</stunKeepaliveStartS>
        <stunKeepaliveMinS>20</stunKeepaliveMinS>
        <stunServer>default</stunServer>
        <databaseTuning>auto</databaseTuning>
        <maxConcurrentIncomingRequestKiB>0</maxConcurrentIncomingRequestKiB>
        <announceLANAddresses>true</announceLANAddresses>
        <sendFullIndexOnUpgrade>false</sendFullIndexOnUpgrade>
        <connectionLimitEnough>0</connectionLimitEnough>
        <connectionLimitMax>0</connectionLimitMax>
        <insecureAllowOldTLSVersions>false</insecureAllowOldTLSVersions>
    </options>
    </configuration>
`

function option (xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1] ?? '')
}

describe('hardenSyncthingConfig', () => {
  const patched = hardenSyncthingConfig(generated, { name: 'st-a', guiSocket: '/tmp/x/rest.sock', apiKey: 'k&y', listen: 'tcp://127.0.0.1:22101' })

  it('sets the name, the REST socket and the escaped API key', () => {
    assert.match(patched, /<device id="[A-Z0-9-]+" name="st-a"/)
    assert.deepEqual(option(patched, 'address').slice(1), ['/tmp/x/rest.sock'])
    assert.deepEqual(option(patched, 'apikey'), ['k&amp;y'])
  })

  it('leaves exactly one listen address and no announce server', () => {
    assert.deepEqual(option(patched, 'listenAddress'), ['tcp://127.0.0.1:22101'])
    assert.deepEqual(option(patched, 'globalAnnounceServer'), [])
  })

  it('turns off every option that reaches off the machine', () => {
    for (const [key, value] of Object.entries(offlineOptions)) assert.deepEqual(option(patched, key), [String(value)], key)
    assert.equal(option(patched, 'urAccepted')[0], '-1')
  })

  it('adds an option the generated file lacks', () => {
    const without = generated.replace(/\s*<announceLANAddresses>[^<]*<\/announceLANAddresses>/, '')
    assert.deepEqual(option(hardenSyncthingConfig(without, { name: 'n', guiSocket: '/s', apiKey: 'k', listen: 'tcp://127.0.0.1:1' }), 'announceLANAddresses'), ['false'])
  })

  it('refuses a file without an options section', () => {
    assert.throws(() => hardenSyncthingConfig('<configuration><device id="X" name="a"></device><gui></gui></configuration>', { name: 'n', guiSocket: '/s', apiKey: 'k', listen: 'l' }), /<options>/)
  })
})

describe('onlineLeaks', () => {
  it('names the options a running instance reports wrongly', () => {
    assert.deepEqual(onlineLeaks({ ...offlineOptions }), [])
    assert.deepEqual(onlineLeaks({ ...offlineOptions, relaysEnabled: true, urAccepted: 0 }), ['relaysEnabled', 'urAccepted'])
  })
})
