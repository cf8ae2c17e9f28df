/** REST PUT ingestion through a real node process: object, array and NDJSON bodies; bad bodies refused whole. */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { localQuery, restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'

const dir = tempDir('put')
let node: Child
let url = ''

async function put (body: string, headers: Record<string, string> = {}): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'PUT', headers: { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'test', table: 'readings', mode: 'streaming', ...headers }, body })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

describe('PUT ingestion over REST', { timeout: 60_000 }, () => {
  before(async () => {
    node = await startFedlake(['node', '--roles', 'operator', '--name', 'put-node', '--rest-port', '0', '--p2p-port', '0', '--data-dir', dir.path])
    url = node.ready.rest ?? ''
  })
  after(async () => { await node.stop('SIGKILL'); dir.remove() })

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
