import '@fedlake/core/polyfills'
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { isFedlakeError, silentLogger } from '@fedlake/core'
import type { CommandHandler, CommandReply, JsonValue, TableReply } from '@fedlake/core'
import { createCatalog } from '../src/catalog.js'
import { createMetadataCommands } from '../src/commands/index.js'
import type { MetadataCommandBackend } from '../src/commands/index.js'
import { extractPolicyJson, parseBlockchainGet } from '../src/commands/blockchain.js'
import { clusterPolicy, nodePolicy, tableClusterPolicy, tablePolicy } from '../src/node-policies.js'
import { computePolicyId, signPolicy } from '../src/policy.js'
import type { PolicyContent, StoredPolicy } from '../src/policy.js'
import { PolicyStore } from '../src/store.js'

describe('metadata commands', () => {
  const store = new PolicyStore({ admins: [], logger: silentLogger })
  const live = new Set<string>()
  const pinged: string[] = []
  let handlers: CommandHandler[]
  let opPeer = ''
  let clusterId = ''

  const run = async (command: string, method: 'GET' | 'POST' = 'GET'): Promise<CommandReply> => {
    const handler = handlers.filter(h => command.toLowerCase().startsWith(h.words.join(' '))).sort((a, b) => b.words.length - a.words.length)[0]
    assert.ok(handler, `no handler for ${command}`)
    assert.ok(handler.methods.includes(method), `${command} does not take ${method}`)
    return await handler.execute(command, { method, headers: {} })
  }
  const json = async (command: string): Promise<JsonValue> => {
    const reply = await run(command)
    assert.equal(reply.kind, 'json', `${command} replies JSON`)
    return (reply as { body: JsonValue }).body
  }
  const text = async (command: string): Promise<string> => {
    const reply = await run(command)
    assert.equal(reply.kind, 'text', `${command} replies text`)
    return (reply as { body: string }).body
  }
  const table = async (command: string): Promise<TableReply> => {
    const reply = await run(command)
    assert.equal(reply.kind, 'table', `${command} replies a table`)
    return reply as TableReply
  }

  before(async () => {
    const key = await generateKeyPair('Ed25519')
    const me = peerIdFromPrivateKey(key).toString()
    opPeer = me
    let t = Date.parse('2026-01-01T00:00:00.000Z')
    const add = async (c: PolicyContent): Promise<StoredPolicy> => {
      const r = await signPolicy(c, key, me, new Date(t += 1000))
      store.add(r)
      return r.policy
    }
    const cluster = clusterPolicy('c1', 'acme')
    clusterId = computePolicyId(cluster.type, cluster.content)
    await add(cluster)
    await add(nodePolicy('operator', { name: 'op1', roles: ['operator'], restAddress: '10.0.0.1:32149', main: true }, 'acme',
      { peerId: me, ip: '10.0.0.1', p2pPort: 32148, p2pAddresses: ['/ip4/10.0.0.1/tcp/32148'], clusterId }))
    await add(nodePolicy('query', { name: 'q1', roles: ['query'] }, 'acme', { peerId: 'other', ip: '10.0.0.2', p2pPort: 32348, p2pAddresses: [] }))
    const schema = { dbms: 'kubearmor', table: 'alert', columns: [{ name: 'timestamp', type: 'TIMESTAMP' as const }, { name: 'pid', type: 'INTEGER' as const }] }
    await add(tablePolicy(schema))
    await add(tableClusterPolicy(clusterId, 'c1', 'acme', schema))
    await add({ type: 'sensor', content: { name: 'b', city: 'toronto', tags: ['x', 'y'], port: '2' } })
    await add({ type: 'sensor', content: { name: 'a', city: 'paris', tags: ['y'], port: 10 } })
    live.add(me)
    const catalog = createCatalog({
      visible: () => store.visible(),
      generation: () => store.generation(),
      status: peer => live.has(peer) ? 'active' : 'unreachable',
      selfPeerId: me
    })
    const backend: MetadataCommandBackend = {
      policies: () => store.visible(),
      publish: async policy => { const r = await signPolicy((await import('../src/policy.js')).parsePolicyInput(policy), key, me); store.add(r); return r.policy },
      delete: async () => undefined,
      version: () => store.version(),
      catalog,
      liveness: () => [],
      ping: async node => { pinged.push(node.name); return node.name === 'op1' ? 1 : undefined },
      localTables: () => [{ dbms: 'kubearmor', table: 'alert' }, { dbms: 'kubearmor', table: 'local_only' }]
    }
    handlers = createMetadataCommands(backend)
  })

  it('declares POST for insert/delete and GET for the rest', () => {
    const methods = Object.fromEntries(handlers.map(h => [h.words.join(' '), h.methods.join()]))
    assert.equal(methods['blockchain insert'], 'POST')
    assert.equal(methods['blockchain delete'], 'POST')
    for (const w of ['blockchain get', 'get databases', 'get tables', 'get columns', 'get data nodes', 'test network', 'get metadata version']) assert.equal(methods[w], 'GET', w)
  })

  it('blockchain get returns the policies of a type as a JSON list, filtered by where', async () => {
    const all = await json('blockchain get sensor') as { sensor: { name: string } }[]
    assert.deepEqual(all.map(p => p.sensor.name), ['b', 'a'])
    assert.deepEqual((await json('blockchain get sensor where city = paris') as { sensor: { name: string } }[]).map(p => p.sensor.name), ['a'])
    assert.deepEqual((await json('blockchain get * where [sensor][city] == "toronto"') as unknown[]).length, 1)
    assert.deepEqual((await json('blockchain get sensor where tags with x') as unknown[]).length, 1)
    assert.deepEqual((await json('blockchain get sensor where port > 5') as unknown[]).length, 1, 'numeric comparison')
    assert.deepEqual((await json('blockchain get sensor where city = paris or city = toronto') as unknown[]).length, 2)
    assert.deepEqual((await json('blockchain get cluster where table[dbms] = kubearmor and table[name] = alert') as unknown[]).length, 1)
    assert.equal((await json('blockchain get (operator, query)') as unknown[]).length, 2)
    assert.equal((await json('blockchain get *') as unknown[]).length, 7)
  })

  it('bring, bring.first, bring.json, bring.table, bring.ip_port, bring.count, bring.unique', async () => {
    assert.equal(await text('blockchain get sensor bring [sensor][name] ":" [*][city] separator = ,'), 'b:toronto,a:paris')
    assert.equal(await text('blockchain get sensor bring.first [sensor][name]'), 'b')
    assert.equal(await text('blockchain get sensor bring.recent [sensor][name]'), 'a')
    assert.deepEqual(await json('blockchain get sensor bring.json [sensor][name] [sensor][port]'), [{ name: 'b', port: '2' }, { name: 'a', port: 10 }])
    const t = await table('blockchain get (operator, query) bring.table [*][name] [*][ip] [*][rest_port]')
    assert.deepEqual(t.columns, ['name', 'ip', 'rest_port'])
    assert.deepEqual(t.rows, [['op1', '10.0.0.1', 32149], ['q1', '10.0.0.2', '']])
    assert.equal(await text('blockchain get (operator, query) bring.ip_port'), '10.0.0.1:32148,10.0.0.2:32348')
    assert.equal(await text('blockchain get sensor bring.count'), '2')
    assert.equal(await text('blockchain get * bring.unique [*][company] separator = " "'), 'acme')
    assert.equal(await text('blockchain get sensor bring.max [sensor][port]'), '10')
    assert.equal(await text('blockchain get table bring [table][create]'), 'CREATE TABLE IF NOT EXISTS alert( timestamp TIMESTAMP, pid INTEGER );')
    assert.deepEqual(await json('blockchain get sensor bring.first'), [store.visible().find(r => r.content.name === 'b')?.policy as unknown as JsonValue])
    await assert.rejects(run('blockchain get sensor bring.bogus [x]'), (err: unknown) => isFedlakeError(err, 'COMMAND_SYNTAX'))
    await assert.rejects(run('blockchain get sensor where city'), (err: unknown) => isFedlakeError(err, 'COMMAND_SYNTAX'))
  })

  it('blockchain insert takes the policy JSON (double or single quoted) and returns the stored policy', async () => {
    const reply = await run('blockchain insert where policy = {"gateway": {"name": "g1", "note": "a } brace"}} and local = true and master = 1.2.3.4:32048', 'POST')
    const stored = (reply as unknown as { body: { gateway: { id: string, name: string } } }).body
    assert.equal(stored.gateway.name, 'g1')
    assert.equal(stored.gateway.id, computePolicyId('gateway', { name: 'g1', note: 'a } brace' }))
    assert.deepEqual(extractPolicyJson("blockchain insert where policy = {'tag': {'name': 'it''s'}}".replace("it''s", 'ok')), { tag: { name: 'ok' } })
    assert.throws(() => extractPolicyJson('where policy = !new_policy'), /variables/)
  })

  it('get tables, get columns (table and JSON), get databases', async () => {
    const tables = await table('get tables where dbms = kubearmor')
    assert.deepEqual(tables.columns, ['Database', 'Table name', 'Local DBMS', 'Blockchain'])
    assert.deepEqual(tables.rows, [['kubearmor', 'alert', 'V', 'V'], ['kubearmor', 'local_only', 'V', ' ']])
    assert.equal((await table('get tables where dbms = kubearmor and format = json')).preferJson, true)
    const cols = await table('get columns where dbms = kubearmor and table = alert')
    assert.deepEqual(cols.rows, [['timestamp', 'timestamp'], ['pid', 'integer']])
    assert.deepEqual(await json('get columns where dbms = kubearmor and table = alert and format = json'), { timestamp: 'timestamp', pid: 'integer' })
    await assert.rejects(run('get columns where dbms = kubearmor and table = nope'), (err: unknown) => isFedlakeError(err, 'METADATA_TABLE_UNKNOWN'))
    const dbs = await table('get databases')
    assert.deepEqual(dbs.rows, [['kubearmor', 'duckdb', 1, 'V', 'V']])
  })

  it('get data nodes lists cluster and operator per table with liveness', async () => {
    const t = await table('get data nodes')
    assert.deepEqual(t.columns, ['Company', 'DBMS', 'Table', 'Cluster ID', 'Cluster Status', 'Node Name', 'Member ID', 'External IP/Port', 'Local IP/Port', 'Main', 'Node Status'])
    assert.deepEqual(t.rows, [['acme', 'kubearmor', 'alert', clusterId, 'active', 'op1', '', '10.0.0.1:32148', '10.0.0.1:32148', true, 'active']])
    live.delete(opPeer)
    assert.equal((await table('get data nodes where table = alert')).rows[0]?.[10], 'unreachable')
    live.add(opPeer)
    assert.equal((await table('get data nodes where table = other')).rows.length, 0)
  })

  it('test network pings every node in the metadata; get metadata version is the store digest', async () => {
    const t = await table('test network')
    assert.deepEqual(t.columns, ['Address', 'Node Type', 'Node Name', 'Status'])
    assert.deepEqual(t.rows, [['10.0.0.1:32148', 'operator', 'op1', '+'], ['10.0.0.2:32348', 'query', 'q1', ' ']])
    assert.deepEqual(pinged.sort(), ['op1', 'q1'])
    assert.equal(await text('get metadata version'), store.version())
  })

  it('parses type lists and where clauses without spaces around operators', () => {
    const q = parseBlockchainGet('(master,operator) where company=acme and [operator][port]>=5 bring.table [*][name]')
    assert.deepEqual(q.types, ['master', 'operator'])
    assert.deepEqual(q.where, [[{ key: 'company', op: '=', value: 'acme' }, { key: '[operator][port]', op: '>=', value: '5' }]])
    assert.deepEqual([...(q.bring?.modifiers ?? [])].sort(), ['null', 'table'])
  })
})
