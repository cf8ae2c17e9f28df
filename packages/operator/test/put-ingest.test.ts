import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TableSchema } from '@fedlake/core'
import { isFedlakeError } from '@fedlake/core'
import { createPutIngestor } from '../src/put/index.js'
import type { PutIngestor } from '../src/put/index.js'
import { createDuckDbStorage } from '../src/storage/index.js'
import type { OperatorStorage } from '../src/storage/index.js'

describe('PUT ingestion into DuckDB', () => {
  let dir: string
  let storage: OperatorStorage
  let put: PutIngestor
  const created: TableSchema[] = []

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fedlake-put-'))
    storage = createDuckDbStorage({ dataDir: dir })
    await storage.start()
    put = createPutIngestor({ storage, onTableCreated: schema => { created.push(schema) } })
  })
  after(async () => {
    await storage.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  async function rows (sql: string): Promise<unknown[][]> {
    return (await storage.query('lsl_demo', sql)).rows as unknown[][]
  }

  it('creates the table from a whole first batch: "d0" then "device-long-name" both fit', async () => {
    const body = '{"Device":"d0","value":1,"ts":"2025-01-02 03:04:05.000001"}\n{"Device":"device-long-name","value":2.5,"ts":"2025-01-02T03:04:06Z"}\n'
    const result = await put.ingest({ dbms: 'LSL_Demo', table: 'Ping_Sensor', body, mode: 'streaming' })
    assert.deepEqual(result, { rows: 2, created: true, hash: createHash('md5').update(body).digest('hex') })
    // a 200 means committed: the rows are queryable as soon as ingest resolves
    assert.deepEqual(await rows('SELECT device, value, ts FROM ping_sensor ORDER BY ts'), [
      ['d0', 1, '2025-01-02 03:04:05.000001'],
      ['device-long-name', 2.5, '2025-01-02 03:04:06.000000']
    ])
    assert.deepEqual(created, [{ dbms: 'lsl_demo', table: 'ping_sensor', columns: [{ name: 'device', type: 'VARCHAR' }, { name: 'value', type: 'DOUBLE' }, { name: 'ts', type: 'TIMESTAMP' }] }])
  })

  it('appends a JSON object and a JSON array, coercing to the existing column types', async () => {
    assert.deepEqual(await put.ingest({ dbms: 'lsl_demo', table: 'ping_sensor', body: '{"device":"d3","value":"7","ts":"2025-01-02 03:04:07"}' }), { rows: 1, created: false, hash: createHash('md5').update('{"device":"d3","value":"7","ts":"2025-01-02 03:04:07"}').digest('hex') })
    const array = Buffer.from('[{"device":"d4","value":8,"ts":"2025-01-02 03:04:08"},{"device":5,"value":null}]')
    assert.equal((await put.ingest({ dbms: 'lsl_demo', table: 'ping_sensor', body: array })).rows, 2)
    assert.deepEqual(await rows("SELECT device, value, ts FROM ping_sensor WHERE device IN ('d3', 'd4', '5') ORDER BY device"), [
      ['5', null, null], ['d3', 7, '2025-01-02 03:04:07.000000'], ['d4', 8, '2025-01-02 03:04:08.000000']
    ])
    assert.equal(created.length, 1, 'onTableCreated is called only when the table is created')
  })

  it('adds columns for new keys of a later batch', async () => {
    await put.ingest({ dbms: 'lsl_demo', table: 'ping_sensor', body: '{"device":"d5","value":9,"site":"lab","Temp (C)":21.5,"alive":true}' })
    assert.deepEqual((await storage.tableSchema('lsl_demo', 'ping_sensor'))?.columns, [
      { name: 'device', type: 'VARCHAR' }, { name: 'value', type: 'DOUBLE' }, { name: 'ts', type: 'TIMESTAMP' },
      { name: 'site', type: 'VARCHAR' }, { name: 'temp__c_', type: 'DOUBLE' }, { name: 'alive', type: 'BOOLEAN' }
    ])
    assert.deepEqual(await rows("SELECT site, temp__c_, alive FROM ping_sensor WHERE device = 'd5'"), [['lab', 21.5, true]])
  })

  it('refuses a value that does not fit, naming row and column, and writes nothing', async () => {
    const before = await rows('SELECT count(*) FROM ping_sensor')
    const body = '{"device":"d6","value":1}\n{"device":"d7","value":"high"}\n{"device":"d8","value":3,"brand_new":1}'
    await assert.rejects(put.ingest({ dbms: 'lsl_demo', table: 'ping_sensor', body }), (err: unknown) =>
      isFedlakeError(err, 'PUT_TYPE_MISMATCH') && err.details.row === 1 && err.details.column === 'value' && /row 1, column value/.test(err.message))
    assert.deepEqual(await rows('SELECT count(*) FROM ping_sensor'), before)
    assert.equal((await storage.tableSchema('lsl_demo', 'ping_sensor'))?.columns.some(c => c.name === 'brand_new'), false, 'no column added either')
  })

  it('refuses a malformed body whole, before touching the table', async () => {
    const before = await rows('SELECT count(*) FROM ping_sensor')
    await assert.rejects(put.ingest({ dbms: 'lsl_demo', table: 'ping_sensor', body: '{"device":"d9","value":1}\n{"device":"d10",' }), (err: unknown) =>
      isFedlakeError(err, 'PUT_MALFORMED_BODY') && err.details.line === 2)
    await assert.rejects(put.ingest({ dbms: 'lsl_demo', table: 'fresh', body: 'nope' }), (err: unknown) => isFedlakeError(err, 'PUT_MALFORMED_BODY'))
    assert.deepEqual(await rows('SELECT count(*) FROM ping_sensor'), before)
    assert.equal(await storage.tableSchema('lsl_demo', 'fresh'), undefined)
    await assert.rejects(put.ingest({ dbms: 'lsl-demo', table: 't', body: '{"a":1}' }), (err: unknown) => isFedlakeError(err, 'PUT_INVALID_NAME'))
  })

  it('coerces into a table another writer created with its own types', async () => {
    await storage.ensureTable({ dbms: 'lsl_demo', table: 'typed', columns: [{ name: 'pid', type: 'INTEGER' }, { name: 'at', type: 'TIMESTAMP' }] })
    const result = await put.ingest({ dbms: 'lsl_demo', table: 'typed', body: '[{"pid":"12","at":"2025-01-02T00:00:00+01:00"},{"pid":13}]' })
    assert.equal(result.created, false)
    assert.deepEqual(await rows('SELECT pid, "at" FROM typed ORDER BY pid'), [[12, '2025-01-01 23:00:00.000000'], [13, null]])
    await assert.rejects(put.ingest({ dbms: 'lsl_demo', table: 'typed', body: '{"pid":3000000000}' }), (err: unknown) => isFedlakeError(err, 'PUT_TYPE_MISMATCH'))
  })

  it('creates a table once when first batches race, and commits all of them', async () => {
    const bodies = Array.from({ length: 5 }, (_, i) => JSON.stringify(Array.from({ length: 100 }, (_, k) => ({ batch: i, k, label: i % 2 === 0 ? `x${k}` : 'y' }))))
    const before = created.length
    const results = await Promise.all(bodies.map(body => put.ingest({ dbms: 'lsl_demo', table: 'race', body })))
    assert.equal(results.filter(r => r.created).length, 1)
    assert.equal(created.length, before + 1)
    assert.deepEqual(await rows('SELECT count(*), count(DISTINCT batch) FROM race'), [[500, 5]])
  })
})
