/**
 * Five metadata nodes as separate processes on loopback: propagation, convergence of versions,
 * forged policies, late join, restart from disk, and liveness after a kill.
 */
import '@fedlake/core/polyfills'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { tcp } from '@libp2p/tcp'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { waitFor } from '@fedlake/core'
import { FrameStream } from '../src/framing.js'
import { signPolicy } from '../src/policy.js'
import { SYNC_PROTOCOL } from '../src/sync.js'
import type { StoredPolicy } from '../src/index.js'
import { MetadataProcess, hostPort, killAll } from './fixtures/process-harness.js'
import type { ReadyInfo } from './fixtures/process-harness.js'

const NETWORK = 'net-test'
const HEARTBEAT_MS = 500
const UNREACHABLE_MS = 2000

describe('metadata network: 5 processes on loopback', () => {
  const root = mkdtempSync(join(tmpdir(), 'fedlake-md-net-'))
  const procs: MetadataProcess[] = []
  const ready: ReadyInfo[] = []
  let seed = ''

  const start = (i: number, seeds: string[]): MetadataProcess => new MetadataProcess(`node${i}`, {
    dataDir: join(root, `node${i}`),
    seeds,
    networkName: NETWORK,
    heartbeatIntervalMs: HEARTBEAT_MS,
    unreachableAfterMs: UNREACHABLE_MS,
    antiEntropyIntervalMs: 2000,
    nodeInfo: { name: `node${i}`, roles: ['operator'], cluster: `cluster${i % 2}`, restAddress: `127.0.0.1:${40000 + i}` }
  })

  const ids = async (p: MetadataProcess, type = '*'): Promise<Set<string>> => {
    const policies = await p.call<StoredPolicy[]>('get', { type })
    return new Set(policies.map(pol => (Object.values(pol)[0] as { id: string }).id))
  }

  const allVersionsEqual = async (list: MetadataProcess[]): Promise<boolean> => {
    const versions = await Promise.all(list.map(p => p.call<string>('version')))
    return new Set(versions).size === 1
  }

  before(async () => {
    procs[0] = start(0, [])
    ready[0] = await procs[0].ready
    seed = hostPort(ready[0].addresses[0] as string)
    for (let i = 1; i < 5; i++) procs[i] = start(i, [seed])
    for (let i = 1; i < 5; i++) ready[i] = await (procs[i] as MetadataProcess).ready
  })

  after(async () => {
    await killAll()
    rmSync(root, { recursive: true, force: true })
  })

  it('a policy published on one node is visible on all five, and their metadata versions become equal', async () => {
    const published = await (procs[3] as MetadataProcess).call<StoredPolicy>('publish', { policy: { sensor: { name: 's1', dbms: 'lab', value: 1 } } })
    const id = (published.sensor as { id: string }).id
    assert.match(id, /^[0-9a-f]{64}$/)
    await waitFor(async () => (await Promise.all(procs.map(p => ids(p, 'sensor')))).every(s => s.has(id)), { timeoutMs: 10_000, what: 'policy on all nodes' })
    await waitFor(() => allVersionsEqual(procs), { timeoutMs: 10_000, what: 'equal metadata versions' })
    // Every node also sees the five node policies the others published at start.
    const operators = await (procs[0] as MetadataProcess).call<StoredPolicy[]>('get', { type: 'operator' })
    assert.equal(operators.length, 5)
    const reply = await (procs[1] as MetadataProcess).call<{ kind: string, body: string }>('command', { text: 'get metadata version' })
    assert.equal(reply.body, await (procs[4] as MetadataProcess).call<string>('version'))
  })

  it('a forged policy (bad signature, or id not matching content) is rejected everywhere', async () => {
    const attackerKey = await generateKeyPair('Ed25519')
    const attacker = await createLibp2p({
      privateKey: attackerKey,
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, globalSignaturePolicy: 'StrictNoSign' }) }
    })
    try {
      const author = attacker.peerId.toString()
      const victim = ready[1] as ReadyInfo
      const good = await signPolicy({ type: 'forgery', content: { name: 'marker' } }, attackerKey, author)
      const tampered = await signPolicy({ type: 'forgery', content: { name: 'tampered' } }, attackerKey, author)
      const tamperedBody = { ...(tampered.policy.forgery as Record<string, unknown>), name: 'changed after signing' }
      const idMismatch = { forgery: tamperedBody }
      const impersonated = await signPolicy({ type: 'forgery', content: { name: 'impersonated' } }, attackerKey, author)
      const badSignature = { forgery: { ...(impersonated.policy.forgery as Record<string, unknown>), author: victim.peerId } }

      const topic = `/fedlake/${NETWORK}/policies/1`
      attacker.services.pubsub.subscribe(topic)
      const target = ready[0] as ReadyInfo
      await attacker.dial(multiaddr(target.addresses[0] as string))
      await waitFor(() => attacker.services.pubsub.getSubscribers(topic).some(p => p.toString() === target.peerId), { what: 'attacker subscribed' })
      const encode = (p: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(p))
      await attacker.services.pubsub.publish(topic, encode(idMismatch))
      await attacker.services.pubsub.publish(topic, encode(badSignature))

      // The same forgeries pushed through the anti-entropy protocol.
      const stream = await attacker.dialProtocol(peerIdFromString(target.peerId), SYNC_PROTOCOL)
      const frames = new FrameStream(stream)
      await frames.write({ t: 'hello', network: NETWORK, version: 'attacker' })
      const keys = await frames.read() as { t: string }
      assert.equal(keys.t, 'keys')
      await frames.write({ t: 'want', keys: [] })
      await frames.write({ t: 'records', records: [idMismatch, badSignature, good.policy], last: true })
      const back = await frames.read() as { t: string }
      assert.equal(back.t, 'records')
      await frames.close()

      const goodId = good.id
      await waitFor(async () => (await Promise.all(procs.map(p => ids(p, 'forgery')))).every(s => s.has(goodId)), { timeoutMs: 10_000, what: 'marker everywhere' })
      await waitFor(() => allVersionsEqual(procs), { timeoutMs: 10_000, what: 'equal versions' })
      for (const p of procs) {
        const forgeries = await p.call<StoredPolicy[]>('get', { type: 'forgery' })
        assert.deepEqual(forgeries.map(f => (f.forgery as { name: string }).name), ['marker'], `${p.label} holds only the valid policy`)
      }
      const counters = await (procs[0] as MetadataProcess).call<Record<string, number>>('counters')
      assert.ok((counters.rejectedForged ?? 0) >= 4, `node0 counted ${String(counters.rejectedForged)} forged policies`)
    } finally {
      await attacker.stop()
    }
  })

  it('a node that joins late catches up without any new publish', async () => {
    const expected = await ids(procs[0] as MetadataProcess)
    procs[5] = start(5, [hostPort((ready[2] as ReadyInfo).addresses[0] as string)])
    ready[5] = await procs[5].ready
    await waitFor(async () => {
      const got = await ids(procs[5] as MetadataProcess)
      return [...expected].every(id => got.has(id))
    }, { timeoutMs: 10_000, what: 'late joiner has every policy' })
    await waitFor(() => allVersionsEqual(procs), { timeoutMs: 10_000, what: 'equal versions with the late joiner' })
  })

  it('a node restarted after being down while policies were published serves its disk state, then catches up', async () => {
    const down = procs[4] as MetadataProcess
    const before = await ids(down)
    await down.stop()
    const p2 = await (procs[1] as MetadataProcess).call<StoredPolicy>('publish', { policy: { sensor: { name: 'published-while-down' } } })
    const p2id = (p2.sensor as { id: string }).id
    procs[4] = start(4, [seed])
    const info = await procs[4].ready
    assert.ok((info.counters.loadedFromDisk ?? 0) >= before.size, `loaded ${String(info.counters.loadedFromDisk)} of ${before.size} from disk`)
    assert.equal(info.peerId, (ready[4] as ReadyInfo).peerId, 'same identity after restart')
    await waitFor(async () => (await ids(procs[4] as MetadataProcess)).has(p2id), { timeoutMs: 10_000, what: 'restarted node has the missed policy' })
    await waitFor(() => allVersionsEqual(procs), { timeoutMs: 10_000, what: 'equal versions after restart' })
    // The node's previous operator policy (old port) was retired, so it is listed once.
    await waitFor(async () => {
      const ops = await (procs[0] as MetadataProcess).call<StoredPolicy[]>('get', { type: 'operator' })
      return ops.filter(o => (o.operator as { name: string }).name === 'node4').length === 1
    }, { timeoutMs: 10_000, what: 'one operator policy for node4' })
  })

  it(`killing a node: the others mark it unreachable within unreachableAfterMs + heartbeat (${UNREACHABLE_MS + HEARTBEAT_MS} ms)`, async () => {
    const victim = (ready[3] as ReadyInfo).peerId
    const watchers = [procs[0], procs[1], procs[2]] as MetadataProcess[]
    const statusOf = async (p: MetadataProcess): Promise<string | undefined> =>
      (await p.call<{ peerId: string, status: string }[]>('liveness')).find(l => l.peerId === victim)?.status
    for (const w of watchers) assert.equal(await statusOf(w), 'active')
    const t0 = Date.now()
    await (procs[3] as MetadataProcess).kill()
    await waitFor(async () => (await Promise.all(watchers.map(statusOf))).every(s => s === 'unreachable'), { timeoutMs: 10_000, intervalMs: 50, what: 'unreachable everywhere' })
    const elapsed = Date.now() - t0
    // Documented bound: unreachableAfterMs + heartbeatIntervalMs (+250 ms sweep); the rest is polling slack.
    assert.ok(elapsed <= UNREACHABLE_MS + HEARTBEAT_MS + 750, `took ${elapsed} ms`)
    assert.ok(elapsed >= UNREACHABLE_MS - HEARTBEAT_MS - 100, `took only ${elapsed} ms: not heartbeat-driven?`)
  })
})
