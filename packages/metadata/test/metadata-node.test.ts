/** In-process metadata nodes on loopback: the MetadataNode API end to end. */
import '@fedlake/core/polyfills'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { isFedlakeError, silentLogger, waitFor } from '@fedlake/core'
import type { TableSchema } from '@fedlake/core'
import { loadOrCreateNodeKey } from '../src/keys.js'
import { createMetadataNode } from '../src/index.js'
import type { LivenessChange, MetadataNode, NodeInfo, PolicyChange } from '../src/index.js'

const SCHEMA: TableSchema = {
  dbms: 'kubearmor',
  table: 'alert',
  columns: [{ name: 'timestamp', type: 'TIMESTAMP' }, { name: 'hostname', type: 'VARCHAR' }, { name: 'pid', type: 'INTEGER' }]
}

describe('metadata node (in-process, loopback)', () => {
  const root = mkdtempSync(join(tmpdir(), 'fedlake-md-node-'))
  const nodes: MetadataNode[] = []
  let adminId = ''

  const make = async (name: string, seeds: string[], nodeInfo?: Partial<NodeInfo>): Promise<MetadataNode> => {
    const node = await createMetadataNode({
      dataDir: join(root, name),
      host: '127.0.0.1',
      p2pPort: 0,
      seeds,
      networkName: 'node-test',
      admins: [adminId],
      heartbeatIntervalMs: 300,
      unreachableAfterMs: 1200,
      antiEntropyIntervalMs: 1000,
      logger: silentLogger,
      nodeInfo: { name, roles: ['operator', 'query'], cluster: 'c-shared', restAddress: `127.0.0.1:${41000 + nodes.length}`, ...nodeInfo }
    })
    await node.start()
    nodes.push(node)
    return node
  }
  const seedOf = (n: MetadataNode): string => (n.p2pAddresses()[0] as string).replace(/\/p2p\/.*$/, '')
  const converged = (): boolean => new Set(nodes.filter(n => n.peers().length >= 0).map(n => n.version())).size === 1

  before(async () => {
    adminId = peerIdFromPrivateKey(await loadOrCreateNodeKey(join(root, 'admin'))).toString()
    const a = await make('a', [])
    await make('b', [seedOf(a)])
    await make('admin', [seedOf(a)], { roles: ['query'] })
    await waitFor(converged, { timeoutMs: 10_000, what: 'initial convergence' })
  })

  after(async () => {
    await Promise.allSettled(nodes.map(n => n.stop()))
    rmSync(root, { recursive: true, force: true })
  })

  it('announceTable publishes table + cluster policies once; the catalog on another node resolves schema and live operators', async () => {
    const [a, b] = nodes as [MetadataNode, MetadataNode]
    const first = await a.announceTable(SCHEMA)
    const again = await a.announceTable(SCHEMA)
    assert.deepEqual(again, first, 'idempotent: same policies, same ids')
    const fromB = await b.announceTable(SCHEMA)
    assert.equal((fromB.table.table as { id: string }).id, (first.table.table as { id: string }).id, 'same content from another operator of the cluster, same id')
    await waitFor(converged, { what: 'convergence' })
    for (const n of nodes) {
      assert.equal(n.get('table').length, 1)
      assert.equal(n.get('cluster', { parent: (first.cluster.cluster as { parent: string }).parent }).length, 1)
    }
    const admin = nodes[2] as MetadataNode
    assert.deepEqual(admin.catalog.schema('kubearmor', 'alert'), SCHEMA)
    assert.deepEqual(admin.catalog.tables(), [{ dbms: 'kubearmor', table: 'alert' }])
    const holders = admin.catalog.clustersHolding('kubearmor', 'alert')
    assert.equal(holders.length, 1)
    assert.equal(holders[0]?.clusterName, 'c-shared')
    await waitFor(() => admin.catalog.liveOperators('kubearmor', 'alert').length === 2, { what: 'both operators live' })
    assert.deepEqual(admin.catalog.liveOperators('kubearmor', 'alert').map(o => o.name).sort(), ['a', 'b'])
    assert.ok(admin.catalog.liveOperators('kubearmor', 'alert').every(o => o.restAddress?.startsWith('127.0.0.1:') === true))
  })

  it('publishing the same content on two nodes at once converges to one variant everywhere', async () => {
    const [a, b] = nodes as [MetadataNode, MetadataNode]
    const [pa, pb] = await Promise.all([a.publish({ race: { name: 'same' } }), b.publish({ race: { name: 'same' } })])
    assert.equal((pa.race as { id: string }).id, (pb.race as { id: string }).id)
    await waitFor(converged, { what: 'one variant' })
    const authors = new Set(nodes.map(n => (n.get('race')[0]?.race as { author: string }).author))
    assert.equal(authors.size, 1)
  })

  it('only the author or an admin deletes; deletions reach every node and fire change events', async () => {
    const [a, b, admin] = nodes as [MetadataNode, MetadataNode, MetadataNode]
    const changes: PolicyChange[] = []
    const off = b.onPolicyChange(c => { if (c.type === 'note') changes.push(c) })
    const p1 = await a.publish({ note: { name: 'one' } })
    const p2 = await a.publish({ note: { name: 'two' } })
    const id1 = (p1.note as { id: string }).id
    const id2 = (p2.note as { id: string }).id
    await waitFor(() => b.getById(id1) !== undefined && b.getById(id2) !== undefined, { what: 'notes on b' })
    await assert.rejects(b.delete(id1), (err: unknown) => isFedlakeError(err, 'METADATA_NOT_AUTHORIZED'))
    await a.delete(id1)
    await waitFor(() => admin.getById(id1) === undefined, { what: 'author delete everywhere' })
    await waitFor(() => admin.getById(id2) !== undefined, { what: 'admin has note two' })
    await admin.delete(id2)
    await waitFor(() => nodes.every(n => n.get('note').length === 0), { what: 'admin delete everywhere' })
    await waitFor(converged, { what: 'convergence after deletes' })
    off()
    assert.deepEqual(changes.map(c => `${c.kind}:${c.id === id1 ? 1 : 2}`).sort(), ['added:1', 'added:2', 'deleted:1', 'deleted:2'])
    await assert.rejects(a.delete(id1), (err: unknown) => isFedlakeError(err, 'METADATA_POLICY_NOT_FOUND'))
  })

  it('the REST command handlers insert, read and version the replicated store', async () => {
    const [a, b] = nodes as [MetadataNode, MetadataNode]
    const handler = (n: MetadataNode, words: string): NonNullable<ReturnType<MetadataNode['commandHandlers']>[number]> => {
      const h = n.commandHandlers().find(x => x.words.join(' ') === words)
      assert.ok(h)
      return h
    }
    const inserted = await handler(a, 'blockchain insert').execute('blockchain insert where policy = {"mapping": {"id": "ignored", "dbms": "kubearmor"}}', { method: 'POST', headers: {} })
    assert.equal(inserted.kind, 'json')
    await waitFor(() => b.get('mapping').length === 1, { what: 'mapping on b' })
    const got = await handler(b, 'blockchain get').execute('blockchain get mapping bring [mapping][dbms]', { method: 'GET', headers: {} })
    assert.deepEqual(got, { kind: 'text', body: 'kubearmor' })
    await waitFor(converged, { what: 'convergence' })
    const v = await handler(b, 'get metadata version').execute('get metadata version', { method: 'GET', headers: {} })
    assert.deepEqual(v, { kind: 'text', body: a.version() })
  })

  it('a stopping node says goodbye: peers mark it unreachable at once; restarted, it keeps its identity and state', async () => {
    const [a, b] = nodes as [MetadataNode, MetadataNode]
    const seen: LivenessChange[] = []
    const off = a.onLivenessChange(c => { if (c.peerId === b.peerId) seen.push(c) })
    assert.equal(a.status(b.peerId), 'active')
    const held = b.get('*').length
    await b.stop()
    await waitFor(() => seen.some(c => c.status === 'unreachable'), { timeoutMs: 1000, what: 'goodbye seen' })
    off()
    const restarted = await createMetadataNode({
      dataDir: join(root, 'b'), host: '127.0.0.1', p2pPort: 0, seeds: [], networkName: 'node-test', admins: [],
      heartbeatIntervalMs: 300, unreachableAfterMs: 1200, antiEntropyIntervalMs: 1000, logger: silentLogger
    })
    nodes[1] = restarted
    await restarted.start()
    assert.equal(restarted.peerId, b.peerId)
    assert.ok(restarted.counters().loadedFromDisk >= held)
    assert.ok(restarted.get('*').length >= held)
    // It knows its peers' addresses from the node policies it kept, so it reconnects without seeds.
    await waitFor(() => a.status(restarted.peerId) === 'active', { timeoutMs: 5000, what: 'reconnected without seeds' })
  })
})
