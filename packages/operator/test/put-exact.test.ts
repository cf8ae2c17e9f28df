/**
 * PUT is exact and atomic, on real DuckDB files: integers beyond 2^53 are stored exactly, non-finite numbers and
 * values that do not fit are refused with nothing changed (no rows, no table, no column), deep nesting and
 * reserved or read-only databases are refused.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TableSchema } from '@fedlake/core'
import { isFedlakeError } from '@fedlake/core'
import { createPutIngestor } from '../src/put/index.js'
import type { PutIngestor } from '../src/put/index.js'
import { putReadOnlyDbms } from '../src/put/read-only.js'
import { createDuckDbStorage } from '../src/storage/index.js'
import type { OperatorStorage } from '../src/storage/index.js'

describe('PUT: exact integers, atomic writes, refused names', () => {
  let dir: string
  let storage: OperatorStorage
  let put: PutIngestor
  /** Every announced table, with whether it was queryable (committed) when announced. */
  const announced: { schema: TableSchema, committed: boolean }[] = []

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fedlake-put-exact-'))
    storage = createDuckDbStorage({ dataDir: dir, threads: 1 })
    await storage.start()
    put = createPutIngestor({
      storage,
      onTableCreated: async schema => {
        announced.push({ schema, committed: (await storage.listTables(schema.dbms)).some(t => t.table === schema.table) })
      },
      readOnlyDbms: putReadOnlyDbms({ connectorDbms: 'kubearmor', allowPutIntoConnectorDbms: false, putReadOnlyDbms: ['archive'] })
    })
  })
  after(async () => {
    await storage.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const announcedTables = (): string[] => announced.map(a => `${a.schema.dbms}.${a.schema.table}`)

  it('stores integers beyond 2^53 exactly (BIGINT, HUGEINT) and reads them back digit for digit', async () => {
    const body = '{"id":9007199254740993,"n":170141183460469231731687303715884105727}\n{"id":-9007199254740993,"n":12345678901234567890}\n{"id":12345678901234567,"n":-170141183460469231731687303715884105728}'
    assert.equal((await put.ingest({ dbms: 'exact', table: 'ids', body })).rows, 3)
    assert.deepEqual((await storage.tableSchema('exact', 'ids'))?.columns, [{ name: 'id', type: 'BIGINT' }, { name: 'n', type: 'HUGEINT' }])
    const rows = (await storage.query('exact', 'SELECT id::VARCHAR, n::VARCHAR, id, n FROM ids ORDER BY id')).rows
    assert.deepEqual(rows, [
      ['-9007199254740993', '12345678901234567890', '-9007199254740993', '12345678901234567890'],
      ['9007199254740993', '170141183460469231731687303715884105727', '9007199254740993', '170141183460469231731687303715884105727'],
      ['12345678901234567', '-170141183460469231731687303715884105728', '12345678901234567', '-170141183460469231731687303715884105728']
    ])
    assert.deepEqual(announced, [{ schema: { dbms: 'exact', table: 'ids', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'n', type: 'HUGEINT' }] }, committed: true }],
      'announced once, after the commit')
  })

  it('refuses an integer beyond the BIGINT column it lands in (no silent widening)', async () => {
    await assert.rejects(put.ingest({ dbms: 'exact', table: 'ids', body: '{"id":12345678901234567890,"n":1}' }), (err: unknown) =>
      isFedlakeError(err, 'PUT_TYPE_MISMATCH') && /row 0, column id: 12345678901234567890 does not fit BIGINT \(64-bit\)/.test(err.message))
    assert.deepEqual((await storage.query('exact', 'SELECT count(*) FROM ids')).rows, [[3]])
  })

  it('refuses 1e400 and -1e400 with 400 and creates nothing', async () => {
    for (const value of ['1e400', '-1e400']) {
      await assert.rejects(put.ingest({ dbms: 'fresh_db', table: 'overflow', body: `{"a":1,"v":${value}}` }), (err: unknown) =>
        isFedlakeError(err, 'PUT_TYPE_MISMATCH') && err.spec.status === 400 && new RegExp(`key v: ${value} is not a finite number`).test(err.message))
    }
    assert.deepEqual(await storage.listDatabases(), ['exact'])
    assert.equal(readdirSync(dir).some(f => f.startsWith('fresh_db')), false)
  })

  it('leaves no table when the second row of a first PUT holds a timestamp it cannot store', async () => {
    for (const ts of ['2300-01-01 00:00:00', '1600-01-01T00:00:00Z']) {
      await assert.rejects(put.ingest({ dbms: 'exact', table: 'events', body: `{"ts":"2026-01-01 10:00:00","v":1}\n{"ts":"${ts}","v":2}` }), (err: unknown) =>
        isFedlakeError(err, 'PUT_TYPE_MISMATCH') && err.details.row === 1 && /outside the TIMESTAMP range/.test(err.message))
    }
    assert.equal(await storage.tableSchema('exact', 'events'), undefined)
    assert.deepEqual((await storage.listTables('exact')).map(t => t.table), ['ids'])
    assert.deepEqual(announcedTables(), ['exact.ids'], 'nothing announced')
  })

  it('adds no column when the rows of the PUT that adds it do not fit', async () => {
    await assert.rejects(put.ingest({ dbms: 'exact', table: 'ids', body: '{"id":1,"n":1,"seen":"2026-01-01"}\n{"id":2,"n":2,"seen":"2300-01-01"}' }), (err: unknown) =>
      isFedlakeError(err, 'PUT_TYPE_MISMATCH') && err.details.column === 'seen')
    assert.deepEqual((await storage.tableSchema('exact', 'ids'))?.columns.map(c => c.name), ['id', 'n'])
    assert.deepEqual((await storage.query('exact', 'SELECT count(*) FROM ids')).rows, [[3]])
  })

  it('refuses JSON nested 100,000 deep with 400, quickly', async () => {
    const started = performance.now()
    await assert.rejects(put.ingest({ dbms: 'exact', table: 'deep', body: `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}` }), (err: unknown) =>
      isFedlakeError(err, 'PUT_MALFORMED_BODY') && err.spec.status === 400 && /nested deeper than 64 levels/.test(err.message))
    assert.ok(performance.now() - started < 2000)
    assert.equal(await storage.tableSchema('exact', 'deep'), undefined)
  })

  it('refuses each reserved dbms name with 400 naming the reason', async () => {
    for (const dbms of ['system', 'temp', 'main', 'memory', 'information_schema', 'pg_catalog', 'SYSTEM']) {
      await assert.rejects(put.ingest({ dbms, table: 't', body: '{"a":1}' }), (err: unknown) =>
        isFedlakeError(err, 'STORAGE_RESERVED_DBMS') && err.spec.status === 400 && /reserved/.test(err.message), dbms)
    }
    assert.deepEqual(await storage.listDatabases(), ['exact'])
  })

  it('refuses the connector\'s dbms and the read-only ones with 403', async () => {
    for (const [dbms, reason] of [['kubearmor', /KubeArmor connector feeds it/], ['Archive', /read-only for PUT/]] as const) {
      await assert.rejects(put.ingest({ dbms, table: 'logs', body: '{"fake":"event"}' }), (err: unknown) =>
        isFedlakeError(err, 'PUT_READ_ONLY_DBMS') && err.spec.status === 403 && reason.test(err.message), dbms)
    }
    assert.deepEqual(await storage.listDatabases(), ['exact'])
  })

  it('lands two PUTs creating the same new table at once, with the union of their columns', async () => {
    const [a, b] = await Promise.all([
      put.ingest({ dbms: 'exact', table: 'pair', body: '{"id":1,"left":"l"}' }),
      put.ingest({ dbms: 'exact', table: 'pair', body: '{"id":2,"right":12345678901234567890}' })
    ])
    assert.deepEqual([a?.created, b?.created], [true, false])
    assert.deepEqual((await storage.tableSchema('exact', 'pair'))?.columns, [{ name: 'id', type: 'BIGINT' }, { name: 'left', type: 'VARCHAR' }, { name: 'right', type: 'HUGEINT' }])
    assert.deepEqual((await storage.query('exact', 'SELECT id, "left", "right"::VARCHAR FROM pair ORDER BY id')).rows, [[1, 'l', null], [2, null, '12345678901234567890']])
  })
})

describe('putReadOnlyDbms', () => {
  it('protects the connector\'s dbms unless allowed, and the configured ones', () => {
    assert.deepEqual([...putReadOnlyDbms({ connectorDbms: 'kubearmor', allowPutIntoConnectorDbms: true, putReadOnlyDbms: [] }).keys()], [])
    assert.deepEqual([...putReadOnlyDbms({ allowPutIntoConnectorDbms: false, putReadOnlyDbms: ['a'] }).keys()], ['a'])
    assert.deepEqual([...putReadOnlyDbms({ connectorDbms: 'ka', allowPutIntoConnectorDbms: false, putReadOnlyDbms: ['a'] }).keys()], ['a', 'ka'])
  })
})
