/**
 * ensureTableAndAppendRows: CREATE TABLE / ALTER TABLE ADD COLUMN and the rows in one DuckDB transaction, and
 * HUGEINT columns, on real database files, in this thread and in the storage worker.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TableSchema } from '@fedlake/core'
import { isFedlakeError } from '@fedlake/core'
import { createDuckDbStorage, createThreadedDuckDbStorage } from '../src/storage/index.js'
import type { DuckDbStorageInit, OperatorStorage } from '../src/storage/index.js'

const INT128_MAX = 2n ** 127n - 1n
const INT128_MIN = -(2n ** 127n)
const T0 = Date.UTC(2026, 0, 1) * 1000

const STORAGES: ReadonlyArray<readonly [string, (init: DuckDbStorageInit) => OperatorStorage]> = [
  ['in this thread', createDuckDbStorage],
  ['in a worker thread', createThreadedDuckDbStorage]
]

for (const [kind, createStorage] of STORAGES) {
  describe(`table DDL and rows in one transaction (${kind})`, () => {
    let dir: string
    let storage: OperatorStorage

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'fedlake-ddl-'))
      storage = createStorage({ dataDir: dir, threads: 1 })
      await storage.start()
    })
    after(async () => {
      await storage.stop()
      rmSync(dir, { recursive: true, force: true })
    })

    const events: TableSchema = { dbms: 'test', table: 'events', columns: [{ name: 'ts', type: 'TIMESTAMP' }, { name: 'device', type: 'VARCHAR' }] }

    it('leaves no table behind when a row of the first write does not fit', async () => {
      await assert.rejects(storage.ensureTableAndAppendRows(events, [[T0, 'd0'], [2 ** 60, 'd1']]), (err: unknown) =>
        isFedlakeError(err, 'STORAGE_INVALID_VALUE') && err.details.row === 1)
      assert.equal(await storage.tableSchema('test', 'events'), undefined)
      assert.deepEqual(await storage.listTables('test'), [])
      await assert.rejects(storage.query('test', 'SELECT * FROM events'), (err: unknown) => isFedlakeError(err, 'SQL_UNKNOWN_TABLE'))
    })

    it('creates the table with its rows, then only appends', async () => {
      assert.equal(await storage.ensureTableAndAppendRows(events, [[T0, 'd0'], [T0 + 1, 'd1']]), true)
      assert.equal(await storage.ensureTableAndAppendRows(events, [[T0 + 2, 'd2']]), false)
      assert.deepEqual(await storage.tableSchema('test', 'events'), events)
      assert.deepEqual((await storage.query('test', 'SELECT device FROM events ORDER BY ts')).rows, [['d0'], ['d1'], ['d2']])
    })

    it('adds no column when a row of the write that adds it does not fit, and the next write still lands', async () => {
      const wider: TableSchema = { ...events, columns: [...events.columns, { name: 'level', type: 'INTEGER' }] }
      await assert.rejects(storage.ensureTableAndAppendRows(wider, [[T0 + 3, 'd3', 1], [T0 + 4, 'd4', 2 ** 40]]), (err: unknown) =>
        isFedlakeError(err, 'STORAGE_INVALID_VALUE') && err.details.column === 'level')
      assert.deepEqual(await storage.tableSchema('test', 'events'), events)
      assert.deepEqual((await storage.query('test', 'SELECT count(*) FROM events')).rows, [[3]])
      assert.equal(await storage.ensureTableAndAppendRows(wider, [[T0 + 5, 'd5', 5]]), false)
      assert.deepEqual(await storage.tableSchema('test', 'events'), wider)
      assert.deepEqual((await storage.query('test', 'SELECT device, level FROM events WHERE level IS NOT NULL')).rows, [['d5', 5]])
    })

    it('refuses a column whose type differs from the table\'s before changing anything', async () => {
      const clash: TableSchema = { ...events, columns: [{ name: 'device', type: 'BIGINT' }, { name: 'fresh', type: 'VARCHAR' }] }
      await assert.rejects(storage.ensureTableAndAppendRows(clash, [[1, 'x']]), (err: unknown) => isFedlakeError(err, 'STORAGE_SCHEMA_MISMATCH'))
      assert.equal((await storage.tableSchema('test', 'events'))?.columns.some(c => c.name === 'fresh'), false)
    })

    it('lands two writes creating the same table at once, with the union of their columns', async () => {
      const a: TableSchema = { dbms: 'test', table: 'raced', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'a', type: 'VARCHAR' }] }
      const b: TableSchema = { dbms: 'test', table: 'raced', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'b', type: 'DOUBLE' }] }
      const created = await Promise.all([storage.ensureTableAndAppendRows(a, [[1, 'x']]), storage.ensureTableAndAppendRows(b, [[2, 2.5]])])
      assert.deepEqual(created.sort(), [false, true])
      assert.deepEqual((await storage.tableSchema('test', 'raced'))?.columns.map(c => c.name).sort(), ['a', 'b', 'id'])
      assert.deepEqual((await storage.query('test', 'SELECT id, a, b FROM raced ORDER BY id')).rows, [[1, 'x', null], [2, null, 2.5]])
    })

    it('stores 128-bit integers exactly in HUGEINT columns and BIGINT values beyond 2^53 exactly', async () => {
      const big: TableSchema = { dbms: 'test', table: 'big', columns: [{ name: 'h', type: 'HUGEINT' }, { name: 'b', type: 'BIGINT' }] }
      await storage.ensureTableAndAppendRows(big, [[INT128_MAX, 9007199254740993n], [INT128_MIN, -9007199254740993n], [7, 7]])
      assert.deepEqual(await storage.tableSchema('test', 'big'), big)
      const rows = (await storage.query('test', 'SELECT h, b, h::VARCHAR AS ht FROM big ORDER BY h')).rows
      assert.deepEqual(rows, [
        [INT128_MIN.toString(), '-9007199254740993', INT128_MIN.toString()],
        [7, 7, '7'],
        [INT128_MAX.toString(), '9007199254740993', INT128_MAX.toString()]
      ])
      await assert.rejects(storage.appendRows(big, [[INT128_MAX + 1n, 1]]), (err: unknown) => isFedlakeError(err, 'STORAGE_INVALID_VALUE'))
      await assert.rejects(storage.appendRows(big, [[1, 2n ** 63n]]), (err: unknown) => isFedlakeError(err, 'STORAGE_INVALID_VALUE'))
    })
  })
}
