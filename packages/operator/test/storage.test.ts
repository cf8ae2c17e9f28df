import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TableSchema } from '@fedlake/core'
import { createLogger, FedlakeError, isFedlakeError } from '@fedlake/core'
import { columnBatchFromRows, columnBatchRows, createColumnBatchBuilder, createDuckDbStorage, createThreadedDuckDbStorage } from '../src/storage/index.js'
import type { DuckDbStorageInit, OperatorStorage, StorageValue } from '../src/storage/index.js'
import { startStorageWorkerEarly, takeEarlyStorageWorker } from '../src/storage/early-worker.js'
import { GroupCommitter } from '../src/storage/group-commit.js'
import { KeyedQueue } from '../src/storage/keyed-queue.js'
import { lockedDownOptions, runStatementWithoutSpinning } from '@fedlake/duckdb'
import { DuckDBInstance } from '@duckdb/node-api'

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5) * 1000 + 123456 // epoch micros with a microsecond part

const readings: TableSchema = {
  dbms: 'test',
  table: 'readings',
  columns: [
    { name: 'ts', type: 'TIMESTAMP' },
    { name: 'device', type: 'VARCHAR' },
    { name: 'value', type: 'DOUBLE' },
    { name: 'count', type: 'BIGINT' },
    { name: 'pid', type: 'INTEGER' },
    { name: 'ok', type: 'BOOLEAN' }
  ]
}

function readingRows (n: number, offset = 0): StorageValue[][] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset
    return [T0 + i, `d${i % 3}`, i / 4, i * 1000, i % 1000, i % 2 === 0]
  })
}

const STORAGES: ReadonlyArray<readonly [string, (init: DuckDbStorageInit) => OperatorStorage]> = [
  ['in this thread', createDuckDbStorage],
  ['in a worker thread', createThreadedDuckDbStorage],
  // as `fedlake node` starts it: the worker loads before the storage exists and waits for its init
  ['in a worker thread started early', init => { startStorageWorkerEarly(); return createThreadedDuckDbStorage(init) }]
]

for (const [kind, createStorage] of STORAGES) {
  describe(`DuckDB storage (${kind})`, () => {
    let dir: string
    let storage: OperatorStorage

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'fedlake-storage-'))
      storage = createStorage({ dataDir: dir, threads: 2 })
      await storage.start()
    })
    after(async () => {
      await storage.stop()
      rmSync(dir, { recursive: true, force: true })
    })

    it('creates a table once, in <dbms>.duckdb, and reports its schema', async () => {
      assert.equal(await storage.ensureTable(readings), true)
      assert.equal(await storage.ensureTable(readings), false)
      assert.ok(existsSync(join(dir, 'test.duckdb')))
      assert.deepEqual(await storage.listDatabases(), ['test'])
      assert.deepEqual(await storage.tableSchema('test', 'readings'), readings)
      assert.deepEqual(await storage.tableSchema('TEST', 'Readings'), readings)
      assert.equal(await storage.tableSchema('test', 'nosuch'), undefined)
      assert.equal(await storage.tableSchema('nodb', 'readings'), undefined)
      assert.deepEqual((await storage.listTables('test')).map(t => t.table), ['readings'])
      assert.deepEqual(await storage.listTables('nodb'), [])
      assert.equal(existsSync(join(dir, 'nodb.duckdb')), false, 'reads never create a database file')
    })

    it('appends rows across several 2048-row chunks and reads them back JSON-safe', async () => {
      await storage.appendRows(readings, readingRows(5000))
      const result = await storage.query('test', 'SELECT count(*) AS n, sum(count) AS total, min(ts) AS first, max(ts) AS last, avg(value) AS mean FROM readings')
      assert.deepEqual(result.columns, [
        { name: 'n', type: 'BIGINT' }, { name: 'total', type: 'HUGEINT' }, { name: 'first', type: 'TIMESTAMP' },
        { name: 'last', type: 'TIMESTAMP' }, { name: 'mean', type: 'DOUBLE' }
      ])
      assert.deepEqual(result.rows, [[5000, 12_497_500_000, '2025-01-02 03:04:05.123456', '2025-01-02 03:04:05.128455', 624.875]])
      const one = await storage.query('test', 'SELECT * FROM readings WHERE count = 3000')
      assert.deepEqual(one.rows, [['2025-01-02 03:04:05.123459', 'd0', 0.75, 3000, 3, false]])
      assert.equal(JSON.parse(JSON.stringify(one.rows))[0][0], '2025-01-02 03:04:05.123459')
    })

    it('converts big integers, decimals, dates, intervals, lists, structs and NaN to JSON-safe values without loss', async () => {
      const result = await storage.query('test', `SELECT
          9007199254740993::BIGINT AS big, 42::HUGEINT AS huge, sum(count)::HUGEINT * 1000000000 AS bigsum,
          12345678901234567.891::DECIMAL(38,3) AS exact, 1.50::DECIMAL(10,2) AS dec,
          DATE '2024-02-29' AS d, TIMESTAMP '1969-12-31 23:59:59.999999' AS before_epoch,
          TIMESTAMPTZ '2025-01-01 00:00:00+02' AS tz, INTERVAL 3 DAY + INTERVAL 2 HOUR AS i,
          [1, 2, NULL] AS l, {'a': 1::BIGINT, 'b': 'x'} AS s, 'NaN'::DOUBLE AS nan, NULL AS nothing
        FROM readings`)
      const [row] = result.rows
      assert.deepEqual(row, [
        '9007199254740993', 42, '12497500000000000000', '12345678901234567.891', 1.5,
        '2024-02-29', '1969-12-31 23:59:59.999999', '2024-12-31 22:00:00.000000',
        '3 days 02:00:00', [1, 2, null], { a: 1, b: 'x' }, 'NaN', null
      ])
      assert.deepEqual(result.columns.map(c => c.type), [
        'BIGINT', 'HUGEINT', 'HUGEINT', 'DOUBLE', 'DOUBLE', 'VARCHAR', 'TIMESTAMP', 'TIMESTAMP', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'DOUBLE', 'INTEGER'
      ])
      assert.doesNotThrow(() => JSON.stringify(result))
    })

    it('is atomic: a batch failing in its third chunk leaves no rows', async () => {
      const before = (await storage.query('test', 'SELECT count(*) FROM readings')).rows[0]?.[0]
      const rows = readingRows(6000, 100_000)
      ;(rows[5000] as StorageValue[])[4] = 'not an integer'
      await assert.rejects(storage.appendRows(readings, rows), (err: unknown) =>
        isFedlakeError(err, 'STORAGE_INVALID_VALUE') && err.details.row === 5000 && err.details.column === 'pid')
      const afterCount = (await storage.query('test', 'SELECT count(*) FROM readings')).rows[0]?.[0]
      assert.equal(afterCount, before)
      // the writer connection is healthy afterwards
      await storage.appendRows(readings, readingRows(10, 200_000))
      assert.equal((await storage.query('test', 'SELECT count(*) FROM readings')).rows[0]?.[0], (before as number) + 10)
    })

    it('round-trips strings (inline, 12/13 UTF-8 bytes, long and repeated across chunks, NUL, lone surrogates), numbers and NULLs exactly', async () => {
      const texts: TableSchema = {
        dbms: 'test',
        table: 'texts',
        columns: [
          { name: 'i', type: 'INTEGER' }, { name: 's', type: 'VARCHAR' }, { name: 'ts', type: 'TIMESTAMP' },
          { name: 'big', type: 'BIGINT' }, { name: 'x', type: 'DOUBLE' }, { name: 'flag', type: 'BOOLEAN' }
        ]
      }
      const strings = ['', 'a', 'twelve bytes', 'thirteen byte', 'éééééé', 'ééééééé', 'a\u0000b', `long\u0000string ${'x'.repeat(40)}`,
        'x\uD800y', '日本語のテキスト', `a repeated long value shared by many rows ${'y'.repeat(30)}`, null]
      const n = 5000
      const rows: StorageValue[][] = Array.from({ length: n }, (_, i) => [
        i,
        i % 97 === 0 ? `unique long string number ${i} ${'z'.repeat(i % 50)}` : strings[i % strings.length] ?? null,
        i % 7 === 0 ? null : -1_000_000_000_000 + i * 977_777_777,
        i % 11 === 0 ? null : (i % 2 === 0 ? 1 : -1) * (Number.MAX_SAFE_INTEGER - i),
        i % 13 === 0 ? null : i / 3 - 100,
        i % 5 === 0 ? null : i % 2 === 0
      ])
      await storage.ensureTable(texts)
      await storage.appendRows(texts, rows)
      const result = await storage.query('test', `SELECT i, s, epoch_us(ts) AS ts, big::VARCHAR AS big, x, flag FROM texts ORDER BY i`)
      const expected = rows.map(([i, s, ts, big, x, flag]) => [i, s === 'x\uD800y' ? 'x\uFFFDy' : s, ts, big === null ? null : String(big), x, flag])
      assert.equal(result.rows.length, n)
      for (let i = 0; i < n; i++) assert.deepEqual(result.rows[i], expected[i], `row ${i}`)
      const lengths = await storage.query('test', "SELECT strlen(s) AS bytes, count(*) AS n FROM texts WHERE s IN ('twelve bytes', 'thirteen byte', 'éééééé', 'ééééééé') GROUP BY ALL ORDER BY bytes")
      assert.deepEqual(lengths.rows.map(r => r[0]), [12, 13, 14])
    })

    it('refuses rows of the wrong width and values out of range', async () => {
      await assert.rejects(storage.appendRows(readings, [[T0, 'd']]), (err: unknown) => isFedlakeError(err, 'STORAGE_INVALID_VALUE'))
      await assert.rejects(storage.appendRows(readings, [[T0, 'd', 1, 1, 2 ** 31, true]]), (err: unknown) => isFedlakeError(err, 'STORAGE_INVALID_VALUE'))
      await assert.rejects(storage.appendRows(readings, [[T0, 'd', 1, 2 ** 60, 1, true]]), (err: unknown) => isFedlakeError(err, 'STORAGE_INVALID_VALUE'))
      await storage.appendRows(readings, [[T0, 'd', 1, 2n ** 60n, 1, true]]) // bigint is fine
    })

    it('adds missing columns so a wider later batch lands, and accepts a subset of columns', async () => {
      const wider: TableSchema = { ...readings, columns: [...readings.columns, { name: 'site', type: 'VARCHAR' }, { name: 'Temp', type: 'DOUBLE' }] }
      assert.equal(await storage.ensureTable(wider), false)
      assert.deepEqual((await storage.tableSchema('test', 'readings'))?.columns.map(c => c.name), [...readings.columns.map(c => c.name), 'site', 'Temp'])
      await storage.appendRows(wider, [[T0, 'dx', 1, 7_000_001, 1, true, 'lab', 21.5]])
      // old narrower schema, columns in another order: the others are NULL
      await storage.appendRows({ dbms: 'test', table: 'readings', columns: [{ name: 'device', type: 'VARCHAR' }, { name: 'count', type: 'BIGINT' }] }, [['dy', 7_000_002]])
      const result = await storage.query('test', `SELECT device, site, "Temp", ts FROM readings WHERE device IN ('dx', 'dy') ORDER BY device`)
      assert.deepEqual(result.rows, [['dx', 'lab', 21.5, '2025-01-02 03:04:05.123456'], ['dy', null, null, null]])
      await assert.rejects(
        storage.appendRows({ dbms: 'test', table: 'readings', columns: [{ name: 'nosuch', type: 'VARCHAR' }] }, [['x']]),
        (err: unknown) => isFedlakeError(err, 'STORAGE_SCHEMA_MISMATCH'))
      await assert.rejects(
        storage.appendRows({ dbms: 'test', table: 'readings', columns: [{ name: 'device', type: 'BIGINT' }] }, [[1]]),
        (err: unknown) => isFedlakeError(err, 'STORAGE_SCHEMA_MISMATCH'))
      await assert.rejects(
        storage.appendRows({ dbms: 'test', table: 'nosuch', columns: [{ name: 'a', type: 'BIGINT' }] }, [[1]]),
        (err: unknown) => isFedlakeError(err, 'STORAGE_SCHEMA_MISMATCH'))
    })

    it('validates names and schemas', async () => {
      await assert.rejects(storage.ensureTable({ dbms: '../etc', table: 't', columns: [{ name: 'a', type: 'BIGINT' }] }), (err: unknown) => isFedlakeError(err, 'STORAGE_INVALID_NAME'))
      await assert.rejects(storage.ensureTable({ dbms: 'Test', table: 't', columns: [{ name: 'a', type: 'BIGINT' }] }), (err: unknown) => isFedlakeError(err, 'STORAGE_INVALID_NAME'))
      await assert.rejects(storage.ensureTable({ dbms: 'test', table: 't', columns: [] }), (err: unknown) => isFedlakeError(err, 'STORAGE_SCHEMA_INVALID'))
      await assert.rejects(storage.ensureTable({ dbms: 'test', table: 't', columns: [{ name: 'a', type: 'BIGINT' }, { name: 'A', type: 'BIGINT' }] }), (err: unknown) => isFedlakeError(err, 'STORAGE_SCHEMA_INVALID'))
      // quoting: odd but legal identifiers work
      const odd: TableSchema = { dbms: 'test', table: 'we"ird table', columns: [{ name: 'select', type: 'BIGINT' }, { name: 'a"b', type: 'VARCHAR' }] }
      assert.equal(await storage.ensureTable(odd), true)
      await storage.appendRows(odd, [[1, 'x']])
      assert.deepEqual((await storage.query('test', 'SELECT "select", "a""b" FROM "we""ird table"')).rows, [[1, 'x']])
    })

    it('serialises concurrent appends to one table, commits each call atomically, and lets queries run alongside', async () => {
      const t: TableSchema = { dbms: 'test', table: 'concurrent', columns: [{ name: 'batch', type: 'INTEGER' }, { name: 'n', type: 'INTEGER' }] }
      await storage.ensureTable(t)
      const batches = Array.from({ length: 12 }, (_, b) => Array.from({ length: 700 }, (_, n) => [b, n] as StorageValue[]))
      ;(batches[5]?.[300] as StorageValue[])[1] = 'bad' // one bad call among many queued ones
      const appends = batches.map(rows => storage.appendRows(t, rows))
      const counts: number[] = []
      const queries = Array.from({ length: 6 }, async () => {
        const r = await storage.query('test', 'SELECT count(*) FROM concurrent')
        counts.push(r.rows[0]?.[0] as number)
      })
      const settled = await Promise.allSettled([...appends, ...queries])
      assert.deepEqual(settled.map(s => s.status), batches.map((_, b) => b === 5 ? 'rejected' : 'fulfilled').concat(Array(6).fill('fulfilled')))
      for (const c of counts) assert.equal(c % 700, 0, 'a query never sees half a batch')
      const result = await storage.query('test', 'SELECT batch, count(*), count(DISTINCT n) FROM concurrent GROUP BY batch ORDER BY batch')
      assert.deepEqual(result.rows, batches.map((_, b) => [b, 700, 700]).filter(r => r[0] !== 5))
    })

    it('cancels a running query on abort and caps rows with maxRows', async () => {
      await assert.rejects(storage.query('test', 'SELECT * FROM readings', { maxRows: 100 }), (err: unknown) => isFedlakeError(err, 'SQL_TOO_MANY_ROWS'))
      assert.equal((await storage.query('test', 'SELECT * FROM readings LIMIT 100', { maxRows: 100 })).rows.length, 100)
      const aborted = new AbortController()
      aborted.abort()
      await assert.rejects(storage.query('test', 'SELECT 1', { signal: aborted.signal }), (err: unknown) => isFedlakeError(err, 'SQL_CANCELLED'))
      const controller = new AbortController()
      const slow = storage.query('test', `WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000000)
        SELECT count(*) FROM r, readings`, { signal: controller.signal })
      setTimeout(() => { controller.abort() }, 50)
      await assert.rejects(slow, (err: unknown) => isFedlakeError(err, 'SQL_CANCELLED'))
      assert.deepEqual((await storage.query('test', 'SELECT 41 + 1 AS x')).rows, [[42]])
    })

    it('streams a result in 2048-row batches; a consumer that stops pulling stops the query, and cancel frees its slot', async () => {
      const stream = await storage.openQuery('test', 'SELECT unnest(range(100000)) AS n')
      assert.deepEqual(stream.fields, [{ name: 'n', type: 'BIGINT' }])
      const iterator = stream[Symbol.asyncIterator]()
      const first = await iterator.next()
      assert.equal(first.done, false)
      assert.equal(first.value?.rowCount, 2048)
      assert.equal((first.value?.vectors[0]?.values as BigInt64Array)[2047], 2047n)
      stream.cancel()
      await assert.rejects(iterator.next(), (err: unknown) => isFedlakeError(err, 'SQL_CANCELLED'), 'a cancelled stream never ends as if complete')
      // every query slot is free again: as many streams as slots open and finish
      const streams = await Promise.all([1, 2, 3, 4].map(async () => await storage.openQuery('test', 'SELECT 1 AS x')))
      for (const s of streams) {
        let rows = 0
        for await (const batch of s) rows += batch.rowCount
        assert.equal(rows, 1)
      }
    })

    it('waits for a query slot within the caller\'s signal, and answers the deadline\'s own error', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fedlake-storage-slots-'))
      const small = createStorage({ dataDir: dir, maxConcurrentQueries: 1 })
      await small.start()
      try {
        await small.ensureTable(readings)
        await small.appendRows(readings, readingRows(10))
        // more batches than the worker sends ahead of its consumer, so the query is still running
        const held = await small.openQuery('test', 'SELECT unnest(range(100000)) AS n')
        const deadline = new AbortController()
        const waiting = small.openQuery('test', 'SELECT 1', { signal: deadline.signal })
        setTimeout(() => { deadline.abort(new FedlakeError('COMMAND_TIMEOUT', 'deadline')) }, 100)
        await assert.rejects(waiting, (err: unknown) => isFedlakeError(err, 'COMMAND_TIMEOUT'))
        held.cancel()
        assert.deepEqual((await small.query('test', 'SELECT 7 AS x')).rows, [[7]], 'the slot came back')
      } finally {
        await small.stop()
        rmSync(dir, { recursive: true, force: true })
      }
    })

    it('maps DuckDB errors to SQL error codes', async () => {
      await assert.rejects(storage.query('test', 'SELECT nosuchcol FROM readings'), (err: unknown) => isFedlakeError(err, 'SQL_UNKNOWN_COLUMN') && err.details.column === 'nosuchcol')
      await assert.rejects(storage.query('test', 'SELECT * FROM nosuch'), (err: unknown) => isFedlakeError(err, 'SQL_UNKNOWN_TABLE'))
      await assert.rejects(storage.query('nodb', 'SELECT 1'), (err: unknown) => isFedlakeError(err, 'SQL_UNKNOWN_TABLE'))
      await assert.rejects(storage.query('test', 'SELECT * FROM readings WHERE'), (err: unknown) => isFedlakeError(err, 'SQL_SYNTAX'))
      await assert.rejects(storage.query('test', "SELECT 'abc'::INTEGER"), (err: unknown) => isFedlakeError(err, 'SQL_INVALID'))
      await assert.rejects(storage.query('test', 'SELECT nosuchfn(1)'), (err: unknown) => isFedlakeError(err, 'SQL_INVALID'))
    })
  })

  describe(`DuckDB storage lifecycle (${kind})`, () => {
    it('keeps committed rows across a stop and a restart, and refuses a second open of the same file', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fedlake-storage-restart-'))
      try {
        const first = createStorage({ dataDir: dir })
        await assert.rejects(first.listDatabases(), (err: unknown) => isFedlakeError(err, 'STORAGE_NOT_STARTED'))
        await first.start()
        await first.ensureTable(readings)
        await first.appendRows(readings, readingRows(3000))
        const second = createStorage({ dataDir: dir })
        await second.start()
        await assert.rejects(second.query('test', 'SELECT count(*) FROM readings'), (err: unknown) => isFedlakeError(err, 'STORAGE_ALREADY_OPEN'))
        await second.stop()
        await first.stop()
        await assert.rejects(first.appendRows(readings, readingRows(1)), (err: unknown) => isFedlakeError(err, 'STORAGE_NOT_STARTED'))

        const reopened = createStorage({ dataDir: dir })
        await reopened.start()
        try {
          assert.deepEqual(await reopened.listDatabases(), ['test'])
          assert.deepEqual(await reopened.tableSchema('test', 'readings'), readings)
          const result = await reopened.query('test', 'SELECT count(*), max(ts) FROM readings')
          assert.deepEqual(result.rows, [[3000, '2025-01-02 03:04:05.126455']])
          await reopened.appendRows(readings, readingRows(1, 3000))
          assert.equal((await reopened.query('test', 'SELECT count(*) FROM readings')).rows[0]?.[0], 3001)
        } finally {
          await reopened.stop()
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })

  describe(`DuckDB storage stop (${kind})`, () => {
    it('lets queued appends commit, interrupts running queries, then closes', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fedlake-storage-stop-'))
      try {
        const storage = createStorage({ dataDir: dir })
        await storage.start()
        await storage.ensureTable(readings)
        const appends = [storage.appendRows(readings, readingRows(3000)), storage.appendRows(readings, readingRows(10, 3000))]
        const slow = assert.rejects(storage.query('test', `WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000000)
          SELECT count(*) FROM r`), (err: unknown) => isFedlakeError(err, 'SQL_CANCELLED'))
        const stopped = storage.stop()
        await Promise.all(appends)
        await slow
        await stopped
        const reopened = createStorage({ dataDir: dir })
        await reopened.start()
        assert.deepEqual((await reopened.query('test', 'SELECT count(*) FROM readings')).rows, [[3010]])
        await reopened.stop()
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
}

describe('DuckDB storage in a worker thread', () => {
  it('guards a database file across threads, forwards its logs and takes column batches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedlake-storage-worker-'))
    const lines: Array<Record<string, unknown>> = []
    const logger = createLogger({ level: 'debug', component: 'op', sink: line => { lines.push(JSON.parse(line) as Record<string, unknown>) } })
    const threaded = createThreadedDuckDbStorage({ dataDir: dir, logger })
    const local = createDuckDbStorage({ dataDir: dir })
    try {
      await threaded.start()
      await local.start()
      await threaded.ensureTable(readings)
      await assert.rejects(local.query('test', 'SELECT 1'), (err: unknown) => isFedlakeError(err, 'STORAGE_ALREADY_OPEN'))
      const builder = createColumnBatchBuilder(readings.columns.map(c => c.type))
      for (const row of readingRows(3000)) builder.add(row)
      await threaded.appendColumns(readings, builder.build())
      assert.deepEqual((await threaded.query('test', 'SELECT count(*), count(DISTINCT device), sum(pid) FROM readings')).rows, [[3000, 3, 1_498_500]])
      assert.ok(lines.some(l => l.msg === 'database opened' && l.component === 'op.storage' && l.dbms === 'test'), 'worker log lines reach the logger')
      await threaded.stop()
      // the worker released the file: this thread may open it now
      assert.deepEqual((await local.query('test', 'SELECT count(*) FROM readings')).rows, [[3000]])
      const second = createThreadedDuckDbStorage({ dataDir: dir })
      await second.start()
      try {
        await assert.rejects(second.listTables('test'), (err: unknown) => isFedlakeError(err, 'STORAGE_ALREADY_OPEN'))
      } finally {
        await second.stop()
      }
    } finally {
      await threaded.stop()
      await local.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('group commit', () => {
  it('commits appends that queue up together, and retries a failed group one by one', async () => {
    const queue = new KeyedQueue()
    const attempts: unknown[][] = []
    const committed: unknown[][] = []
    const committer = new GroupCommitter(queue, async group => {
      const values = group.map(r => columnBatchRows(r.batch)[0]?.[0])
      attempts.push(values)
      await new Promise(resolve => setImmediate(resolve))
      if (values.includes('bad')) throw new Error('bad batch')
      committed.push(values)
    }, 1000)
    const schema: TableSchema = { dbms: 'd', table: 't', columns: [{ name: 'a', type: 'BIGINT' }] }
    const calls = [1, 2, 3, 'bad', 5].map(v => committer.submit('d.t', { schema, batch: columnBatchFromRows(['BIGINT'], [[v]]) }))
    const settled = await Promise.allSettled(calls)
    assert.deepEqual(settled.map(s => s.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    assert.deepEqual(attempts, [[1, 2, 3, 'bad', 5], [1], [2], [3], ['bad'], [5]])
    assert.deepEqual(committed, [[1], [2], [3], [5]])

    // appends arriving while a transaction runs wait for it and then share the next one
    attempts.length = 0
    const first = committer.submit('d.t', { schema, batch: columnBatchFromRows(['BIGINT'], [[6]]) })
    await new Promise(resolve => setImmediate(resolve))
    const later = [7, 8].map(v => committer.submit('d.t', { schema, batch: columnBatchFromRows(['BIGINT'], [[v]]) }))
    await Promise.all([first, ...later])
    assert.deepEqual(attempts, [[6], [7, 8]])
  })

  it('never puts more than the row cap in one group (a bigger single call still goes alone)', async () => {
    const queue = new KeyedQueue()
    const groups: number[][] = []
    const committer = new GroupCommitter(queue, async group => { groups.push(group.map(r => r.batch.rowCount)) }, 10)
    const schema: TableSchema = { dbms: 'd', table: 't', columns: [{ name: 'a', type: 'BIGINT' }] }
    await Promise.all([4, 4, 4, 20, 1].map(n => committer.submit('d.t', { schema, batch: columnBatchFromRows(['BIGINT'], Array.from({ length: n }, () => [1])) })))
    assert.deepEqual(groups, [[4, 4], [4], [20], [1]])
  })
})

describe('transaction statements without a spinning thread', () => {
  it('commits (also when the commit checkpoints), rolls back, and rejects with DuckDB\'s error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedlake-txn-'))
    // a tiny WAL threshold: every COMMIT below also checkpoints, which DuckDB's own thread may run
    const instance = await DuckDBInstance.create(join(dir, 't.duckdb'), lockedDownOptions({ checkpointThreshold: '1KB' }))
    const writer = await instance.connect()
    const reader = await instance.connect()
    const count = async (): Promise<unknown> => (await reader.runAndReadAll('SELECT count(*)::INTEGER FROM t')).getRows()[0]?.[0]
    try {
      await writer.run('CREATE TABLE t (a VARCHAR)')
      for (let i = 0; i < 20; i++) {
        await runStatementWithoutSpinning(writer, 'BEGIN TRANSACTION')
        await writer.run(`INSERT INTO t SELECT 'row ' || range FROM range(${500})`)
        await runStatementWithoutSpinning(writer, 'COMMIT')
      }
      assert.equal(await count(), 10_000)
      await runStatementWithoutSpinning(writer, 'BEGIN TRANSACTION')
      await writer.run("INSERT INTO t VALUES ('rolled back')")
      await runStatementWithoutSpinning(writer, 'ROLLBACK')
      assert.equal(await count(), 10_000)
      await assert.rejects(runStatementWithoutSpinning(writer, 'COMMIT'), /no transaction is active/i)
    } finally {
      writer.closeSync()
      reader.closeSync()
      instance.closeSync()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('a storage worker started early', () => {
  it('is taken by the first storage started, which then works as usual', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedlake-early-'))
    startStorageWorkerEarly()
    const storage = createThreadedDuckDbStorage({ dataDir: dir })
    try {
      await storage.start()
      assert.equal(takeEarlyStorageWorker(), undefined, 'the storage took the early worker')
      await storage.ensureTable(readings)
      assert.deepEqual((await storage.listTables('test')).map(t => t.table), ['readings'])
    } finally {
      await storage.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
