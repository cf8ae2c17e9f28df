/**
 * Liveness frames between direct peers (src/liveness.ts): evidence travels hop by hop, so nodes that are
 * never connected still see each other, and a node that dies or leaves is reported everywhere in time.
 * A chain a — b — c: a and c refuse each other (ban list), so everything a knows of c comes through b.
 */
import '@fedlake/core/polyfills'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { silentLogger, waitFor } from '@fedlake/core'
import { loadOrCreateNodeKey } from '../src/keys.js'
import { createMetadataNode } from '../src/index.js'
import type { MetadataNode } from '../src/index.js'
import { FrameStream } from '../src/framing.js'
import { LIVENESS_PROTOCOL } from '../src/liveness.js'
import { createP2PNode } from '../src/p2p.js'
import { PeerDirectory } from '../src/peer-directory.js'

const HEARTBEAT_MS = 200
const UNREACHABLE_MS = 1000

describe('liveness through a neighbour (in-process chain a — b — c)', () => {
  const root = mkdtempSync(join(tmpdir(), 'fedlake-md-liveness-'))
  const nodes: MetadataNode[] = []
  let aId = ''
  let cId = ''

  const make = async (name: string, seeds: string[], blocked: string[]): Promise<MetadataNode> => {
    const node = await createMetadataNode({
      dataDir: join(root, name), host: '127.0.0.1', p2pPort: 0, seeds, networkName: 'liveness-test', admins: [],
      heartbeatIntervalMs: HEARTBEAT_MS, unreachableAfterMs: UNREACHABLE_MS, antiEntropyIntervalMs: 1000,
      logger: silentLogger, blockedPeers: blocked, nodeInfo: { name, roles: ['operator'], cluster: 'c1', restAddress: `127.0.0.1:4${name.charCodeAt(0)}` }
    })
    await node.start()
    nodes.push(node)
    return node
  }
  const seedOf = (n: MetadataNode): string => (n.p2pAddresses()[0] as string).replace(/\/p2p\/.*$/, '')

  before(async () => {
    aId = peerIdFromPrivateKey(await loadOrCreateNodeKey(join(root, 'a'))).toString()
    cId = peerIdFromPrivateKey(await loadOrCreateNodeKey(join(root, 'c'))).toString()
    const b = await make('b', [], [])
    await make('a', [seedOf(b)], [cId])
    await make('c', [seedOf(b)], [aId])
  })

  after(async () => {
    await Promise.allSettled(nodes.map(n => n.stop()))
    rmSync(root, { recursive: true, force: true })
  })

  it('a sees c active, with its name and version, though they never connect', async () => {
    const [, a, c] = nodes as [MetadataNode, MetadataNode, MetadataNode]
    await waitFor(() => a.status(cId) === 'active' && c.status(aId) === 'active', { timeoutMs: 5000, what: 'a and c active to each other' })
    assert.ok(!a.peers().includes(cId), 'a is not connected to c')
    await waitFor(() => a.liveness().find(l => l.peerId === cId)?.name === 'c', { timeoutMs: 5000, what: 'c named at a' })
    await waitFor(() => a.liveness().find(l => l.peerId === cId)?.version === c.version(), { timeoutMs: 5000, what: "c's version at a" })
    // stays active well past the unreachable threshold: evidence keeps flowing through b
    const until = Date.now() + 2 * UNREACHABLE_MS
    await waitFor(() => { assert.equal(a.status(cId), 'active'); return Date.now() >= until }, { timeoutMs: 4 * UNREACHABLE_MS, intervalMs: 50, what: 'c stays active' })
    const counters = a.counters()
    assert.ok(counters.livenessFramesReceived > 0 && counters.livenessFramesSent > 0, JSON.stringify(counters))
  })

  it('c leaves: a learns of the goodbye through b well before the unreachable threshold', async () => {
    const [, a, c] = nodes as [MetadataNode, MetadataNode, MetadataNode]
    const started = Date.now()
    await c.stop()
    await waitFor(() => a.status(cId) === 'unreachable', { timeoutMs: UNREACHABLE_MS + 2 * HEARTBEAT_MS + 500, intervalMs: 20, what: 'c unreachable at a' })
    const elapsed = Date.now() - started
    assert.ok(elapsed < UNREACHABLE_MS, `goodbye took ${elapsed} ms: not propagated, only timed out`)
  })

  it('a connection that carries no liveness frames is closed after 2 × unreachableAfterMs', async () => {
    const [b] = nodes as [MetadataNode]
    // a bare libp2p node: it connects but never speaks the liveness protocol (a hung or foreign peer)
    const mute = await createP2PNode({ privateKey: await generateKeyPair('Ed25519'), host: '127.0.0.1', port: 0, isBlocked: () => false })
    await mute.start()
    try {
      const muteId = mute.peerId.toString()
      await mute.dial(b.p2pAddresses().map(a => multiaddr(a))[0] as Multiaddr)
      await waitFor(() => b.peers().includes(muteId), { timeoutMs: 5000, what: 'b connected to the mute peer' })
      const started = Date.now()
      await waitFor(() => !b.peers().includes(muteId), { timeoutMs: 2 * UNREACHABLE_MS + 3 * HEARTBEAT_MS + 2000, intervalMs: 50, what: 'mute connection closed' })
      const elapsed = Date.now() - started
      assert.ok(elapsed >= 2 * UNREACHABLE_MS - 2 * HEARTBEAT_MS, `closed after only ${elapsed} ms`)
    } finally {
      await mute.stop()
    }
  })

  it('frames from another network or malformed are rejected and teach nothing; bad peer ids are ignored', async () => {
    const [b] = nodes as [MetadataNode]
    const intruder = await createP2PNode({ privateKey: await generateKeyPair('Ed25519'), host: '127.0.0.1', port: 0, isBlocked: () => false })
    await intruder.start()
    try {
      const target = multiaddr(b.p2pAddresses()[0] as string)
      const before = b.counters().livenessFramesRejected
      const send = async (frame: unknown): Promise<void> => {
        const frames = new FrameStream(await intruder.dialProtocol(target, LIVENESS_PROTOCOL))
        await frames.write(frame)
        await frames.close()
      }
      const fake = '12D3KooWFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake'
      await send({ v: 1, net: 'another-network', version: 'x', ids: [[0, fake]], seen: [[0, 0]] })
      await send({ v: 2, garbage: true })
      await waitFor(() => b.counters().livenessFramesRejected >= before + 2, { timeoutMs: 5000, what: 'two frames rejected' })
      // a well-formed frame whose ids are not peer ids: accepted, but teaches nothing about them
      await send({ v: 1, net: 'liveness-test', version: 'x', ids: [[0, 'not a peer id'], [1, '../../etc']], seen: [[0, 0], [1, 0]], gone: [['nope', 0]] })
      await waitFor(() => b.liveness().some(l => l.peerId === intruder.peerId.toString()), { timeoutMs: 5000, what: 'the sender itself is seen' })
      const known = b.liveness().map(l => l.peerId)
      assert.ok(!known.includes(fake) && !known.includes('not a peer id') && !known.includes('../../etc'), known.join(', '))
    } finally {
      await intruder.stop()
    }
  })

  it('b dies without a goodbye: a marks it unreachable within unreachableAfterMs + heartbeat', async () => {
    const [b, a] = nodes as [MetadataNode, MetadataNode]
    const bId = b.peerId
    assert.equal(a.status(bId), 'active')
    // drop every connection to b at once, as a killed process would: nothing more from b, no goodbye
    await a.blockPeers([cId, bId])
    const started = Date.now()
    await waitFor(() => a.status(bId) === 'unreachable', { timeoutMs: UNREACHABLE_MS + HEARTBEAT_MS + 1000, intervalMs: 20, what: 'b unreachable at a' })
    const elapsed = Date.now() - started
    assert.ok(elapsed >= UNREACHABLE_MS - HEARTBEAT_MS - 100, `took only ${elapsed} ms: not evidence-driven?`)
  })
})

describe('peer directory evidence rules', () => {
  it('keeps the freshest evidence; a goodbye holds until newer evidence; the freshest version wins', () => {
    const d = new PeerDirectory('self', 1000)
    d.observe('p', 5000, 'v1')
    d.observe('p', 4000, 'v0')
    assert.equal(d.lastSeenAt('p'), 5000)
    assert.equal(d.version('p'), 'v1')
    assert.equal(d.status('p', 5900), 'active')
    assert.equal(d.status('p', 6001), 'unreachable')
    assert.equal(d.goodbye('p', 4500), false, 'a goodbye older than the evidence is not news')
    assert.equal(d.goodbye('p', 5200), true)
    assert.equal(d.goodbye('p', 5100), false, 'an older copy of the same goodbye is not news')
    assert.equal(d.status('p', 5300), 'unreachable')
    d.observe('p', 5400)
    assert.equal(d.status('p', 5500), 'active', 'back after a restart')
    d.observe('self', 9999)
    assert.equal(d.lastSeenAt('self'), undefined)
  })

  it('forgets nodes known only from evidence after forgetAfterMs of silence, never those named by a node policy', () => {
    const d = new PeerDirectory('self', 1000, 60_000)
    d.observe('gone-for-good', 1000)
    d.observe('made-up', 1000)
    d.learnAddresses('operator-with-policy', ['/ip4/127.0.0.1/tcp/1'], 'op')
    d.observe('operator-with-policy', 1000)
    d.observe('alive', 1000)
    d.observe('alive', 60_000)
    d.sweep(61_001)
    assert.deepEqual(d.peerIds().sort(), ['alive', 'operator-with-policy'])
    assert.equal(d.status('operator-with-policy', 61_001), 'unreachable')
  })
})
