import '@fedlake/core/polyfills'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { isFedlakeError, silentLogger } from '@fedlake/core'
import type { TableSchema } from '@fedlake/core'
import { canonicalJson } from '../src/canonical.js'
import { loadOrCreateNodeKey } from '../src/keys.js'
import { generateNetworkKey, loadNetworkKey } from '../src/network-key.js'
import { createTableText, parseCreateTable, tableClusterPolicy, tablePolicy } from '../src/node-policies.js'
import { computePolicyId, parsePolicyInput, signPolicy, verifyPolicy } from '../src/policy.js'
import type { PolicyRecord } from '../src/policy.js'
import { PolicyStore } from '../src/store.js'
import type { PolicyChange } from '../src/store.js'

const tmp = mkdtempSync(join(tmpdir(), 'fedlake-md-unit-'))
after(() => { rmSync(tmp, { recursive: true, force: true }) })

async function author (): Promise<{ key: Awaited<ReturnType<typeof generateKeyPair>>, id: string }> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

describe('canonical JSON and ids', () => {
  it('sorts keys recursively so equal content gives equal ids whatever the key order', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ y: true, x: null }], c: 'é' }), '{"a":[{"x":null,"y":true}],"b":1,"c":"é"}')
    assert.equal(computePolicyId('t', { a: 1, b: { d: 2, c: 3 } }), computePolicyId('t', { b: { c: 3, d: 2 }, a: 1 }))
    assert.notEqual(computePolicyId('t', { a: 1 }), computePolicyId('u', { a: 1 }))
  })

  it('rejects policies that are not one root key over an object, and strips envelope fields', () => {
    for (const bad of [null, [], { a: {}, b: {} }, { a: 1 }, { 'bad type': {} }, {}]) {
      assert.throws(() => parsePolicyInput(bad), (err: unknown) => isFedlakeError(err, 'METADATA_POLICY_INVALID'))
    }
    const parsed = parsePolicyInput({ operator: { name: 'x', id: 'mine', date: 'x', signature: 's', author: 'a', ledger: 'l' } })
    assert.deepEqual(parsed, { type: 'operator', content: { name: 'x' } })
    assert.throws(() => parsePolicyInput({ big: { v: 'x'.repeat(2000) } }, 1000), /larger than/)
  })
})

describe('signing and verification', () => {
  it('a signed policy verifies; changing content, id, author or signature is reported as forged', async () => {
    const a = await author()
    const b = await author()
    const record = await signPolicy({ type: 'sensor', content: { name: 's1', port: 1 } }, a.key, a.id)
    const body = record.policy.sensor as Record<string, unknown>
    assert.equal(body.id, computePolicyId('sensor', { name: 's1', port: 1 }))
    assert.equal(body.author, a.id)
    assert.equal(body.ledger, 'global')
    const ok = await verifyPolicy(JSON.parse(JSON.stringify(record.policy)))
    assert.equal(ok.key, record.key)

    const forgeries = [
      { sensor: { ...body, name: 's2' } }, // content changed after signing: id mismatch
      { sensor: { ...body, id: computePolicyId('sensor', { name: 's2', port: 1 }), name: 's2' } }, // id recomputed, signature stale
      { sensor: { ...body, author: b.id } }, // claims another author
      { sensor: { ...body, date: '2030-01-01T00:00:00.000Z' } } // envelope changed
    ]
    for (const f of forgeries) {
      await assert.rejects(verifyPolicy(f), (err: unknown) => isFedlakeError(err, 'METADATA_POLICY_FORGED'))
    }
    await assert.rejects(verifyPolicy({ sensor: { ...body, signature: undefined } }), (err: unknown) => isFedlakeError(err, 'METADATA_POLICY_INVALID'))
  })

  it('a tombstone must name its own author', async () => {
    const a = await author()
    const b = await author()
    const t = await signPolicy({ type: 'tombstone', content: { target: 'x', by: b.id } }, a.key, a.id)
    await assert.rejects(verifyPolicy(t.policy), /tombstone/)
  })
})

describe('policy store', () => {
  const sign = async (who: { key: Awaited<ReturnType<typeof generateKeyPair>>, id: string }, type: string, content: Record<string, string>, date: string): Promise<PolicyRecord> =>
    await signPolicy({ type, content }, who.key, who.id, new Date(date))

  it('reaches the same state and version whatever order records arrive in', async () => {
    const a = await author()
    const b = await author()
    const records = [
      await sign(a, 'cluster', { name: 'c1' }, '2026-01-01T00:00:00.000Z'),
      await sign(b, 'cluster', { name: 'c1' }, '2026-01-01T00:00:01.000Z'), // same content, later variant
      await sign(a, 'table', { name: 't' }, '2026-01-01T00:00:02.000Z')
    ]
    const target = records[2] as PolicyRecord
    records.push(await sign(a, 'tombstone', { target: target.id, by: a.id }, '2026-01-01T00:00:03.000Z'))
    const forward = new PolicyStore({ admins: [], logger: silentLogger })
    const backward = new PolicyStore({ admins: [], logger: silentLogger })
    for (const r of records) forward.add(r)
    for (const r of [...records].reverse()) backward.add(r)
    assert.equal(forward.version(), backward.version())
    assert.deepEqual(forward.visible().map(r => r.key), backward.visible().map(r => r.key))
    assert.equal(forward.visible().length, 1, 'one cluster variant, the table deleted')
    assert.equal(forward.visible()[0]?.author, b.id, 'the later variant wins')
    assert.equal(forward.add(records[0] as PolicyRecord), 'stale')
    assert.equal(forward.add(records[1] as PolicyRecord), 'duplicate')
  })

  it('honours tombstones only from the author or an admin, and a later republish revives the policy', async () => {
    const owner = await author()
    const stranger = await author()
    const admin = await author()
    const store = new PolicyStore({ admins: [admin.id], logger: silentLogger })
    const changes: PolicyChange[] = []
    store.onChange(c => changes.push(c))
    const p = await sign(owner, 'note', { name: 'n' }, '2026-01-01T00:00:00.000Z')
    store.add(p)
    store.add(await sign(stranger, 'tombstone', { target: p.id, by: stranger.id }, '2026-01-01T00:00:01.000Z'))
    assert.ok(store.get(p.id), 'a stranger cannot delete')
    store.add(await sign(admin, 'tombstone', { target: p.id, by: admin.id }, '2026-01-01T00:00:02.000Z'))
    assert.equal(store.get(p.id), undefined, 'an admin can delete')
    store.add(await sign(owner, 'note', { name: 'n' }, '2026-01-01T00:00:03.000Z'))
    assert.ok(store.get(p.id), 'republished after the delete')
    assert.deepEqual(changes.map(c => c.kind), ['added', 'deleted', 'added'])
  })

  it('persists atomically and reloads verified records', async () => {
    const a = await author()
    const file = join(tmp, 'store', 'policies.json')
    const store = new PolicyStore({ file, admins: [], logger: silentLogger })
    const r = await sign(a, 'note', { name: 'kept' }, '2026-01-01T00:00:00.000Z')
    store.add(r)
    await store.flush()
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const reloaded = new PolicyStore({ file, admins: [], logger: silentLogger })
    assert.equal(await reloaded.load(), 1)
    assert.equal(reloaded.version(), store.version())
    assert.equal(reloaded.get(r.id)?.content.name, 'kept')
    const text = readFileSync(file, 'utf8')
    assert.ok(text.includes('"format":"fedlake-policies/1"'))
  })
})

describe('node policies', () => {
  const schema: TableSchema = {
    dbms: 'kubearmor',
    table: 'alert',
    columns: [{ name: 'timestamp', type: 'TIMESTAMP' }, { name: 'pid', type: 'INTEGER' }, { name: 'Odd Name', type: 'VARCHAR' }, { name: 'ok', type: 'BOOLEAN' }, { name: 'id', type: 'HUGEINT' }]
  }

  it('writes a CREATE TABLE that parses back to the same schema', () => {
    const create = createTableText(schema)
    assert.equal(create, 'CREATE TABLE IF NOT EXISTS alert( timestamp TIMESTAMP, pid INTEGER, "Odd Name" VARCHAR, ok BOOLEAN, id HUGEINT );')
    assert.deepEqual(parseCreateTable('kubearmor', create), schema)
  })

  it("parses EdgeLake's CREATE text (serial ids, char, decimal, trailing index statements)", () => {
    const create = 'CREATE TABLE IF NOT EXISTS readings( row_id SERIAL PRIMARY KEY, insert_timestamp TIMESTAMP NOT NULL DEFAULT NOW(), tsd_name CHAR(3), value decimal, count_i int ); CREATE INDEX readings_ts ON readings(insert_timestamp);'
    assert.deepEqual(parseCreateTable('test', create)?.columns, [
      { name: 'row_id', type: 'INTEGER' }, { name: 'insert_timestamp', type: 'TIMESTAMP' }, { name: 'tsd_name', type: 'VARCHAR' },
      { name: 'value', type: 'DOUBLE' }, { name: 'count_i', type: 'INTEGER' }
    ])
    assert.equal(parseCreateTable('test', 'not a create'), undefined)
  })

  it('has the EdgeLake shapes for table and child cluster policies', () => {
    assert.deepEqual(tablePolicy(schema).content, { name: 'alert', dbms: 'kubearmor', create: createTableText(schema) })
    assert.deepEqual(tableClusterPolicy('cid', 'c1', 'acme', schema), {
      type: 'cluster', content: { parent: 'cid', name: 'c1', company: 'acme', table: [{ dbms: 'kubearmor', name: 'alert' }] }
    })
  })
})

describe('keys', () => {
  it('keeps the node key in the data directory (mode 0600) and reuses it', async () => {
    const dir = join(tmp, 'keys')
    const k1 = await loadOrCreateNodeKey(dir)
    const k2 = await loadOrCreateNodeKey(dir)
    assert.equal(peerIdFromPrivateKey(k1).toString(), peerIdFromPrivateKey(k2).toString())
    assert.equal(statSync(join(dir, 'node.key')).mode & 0o777, 0o600)
  })

  it('writes a libp2p swarm key, refuses to overwrite it, and rejects malformed files', async () => {
    const file = join(tmp, 'swarm.key')
    const bytes = await generateNetworkKey(file)
    assert.match(new TextDecoder().decode(bytes), /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/)
    assert.deepEqual(await loadNetworkKey(file), bytes)
    await assert.rejects(generateNetworkKey(file), /already exists/)
    const bad = join(tmp, 'bad.key')
    await generateNetworkKey(bad)
    const { writeFileSync } = await import('node:fs')
    writeFileSync(bad, 'not a key')
    await assert.rejects(loadNetworkKey(bad), (err: unknown) => isFedlakeError(err, 'METADATA_NETWORK_KEY_INVALID'))
  })
})
