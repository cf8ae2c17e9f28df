/**
 * Processes on loopback: two groups that cannot reach each other publish separately and converge
 * to the union after the partition heals; a node with the wrong network key learns nothing.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { generateNetworkKey } from '../src/index.js'
import type { StoredPolicy } from '../src/index.js'
import { MetadataProcess, hostPort, killAll } from './fixtures/process-harness.js'
import type { ReadyInfo } from './fixtures/process-harness.js'

const NETWORK = 'partition-test'

describe('metadata network: partitions and private networks (processes on loopback)', () => {
  const root = mkdtempSync(join(tmpdir(), 'fedlake-md-part-'))
  const networkKeyFile = join(root, 'swarm.key')
  const procs: MetadataProcess[] = []
  const ready: ReadyInfo[] = []

  const start = (label: string, seeds: string[], keyFile?: string): MetadataProcess => new MetadataProcess(label, {
    dataDir: join(root, label),
    seeds,
    networkName: NETWORK,
    ...(keyFile !== undefined ? { networkKeyFile: keyFile } : {}),
    heartbeatIntervalMs: 500,
    unreachableAfterMs: 2000,
    antiEntropyIntervalMs: 2000,
    nodeInfo: { name: label, roles: ['query'] }
  })

  const typeNames = async (p: MetadataProcess, type: string): Promise<string[]> =>
    (await p.call<StoredPolicy[]>('get', { type })).map(pol => (pol[type] as { name: string }).name).sort()

  const versions = async (list: MetadataProcess[]): Promise<Set<string>> => new Set(await Promise.all(list.map(p => p.call<string>('version'))))

  before(async () => {
    await generateNetworkKey(networkKeyFile)
    procs[0] = start('node0', [], networkKeyFile)
    ready[0] = await procs[0].ready
    const seed = hostPort(ready[0].addresses[0] as string)
    for (let i = 1; i < 5; i++) procs[i] = start(`node${i}`, [seed], networkKeyFile)
    for (let i = 1; i < 5; i++) ready[i] = await (procs[i] as MetadataProcess).ready
    await waitFor(async () => (await versions(procs)).size === 1, { timeoutMs: 15_000, what: 'initial convergence' })
  })

  after(async () => {
    await killAll()
    rmSync(root, { recursive: true, force: true })
  })

  it('two groups that cannot reach each other each publish, then reconnect and converge to the union', async () => {
    const groupA = procs.slice(0, 3)
    const groupB = procs.slice(3, 5)
    const idsA = ready.slice(0, 3).map(r => r.peerId)
    const idsB = ready.slice(3, 5).map(r => r.peerId)
    await Promise.all([...groupA.map(p => p.call('block', { peers: idsB })), ...groupB.map(p => p.call('block', { peers: idsA }))])
    await waitFor(async () => {
      const peersA = await Promise.all(groupA.map(p => p.call<string[]>('peers')))
      return peersA.every(list => list.every(id => !idsB.includes(id)))
    }, { what: 'partition in place' })

    await (groupA[1] as MetadataProcess).call('publish', { policy: { note: { name: 'from-a' } } })
    await (groupB[0] as MetadataProcess).call('publish', { policy: { note: { name: 'from-b' } } })
    await waitFor(async () => (await Promise.all(groupA.map(p => typeNames(p, 'note')))).every(n => n.join() === 'from-a'), { timeoutMs: 10_000, what: 'group A converged' })
    await waitFor(async () => (await Promise.all(groupB.map(p => typeNames(p, 'note')))).every(n => n.join() === 'from-b'), { timeoutMs: 10_000, what: 'group B converged' })
    assert.equal((await versions(groupA)).size, 1)
    assert.equal((await versions(groupB)).size, 1)
    assert.equal((await versions(procs)).size, 2, 'the two sides differ while partitioned')
    // Each side sees the other side as unreachable.
    await waitFor(async () => {
      const view = await (groupA[0] as MetadataProcess).call<{ peerId: string, status: string }[]>('liveness')
      return idsB.every(id => view.find(l => l.peerId === id)?.status === 'unreachable')
    }, { timeoutMs: 5000, what: 'group B unreachable from A' })

    await Promise.all(procs.map(p => p.call('block', { peers: [] })))
    await waitFor(async () => (await Promise.all(procs.map(p => typeNames(p, 'note')))).every(n => n.join() === 'from-a,from-b'),
      { timeoutMs: 15_000, what: 'union everywhere' })
    await waitFor(async () => (await versions(procs)).size === 1, { timeoutMs: 10_000, what: 'one version after healing' })
  })

  it('a node started with a wrong network key (or none) cannot connect and learns nothing', async () => {
    const wrongKey = join(root, 'wrong.key')
    await generateNetworkKey(wrongKey)
    const seed = hostPort((ready[0] as ReadyInfo).addresses[0] as string)
    const outsider = start('outsider', [seed], wrongKey)
    const open = start('open', [seed])
    const [outsiderInfo, openInfo] = await Promise.all([outsider.ready, open.ready])
    // Give the outsiders several dial attempts (seed redials back off from 250 ms).
    await new Promise(resolve => setTimeout(resolve, 3000))
    for (const p of [outsider, open]) {
      assert.deepEqual(await p.call<string[]>('peers'), [], `${p.label} has no connection`)
      assert.deepEqual(await typeNames(p, 'note'), [], `${p.label} learned no policy`)
      const liveness = await p.call<{ self: boolean }[]>('liveness')
      assert.equal(liveness.filter(l => !l.self).length, 0, `${p.label} knows no other node`)
    }
    const insiders = await (procs[0] as MetadataProcess).call<{ peerId: string }[]>('liveness')
    assert.ok(!insiders.some(l => l.peerId === outsiderInfo.peerId || l.peerId === openInfo.peerId), 'the network never heard the outsiders')
    const queries = await typeNames(procs[0] as MetadataProcess, 'query')
    assert.ok(!queries.includes('outsider') && !queries.includes('open'))
  })
})
