/**
 * The metadata node: one libp2p node per fedlake node holding a signed, replicated policy set.
 * New policies travel by gossip (fast path); anti-entropy exchanges on connect, periodically with
 * a random peer, and when a direct peer shows a lasting version mismatch repair whatever gossip
 * missed (late joiners, restarts, partitions). Liveness frames between direct peers (liveness.ts)
 * tell every node which others are alive. This module only composes the parts; each has one job.
 */
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { FedlakeError, toFedlakeError } from '@fedlake/core'
import { createAntiEntropy } from './anti-entropy.js'
import { createOwnCounters } from './counters.js'
import type { MetadataNode, MetadataNodeInit } from './api.js'
import { createCatalog } from './catalog.js'
import { createMetadataCommands } from './commands/index.js'
import { createDialer } from './dialer.js'
import { METADATA_ERRORS } from './errors.js'
import { loadOrCreateNodeKey } from './keys.js'
import { loadNetworkKey } from './network-key.js'
import { createNodeLiveness } from './node-liveness.js'
import { createOwnPolicies } from './own-policies.js'
import { createP2PNode, resolveHost, seedToMultiaddr, tcpListenPort } from './p2p.js'
import { PeerDirectory } from './peer-directory.js'
import { createPeerStreams } from './peer-streams.js'
import { createPinger } from './ping.js'
import { parsePolicyInput } from './policy.js'
import { filterPolicies } from './policy-filter.js'
import { createPolicyGossip } from './policy-gossip.js'
import { createPublisher } from './publisher.js'
import { createRecordIntake } from './record-intake.js'
import { resolvePeerId } from './resolve-peer.js'
import { PolicyStore } from './store.js'
import { createVersionRepair } from './version-repair.js'

export const POLICY_STORE_FILE = 'policies.json'

export async function createMetadataNode (init: MetadataNodeInit): Promise<MetadataNode> {
  const log = init.logger
  const privateKey = await loadOrCreateNodeKey(init.dataDir)
  const networkKey = init.networkKeyFile !== undefined ? await loadNetworkKey(init.networkKeyFile) : undefined
  const blocked = new Set(init.blockedPeers ?? [])
  const isBlocked = (peerId: string): boolean => blocked.has(peerId)
  const p2p = await createP2PNode({
    privateKey,
    host: init.host,
    port: init.p2pPort,
    ...(networkKey !== undefined ? { networkKey } : {}),
    isBlocked
  })
  const selfId = p2p.peerId.toString()
  const store = new PolicyStore({ file: join(init.dataDir, POLICY_STORE_FILE), admins: init.admins, logger: log.child('store') })
  const directory = new PeerDirectory(selfId, init.unreachableAfterMs)
  const counters = createOwnCounters()
  const timers: NodeJS.Timeout[] = []
  let advertisedIp = init.host
  let running = false
  let stopping = false

  const p2pAddresses = (): string[] => p2p.getMultiaddrs().map(a => a.toString())
  const openStream = (peerId: string, protocol: string, signal: AbortSignal) => p2p.dialProtocol(peerIdFromString(peerId), protocol, { signal })

  const gossip = createPolicyGossip({ pubsub: p2p.services.pubsub, networkName: init.networkName, logger: log, isRunning: () => running })
  const intake = createRecordIntake({ store, counters, logger: log, regossip: record => gossip.send(record) })
  const dialer = createDialer({
    p2p,
    directory,
    selfId,
    seeds: init.seeds,
    targetPeers: init.targetPeers ?? 8,
    maxBackoffMs: Math.max(1000, Math.min(init.antiEntropyIntervalMs, 5000)),
    isBlocked,
    logger: log
  })
  const antiEntropy = createAntiEntropy({
    sync: { networkName: init.networkName, store, ingest: intake.ingest },
    dialer,
    directory,
    selfId,
    openStream,
    isBlocked,
    antiEntropyIntervalMs: init.antiEntropyIntervalMs,
    counters,
    logger: log,
    isStopping: () => stopping
  })
  const repair = createVersionRepair({ heartbeatIntervalMs: init.heartbeatIntervalMs, version: () => store.version(), repair: antiEntropy.syncWith })
  const liveness = createNodeLiveness({
    selfId,
    networkName: init.networkName,
    heartbeatIntervalMs: init.heartbeatIntervalMs,
    unreachableAfterMs: init.unreachableAfterMs,
    directory,
    ...(init.nodeInfo !== undefined ? { nodeInfo: init.nodeInfo } : {}),
    logger: log,
    connectedPeers: dialer.connectedPeers,
    isBlocked,
    openStream,
    hangUp: peerId => p2p.hangUp(peerIdFromString(peerId)),
    p2pAddresses,
    version: () => store.version(),
    onPeerVersion: repair.checkVersion,
    ...(init.ingestTotals !== undefined ? { ingestTotals: init.ingestTotals } : {})
  })
  const publisher = createPublisher({ store, privateKey, selfId, counters, gossip: record => gossip.send(record) })
  const ownPolicies = createOwnPolicies({
    ...(init.nodeInfo !== undefined ? { nodeInfo: init.nodeInfo } : {}),
    selfId,
    networkName: init.networkName,
    publisher,
    visible: () => store.visible(),
    advertisedIp: () => advertisedIp,
    listenPort: () => tcpListenPort(p2p),
    configuredPort: init.p2pPort,
    p2pAddresses,
    logger: log
  })
  const ping = createPinger({ selfId, ping: p2p.services.ping, dialer, directory })

  store.onChange(change => {
    if (change.kind === 'deleted') return
    const record = store.get(change.id)
    if (record === undefined) return
    dialer.learnFromNodePolicy(record)
    if (running) ownPolicies.retireIfStale(record)
  })

  const catalog = createCatalog({
    visible: () => store.visible(),
    generation: () => store.generation(),
    status: peerId => directory.status(peerId, Date.now()),
    lastSeenAt: peerId => peerId === selfId ? Date.now() : directory.lastSeenAt(peerId),
    selfPeerId: selfId
  })

  const requireRunning = (): void => {
    if (!running) throw new FedlakeError(METADATA_ERRORS.METADATA_NOT_STARTED, 'the metadata node is not running')
  }

  const streams = createPeerStreams({
    p2p, networkName: init.networkName, selfId, dialer, directory, logger: log.child('streams'), requireRunning, onTraffic: liveness.noteTraffic
  })

  const node: MetadataNode = {
    peerId: selfId,
    networkName: init.networkName,
    catalog,
    p2pAddresses,

    async start () {
      if (running) return
      counters.loadedFromDisk = await store.load()
      dialer.learnFromPolicies(store.visible())
      advertisedIp = await resolveHost(init.host)
      gossip.validateWith(intake.validateGossip)
      await p2p.handle(antiEntropy.protocol, (stream, connection) => { antiEntropy.serve(stream, connection) })
      await p2p.handle(liveness.protocol, (stream, connection) => { liveness.serve(stream, connection.remotePeer.toString()) })
      p2p.addEventListener('connection:open', evt => {
        const conn = evt.detail
        if (!running) return
        liveness.greet(conn.remotePeer.toString())
        if (conn.direction === 'outbound') void antiEntropy.syncWith(conn.remotePeer.toString()).catch(() => undefined)
      })
      await p2p.start()
      gossip.subscribe()
      running = true
      stopping = false
      await ownPolicies.publishAll()
      liveness.start()
      dialer.maintainConnections()
      timers.push(setInterval(dialer.maintainConnections, Math.min(init.heartbeatIntervalMs, 1000)))
      timers.push(setInterval(antiEntropy.tick, init.antiEntropyIntervalMs))
      log.info('metadata node started', { peerId: selfId, addresses: p2pAddresses(), network: init.networkName, policies: store.recordCount, pnet: networkKey !== undefined })
    },

    async stop () {
      if (!running) return
      stopping = true
      for (const t of timers.splice(0)) clearInterval(t)
      await liveness.stop()
      running = false
      await antiEntropy.settle()
      await store.flush()
      await p2p.stop()
      log.info('metadata node stopped', { peerId: selfId })
    },

    async publish (policy) {
      requireRunning()
      return await publisher.publish(parsePolicyInput(policy))
    },

    async delete (id) {
      requireRunning()
      await publisher.delete(id)
    },

    get: (type, where) => filterPolicies(store.visible(), type, where),
    getById: id => store.get(id)?.policy,
    version: () => store.version(),
    peers: dialer.connectedPeers,
    liveness: liveness.list,
    status: liveness.status,

    async setIngestSince (since) {
      ownPolicies.setIngestSince(since)
      if (running) await ownPolicies.publishAll()
    },

    async announceTable (schema, options = {}) {
      requireRunning()
      return await ownPolicies.announceTable(schema, options)
    },

    commandHandlers () {
      return createMetadataCommands({
        policies: () => store.visible(),
        publish: policy => node.publish(policy),
        delete: id => node.delete(id),
        version: () => store.version(),
        catalog,
        liveness: () => node.liveness(),
        ping,
        ...(init.localTables !== undefined ? { localTables: init.localTables } : {})
      })
    },

    onPolicyChange: listener => store.onChange(listener),
    onLivenessChange: listener => liveness.onChange(listener),

    counters: () => ({
      ...counters,
      livenessFramesSent: liveness.counters.framesSent,
      livenessFramesReceived: liveness.counters.framesReceived,
      livenessFramesRejected: liveness.counters.framesInvalid
    }),
    ping,

    async blockPeers (peerIds) {
      blocked.clear()
      for (const p of peerIds) blocked.add(p)
      await Promise.all(peerIds.map(async p => {
        try { await p2p.hangUp(peerIdFromString(p)) } catch { /* not connected */ }
      }))
    },

    async dial (address) {
      requireRunning()
      try {
        const conn = await p2p.dial(seedToMultiaddr(address), { signal: AbortSignal.timeout(10_000) })
        return conn.remotePeer.toString()
      } catch (err) {
        throw toFedlakeError(err, METADATA_ERRORS.METADATA_SYNC_FAILED)
      }
    },

    syncWith: peerId => antiEntropy.syncWith(peerId),
    handleStream: (protocol, handler, options) => streams.handle(protocol, handler, options),
    openStream: (target, protocol, options) => streams.open(target, protocol, options),
    peerIdOf: target => resolvePeerId(target, () => catalog.nodes())
  }
  return node
}
