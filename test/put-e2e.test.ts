/**
 * REST PUT ingestion through real node processes: object, array and NDJSON bodies; bad bodies refused whole;
 * exact integers, atomic table and column creation, reserved names, read-only databases.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { localQuery, restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'

const dir = tempDir('put')
let node: Child
let url = ''

async function put (body: string, headers: Record<string, string> = {}): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'PUT', headers: { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'test', table: 'readings', mode: 'streaming', ...headers }, body })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

// one node for the first two suites
before(async () => {
  node = await startFedlake(['node', '--roles', 'operator', '--name', 'put-node', '--rest-port', '0', '--p2p-port', '0', '--data-dir', dir.path])
  url = node.ready.rest ?? ''
})
after(async () => { await node.stop('SIGKILL'); dir.remove() })

describe('PUT ingestion over REST', { timeout: 60_000 }, () => {
  it('commits an object, an array and NDJSON before answering 200, inferring the schema from the whole first batch', async () => {
    const first = await put(JSON.stringify([
      { timestamp: '2026-01-01 10:00:00', device: 'd0', value: 1, ok: true },
      { timestamp: '2026-01-01T10:00:01.250Z', device: 'device-with-a-long-name', value: 2.5, ok: false }
    ]))
    assert.equal(first.status, 200, JSON.stringify(first.body))
    assert.equal(first.body['AnyLog.status'], 'Success')
    assert.equal(first.body.rows, 2)
    const one = await put(JSON.stringify({ timestamp: '2026-01-01 10:00:02', device: 'd2', value: 3, ok: true }))
    assert.equal(one.status, 200)
    const nd = await put('{"timestamp":"2026-01-01 10:00:03","device":"d3","value":4,"ok":true}\n\n{"timestamp":"2026-01-01 10:00:04","device":"d4","value":5,"ok":false}\n')
    assert.equal(nd.status, 200)
    assert.equal(nd.body.rows, 2)
    const rows = await localQuery(url, 'test', 'select device, value, ok, strftime(timestamp, \'%Y-%m-%d %H:%M:%S.%f\') as ts from readings order by timestamp')
    assert.deepEqual(rows.map(r => r.device), ['d0', 'device-with-a-long-name', 'd2', 'd3', 'd4'])
    assert.equal(rows[1]?.ts, '2026-01-01 10:00:01.250000')
    assert.equal(rows[1]?.value, 2.5)
    const types = await localQuery(url, 'test', 'select typeof(timestamp) as timestamp, typeof(device) as device, typeof(value) as value, typeof(ok) as ok from readings limit 1')
    assert.deepEqual(types, [{ timestamp: 'TIMESTAMP', device: 'VARCHAR', value: 'DOUBLE', ok: 'BOOLEAN' }])
  })

  it('refuses a malformed body whole and writes nothing', async () => {
    const before = await localQuery(url, 'test', 'select count(*) as n from readings')
    const bad = await put('{"timestamp":"2026-01-01 11:00:00","device":"x","value":1,"ok":true}\n{"timestamp": "2026-01-01 11:00:01", "device": ')
    assert.equal(bad.status, 400)
    assert.equal(bad.body.code, 'PUT_MALFORMED_BODY')
    const mismatch = await put('{"timestamp":"2026-01-01 11:00:00","device":"x","value":1,"ok":true}\n{"timestamp":"2026-01-01 11:00:01","device":"y","value":"not a number","ok":true}')
    assert.equal(mismatch.status, 400)
    assert.equal(mismatch.body.code, 'PUT_TYPE_MISMATCH')
    const after = await localQuery(url, 'test', 'select count(*) as n from readings')
    assert.deepEqual(after, before)
  })

  it('shows the new database and table to local commands', async () => {
    const reply = await restCommand(url, 'sql test format=table "select device from readings where value > 3 order by device"')
    assert.equal(reply.status, 200)
    assert.match(reply.text, /^device\n------\nd3\s*\nd4\s*\n/m)
    const json = await restCommand(url, 'sql test format=json "select count(*), max(device) from readings"')
    const body = json.json() as { Query: unknown[], Statistics: Array<Record<string, unknown>> }
    assert.deepEqual(body.Query, [{ 'count(*)': 5, 'max(device)': 'device-with-a-long-name' }], 'columns keyed by projection text, as EdgeLake does')
    assert.equal(body.Statistics[0]?.Count, 1)
    assert.equal(body.Statistics[0]?.Nodes, 0)
  })
})

/** `sql <dbms> format=json and stat=false "<sql>"` on the node: status, code and the reply text as sent. */
async function sqlReply (url: string, dbms: string, sql: string): Promise<{ status: number, code: unknown, text: string }> {
  const reply = await restCommand(url, `sql ${dbms} format=json and stat=false "${sql}"`)
  return { status: reply.status, code: reply.status === 200 ? undefined : (reply.json() as Record<string, unknown>).code, text: reply.text }
}

describe('PUT over REST is exact and atomic', { timeout: 60_000 }, () => {
  const send = async (dbms: string, table: string, body: string): Promise<{ status: number, body: Record<string, unknown> }> => await put(body, { dbms, table })

  it('stores integers beyond 2^53 exactly and the sql command gives back every digit', async () => {
    const values = ['9007199254740993', '-9007199254740993', '12345678901234567890', '170141183460469231731687303715884105727']
    const reply = await send('exact', 'ids', values.map((v, i) => `{"k":${i},"v":${v}}`).join('\n'))
    assert.equal(reply.status, 200, JSON.stringify(reply.body))
    const read = await sqlReply(url, 'exact', 'select k, v, v::VARCHAR as text from ids order by k')
    assert.equal(read.status, 200, read.text)
    const rows = JSON.parse(read.text) as { Query: Array<{ k: number, text: string }> }
    assert.deepEqual(rows.Query.map(r => r.text), values)
    for (const v of values) assert.ok(read.text.includes(`"v":"${v}"`) || read.text.includes(`"v":${v}`), `${v} in ${read.text}`)
    const types = await localQuery(url, 'exact', 'select typeof(v) as t from ids limit 1')
    assert.deepEqual(types, [{ t: 'HUGEINT' }])
  })

  it('refuses 1e400 and -1e400 with 400 and creates nothing', async () => {
    for (const value of ['1e400', '-1e400']) {
      const reply = await send('overflow', 'numbers', `{"a":1,"v":${value}}`)
      assert.equal(reply.status, 400)
      assert.equal(reply.body.code, 'PUT_TYPE_MISMATCH')
      assert.match(String(reply.body.local_msg), /not a finite number/)
    }
    const read = await sqlReply(url, 'overflow', 'select * from numbers')
    assert.equal(read.code, 'SQL_UNKNOWN_TABLE')
  })

  it('leaves no table and announces none when a first PUT fails on its second row, and adds no column to an existing table', async () => {
    const first = await send('exact', 'events', '{"ts":"2026-01-01 10:00:00","v":1}\n{"ts":"2300-01-01 00:00:00","v":2}')
    assert.equal(first.status, 400)
    assert.equal(first.body.code, 'PUT_TYPE_MISMATCH')
    const column = await send('exact', 'ids', '{"k":9,"v":9,"seen":"2026-01-01"}\n{"k":10,"v":10,"seen":"2300-01-01"}')
    assert.equal(column.status, 400)
    // a table created afterwards is announced: by then the failed one would have been too
    assert.equal((await send('exact', 'later', '{"a":1}')).status, 200)
    const tables = async (): Promise<string[]> => ((await restCommand(url, 'get tables where dbms = exact and format = json')).json() as Array<Record<string, string>>).map(t => t['Table name'] as string)
    await waitFor(async () => (await tables()).includes('later'), { what: 'exact.later announced' })
    assert.deepEqual((await tables()).sort(), ['ids', 'later'])
    assert.equal((await sqlReply(url, 'exact', 'select * from events')).code, 'SQL_UNKNOWN_TABLE')
    assert.equal((await sqlReply(url, 'exact', 'select seen from ids')).status, 400, 'no column seen')
    assert.deepEqual(await localQuery(url, 'exact', 'select count(*) as n from ids'), [{ n: 4 }])
  })

  it('answers 400 to JSON nested 100,000 deep, quickly', async () => {
    const started = performance.now()
    const reply = await send('exact', 'deep', `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)
    assert.equal(reply.status, 400)
    assert.equal(reply.body.code, 'PUT_MALFORMED_BODY')
    assert.match(String(reply.body.local_msg), /nested deeper than 64 levels/)
    assert.ok(performance.now() - started < 5000)
  })

  it('refuses every reserved dbms name for PUT and for the sql command', async () => {
    for (const dbms of ['system', 'temp', 'main', 'memory', 'information_schema', 'pg_catalog']) {
      const reply = await send(dbms, 'duckdb_databases', '{"database_name":"x"}')
      assert.equal(reply.status, 400, dbms)
      assert.equal(reply.body.code, 'STORAGE_RESERVED_DBMS')
      assert.match(String(reply.body.local_msg), /reserved/)
    }
    const read = await sqlReply(url, 'system', 'select database_name, path from system.main.duckdb_databases')
    assert.equal(read.status, 400)
    assert.equal(read.code, 'STORAGE_RESERVED_DBMS')
    assert.doesNotMatch(read.text, new RegExp(dir.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'no file path in the reply')
  })

  it('lands two PUTs creating the same new table at once, with the union of their columns', async () => {
    const [a, b] = await Promise.all([send('exact', 'pair', '{"id":1,"left":"l"}'), send('exact', 'pair', '{"id":2,"right":2.5}')])
    assert.deepEqual([a.status, b.status], [200, 200])
    assert.deepEqual(await localQuery(url, 'exact', 'select id, "left", "right" from pair order by id'), [{ id: 1, left: 'l', right: null }, { id: 2, left: null, right: 2.5 }])
  })

  it('lets PUT write into kubearmor on a node without KubeArmor sources', async () => {
    assert.equal((await send('kubearmor', 'custom', '{"a":1}')).status, 200)
  })
})

describe('PUT into a database a connector feeds, or marked read-only', { timeout: 90_000 }, () => {
  const nodes: Child[] = []
  const dirs: Array<ReturnType<typeof tempDir>> = []
  let deadSource = ''

  before(async () => {
    // a KubeArmor endpoint nobody listens on: the connector keeps retrying, which is all these tests need
    const probe = createServer()
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
    deadSource = `127.0.0.1:${(probe.address() as AddressInfo).port}`
    await new Promise(resolve => probe.close(resolve))
  })
  after(async () => {
    for (const n of nodes) await n.stop('SIGKILL')
    for (const d of dirs) d.remove()
  })

  async function startOperator (name: string, env: Record<string, string>): Promise<string> {
    const data = tempDir(name)
    dirs.push(data)
    const child = await startFedlake(['node', '--roles', 'operator', '--name', name, '--rest-port', '0', '--p2p-port', '0', '--data-dir', data.path, '--kubearmor', deadSource], { env })
    nodes.push(child)
    return child.ready.rest ?? ''
  }

  const putTo = async (nodeUrl: string, dbms: string): Promise<{ status: number, body: Record<string, unknown> }> => {
    const res = await fetch(nodeUrl, { method: 'PUT', headers: { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms, table: 'logs' }, body: '{"hostname":"fake","operation":"Process"}' })
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  }

  it('answers 403 for the connector\'s dbms and the read-only ones, and nothing lands', async () => {
    const nodeUrl = await startOperator('put-guarded', { FEDLAKE_PUT_READ_ONLY_DBMS: 'archive' })
    for (const dbms of ['kubearmor', 'KubeArmor', 'archive']) {
      const reply = await putTo(nodeUrl, dbms)
      assert.equal(reply.status, 403, dbms)
      assert.equal(reply.body.code, 'PUT_READ_ONLY_DBMS')
    }
    assert.match(String((await putTo(nodeUrl, 'kubearmor')).body.local_msg), /KubeArmor connector feeds it/)
    assert.equal((await putTo(nodeUrl, 'other')).status, 200)
    assert.equal((await sqlReply(nodeUrl, 'kubearmor', 'select * from logs')).code, 'SQL_UNKNOWN_TABLE')
  })

  it('accepts PUT into the connector\'s dbms when the config allows it', async () => {
    const nodeUrl = await startOperator('put-allowed', { FEDLAKE_ALLOW_PUT_INTO_CONNECTOR_DBMS: 'true' })
    assert.equal((await putTo(nodeUrl, 'kubearmor')).status, 200)
    assert.deepEqual(await localQuery(nodeUrl, 'kubearmor', 'select hostname from logs'), [{ hostname: 'fake' }])
  })
})
