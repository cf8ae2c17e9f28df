import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger, waitFor } from '@fedlake/core'
import type { TableSchema } from '@fedlake/core'
import { createIngestPipeline } from '../src/ingest/index.js'
import { createCommitRate } from '../src/ingest/commit-rate.js'
import type { IngestPipelineInit, IngestRow, IngestSink } from '../src/ingest/index.js'
import { rejectsTableSchema } from '../src/mapping/index.js'
import { columnBatchRows } from '../src/storage/index.js'
import type { ColumnBatch } from '../src/storage/index.js'

/** In-memory stand-in for the operator storage (ensureTable + appendRows). */
class FakeSink implements IngestSink {
  readonly tables = new Map<string, IngestRow[]>()
  readonly appends: Array<{ table: string, rows: number }> = []
  ensureCalls = 0
  /** Appends to fail before succeeding. */
  failNext = 0
  /** While set, appends wait for it. */
  gate: Promise<void> | undefined

  async ensureTable (schema: TableSchema): Promise<boolean> {
    this.ensureCalls++
    const key = `${schema.dbms}.${schema.table}`
    if (this.tables.has(key)) return false
    this.tables.set(key, [])
    return true
  }

  async appendRows (schema: TableSchema, rows: readonly IngestRow[]): Promise<void> {
    if (this.gate !== undefined) await this.gate
    if (this.failNext > 0) {
      this.failNext--
      throw new Error('disk full')
    }
    const key = `${schema.dbms}.${schema.table}`
    const table = this.tables.get(key)
    if (table === undefined) throw new Error(`no table ${key}`)
    table.push(...rows)
    this.appends.push({ table: key, rows: rows.length })
  }

  rows (key: string): IngestRow[] { return this.tables.get(key) ?? [] }
}

const EVENTS: TableSchema = { dbms: 'kubearmor', table: 'events', columns: [{ name: 'n', type: 'INTEGER' }, { name: 's', type: 'VARCHAR' }] }
const OTHER: TableSchema = { dbms: 'kubearmor', table: 'other', columns: [{ name: 'n', type: 'INTEGER' }] }

function pipelineWith (sink: FakeSink, init: Partial<IngestPipelineInit> = {}): ReturnType<typeof createIngestPipeline> {
  return createIngestPipeline({ sink, logger: silentLogger, batchRows: 10, flushIntervalMs: 60_000, idleFlushMs: 0, retryInitialMs: 5, retryMaxMs: 20, ...init })
}

const settleTicks = async (): Promise<void> => { for (let i = 0; i < 10; i++) await new Promise(resolve => setImmediate(resolve)) }

describe('ingest pipeline', () => {
  it('flushes a table when its buffer reaches batchRows, not before', async () => {
    const sink = new FakeSink()
    const created: string[] = []
    const pipeline = pipelineWith(sink, { onTableCreated: s => { created.push(`${s.dbms}.${s.table}`) } })
    await pipeline.start()
    for (let n = 0; n < 9; n++) assert.equal(pipeline.push(EVENTS, [n, `r${n}`]), true)
    await settleTicks()
    assert.equal(sink.rows('kubearmor.events').length, 0, 'below batchRows nothing is written')
    pipeline.push(EVENTS, [9, 'r9'])
    await waitFor(() => sink.rows('kubearmor.events').length === 10, { what: 'size flush' })
    assert.deepEqual(sink.rows('kubearmor.events').map(r => r[0]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.deepEqual(created, ['kubearmor.events'])
    const stats = pipeline.stats()
    assert.equal(stats.rowsReceived, 10)
    assert.equal(stats.rowsCommitted, 10)
    assert.equal(stats.rowsBuffered, 0)
    assert.equal(stats.flushes, 1)
    assert.equal(stats.tablesCreated, 1)
    await pipeline.stop()
  })

  it('flushes a partial buffer after flushIntervalMs', async () => {
    const sink = new FakeSink()
    const pipeline = pipelineWith(sink, { batchRows: 1000, flushIntervalMs: 60 })
    const started = Date.now()
    pipeline.push(EVENTS, [1, 'a'])
    pipeline.push(EVENTS, [2, 'b'])
    await waitFor(() => sink.rows('kubearmor.events').length === 2, { what: 'time flush' })
    assert.ok(Date.now() - started >= 50, 'not flushed before the interval')
    pipeline.push(EVENTS, [3, 'c'])
    await waitFor(() => sink.rows('kubearmor.events').length === 3, { what: 'second time flush' })
    assert.equal(sink.appends.length, 2)
    await pipeline.stop()
  })

  it('appends pending rows once no row has arrived for idleFlushMs, as one batch while rows keep coming', async () => {
    const sink = new FakeSink()
    const pipeline = pipelineWith(sink, { batchRows: 1000, idleFlushMs: 250 })
    // 20 rows 5 ms apart: never idle for 250 ms while they come, so they are appended together afterwards
    for (let n = 0; n < 20; n++) {
      pipeline.push(EVENTS, [n, 'a'])
      await new Promise(resolve => setTimeout(resolve, 5))
    }
    const lastPush = Date.now()
    await waitFor(() => sink.rows('kubearmor.events').length === 20, { what: 'idle flush', timeoutMs: 5000 })
    const waited = Date.now() - lastPush
    assert.deepEqual(sink.appends, [{ table: 'kubearmor.events', rows: 20 }])
    assert.ok(waited >= 200, `appended ${waited} ms after the last row, before the table was idle for 250 ms`)
    assert.ok(waited < 5000, 'appended long before flushIntervalMs (60 s)')
    await pipeline.stop()
  })

  it('idleFlushMs 0 disables the idle flush: rows wait for flushIntervalMs', async () => {
    const sink = new FakeSink()
    const pipeline = pipelineWith(sink, { batchRows: 1000, flushIntervalMs: 400, idleFlushMs: 0 })
    const started = Date.now()
    pipeline.push(EVENTS, [1, 'a'])
    await waitFor(() => sink.rows('kubearmor.events').length === 1, { what: 'interval flush' })
    assert.ok(Date.now() - started >= 390, 'flushed by the interval, not by idleness')
    await pipeline.stop()
  })

  it('stop() stores everything received, across tables, and later pushes are dropped and counted', async () => {
    const sink = new FakeSink()
    const pipeline = pipelineWith(sink, { batchRows: 1000 })
    for (let n = 0; n < 123; n++) pipeline.push(n % 3 === 0 ? OTHER : EVENTS, n % 3 === 0 ? [n] : [n, 'x'])
    pipeline.reject({ source: '127.0.0.1:1', stream: 'logs', error: 'MAPPING_FAILED: bad', raw: '{"PID":"x"}' })
    await pipeline.stop()
    assert.equal(sink.rows('kubearmor.events').length, 82)
    assert.equal(sink.rows('kubearmor.other').length, 41)
    const rejects = sink.rows('kubearmor.rejects')
    assert.equal(rejects.length, 1)
    assert.deepEqual(rejects[0]?.slice(1), ['127.0.0.1:1', 'logs', 'MAPPING_FAILED: bad', '{"PID":"x"}'])
    assert.equal(typeof rejects[0]?.[0], 'number')
    assert.equal(pipeline.push(EVENTS, [999, 'late']), false)
    const stats = pipeline.stats()
    assert.equal(stats.rowsCommitted, 124)
    assert.equal(stats.rowsRejected, 1)
    assert.equal(stats.rowsDropped, 1)
  })

  it('keeps rows of a failing append and retries them with backoff, in order, without duplicates', async () => {
    const sink = new FakeSink()
    sink.failNext = 3
    const pipeline = pipelineWith(sink)
    for (let n = 0; n < 25; n++) pipeline.push(EVENTS, [n, 's'])
    await waitFor(() => pipeline.stats().appendFailures >= 3, { what: 'failures' })
    assert.match(pipeline.stats().lastError ?? '', /kubearmor\.events: disk full/)
    await pipeline.flush()
    assert.deepEqual(sink.rows('kubearmor.events').map(r => r[0]), Array.from({ length: 25 }, (_v, i) => i))
    const stats = pipeline.stats()
    assert.equal(stats.appendFailures, 3)
    assert.equal(stats.rowsCommitted, 25)
    assert.equal(stats.rowsDropped, 0)
    assert.equal(sink.ensureCalls, 1, 'ensureTable once per table')
    await pipeline.stop()
  })

  it('flush() resolves once earlier rows are committed and can be aborted', async () => {
    const sink = new FakeSink()
    const pipeline = pipelineWith(sink, { batchRows: 1000 })
    pipeline.push(EVENTS, [1, 'a'])
    await pipeline.flush()
    assert.equal(sink.rows('kubearmor.events').length, 1)
    let open: () => void = () => {}
    sink.gate = new Promise(resolve => { open = resolve })
    pipeline.push(EVENTS, [2, 'b'])
    const controller = new AbortController()
    const pending = pipeline.flush({ signal: controller.signal })
    controller.abort(new Error('client gone'))
    await assert.rejects(pending, /client gone/)
    sink.gate = undefined
    open()
    await pipeline.flush()
    assert.equal(sink.rows('kubearmor.events').length, 2)
    await pipeline.stop()
  })

  it('signals backpressure at the high-water mark, drains, and caps memory by dropping and counting', async () => {
    const sink = new FakeSink()
    let open: () => void = () => {}
    sink.gate = new Promise(resolve => { open = resolve })
    const pipeline = pipelineWith(sink, { batchRows: 4, highWaterRows: 6, maxBufferedRows: 8 })
    let drains = 0
    pipeline.onDrain(() => { drains++ })
    const pressureChanges: boolean[] = []
    pipeline.onPressureChange(p => { pressureChanges.push(p) })
    const results: boolean[] = []
    for (let n = 0; n < 4; n++) pipeline.push(EVENTS, [n, 's'])
    assert.equal(pipeline.underPressure(), false, 'below 3/4 of the mark (6 rows)')
    for (let n = 4; n < 10; n++) results.push(pipeline.push(EVENTS, [n, 's']))
    results.unshift(true, true, true, true)
    assert.deepEqual(results, [true, true, true, true, true, false, false, false, false, false])
    assert.equal(pipeline.stats().rowsBuffered, 8)
    assert.equal(pipeline.stats().rowsDropped, 2)
    assert.equal(pipeline.stats().sourcePauses, 1, 'one pause, however many pushes it refused')
    assert.equal(pipeline.underPressure(), true, 'at 3/4 of the mark and beyond, new queries wait')
    assert.deepEqual(pressureChanges, [true])
    sink.gate = undefined
    open()
    await pipeline.flush()
    assert.ok(drains >= 1, 'drain listeners called')
    const { sourcePauses, sourcePausedMs } = pipeline.stats()
    assert.equal(sourcePauses, 1)
    assert.ok(sourcePausedMs >= 0 && sourcePausedMs === pipeline.stats().sourcePausedMs, 'a finished pause stops counting')
    assert.equal(pipeline.underPressure(), false, 'committed: the pressure is over')
    assert.deepEqual(pressureChanges, [true, false])
    assert.deepEqual(sink.rows('kubearmor.events').map(r => r[0]), [0, 1, 2, 3, 4, 5, 6, 7])
    assert.equal(pipeline.push(EVENTS, [10, 's']), true)
    await pipeline.stop()
  })

  it('puts the high-water mark at highWaterMs of commits at the measured rate, within its floor and the memory cap', async () => {
    const sink = new FakeSink()
    let clock = 1_000_000
    const pipeline = pipelineWith(sink, { batchRows: 10, highWaterMs: 2000, maxBufferedRows: 100_000, now: () => clock })
    assert.equal(pipeline.stats().highWaterRows, 10, 'before any commit: batchRows')
    // 500 rows committed per 100 ms of the clock for 3 s: 5,000 rows/s
    for (let step = 0; step < 30; step++) {
      for (let n = 0; n < 500; n++) pipeline.push(EVENTS, [n, 's'])
      await pipeline.flush()
      clock += 100
    }
    const rate = pipeline.stats().commitRowsPerSecond
    assert.ok(rate >= 4500 && rate <= 5500, `measured ${rate} rows/s`)
    const mark = pipeline.stats().highWaterRows
    assert.ok(mark >= 9000 && mark <= 11_000, `2 s at ~5,000 rows/s, got ${mark}`)
    // with the sink held, pushes pause the source exactly at the mark
    let open: () => void = () => {}
    sink.gate = new Promise(resolve => { open = resolve })
    let accepted = 0
    while (pipeline.push(EVENTS, [accepted, 's'])) accepted++
    assert.equal(pipeline.stats().rowsBuffered, mark)
    sink.gate = undefined
    open()
    await pipeline.flush()
    await pipeline.stop()

    const capped = pipelineWith(new FakeSink(), { batchRows: 10, highWaterMs: 2000, maxBufferedRows: 2048, now: () => clock })
    for (let step = 0; step < 10; step++) {
      for (let n = 0; n < 500; n++) capped.push(EVENTS, [n, 's'])
      await capped.flush()
      clock += 100
    }
    assert.equal(capped.stats().highWaterRows, 1024, 'at most half the memory cap')
    await capped.stop()
  })

  it('appends what is pending as soon as the sources are paused, without waiting for a timer', async () => {
    const sink = new FakeSink()
    const pipeline = pipelineWith(sink, { batchRows: 100, highWaterRows: 30, maxBufferedRows: 1000, flushIntervalMs: 60_000, idleFlushMs: 0 })
    let drained = false
    pipeline.onDrain(() => { drained = true })
    let n = 0
    while (pipeline.push(EVENTS, [n, 's'])) n++
    assert.equal(n, 29, 'paused at the 30th row')
    await waitFor(() => drained, { what: 'the drain after an append no timer asked for', timeoutMs: 2000 })
    assert.equal(sink.rows('kubearmor.events').length, 30)
    await pipeline.stop()
  })

  it('sizes appends to about commitTargetMs of commits (between batchRows and 4 × batchRows)', async () => {
    const sink = new FakeSink()
    let clock = 1_000_000
    const pipeline = pipelineWith(sink, { batchRows: 100, highWaterMs: 60_000, maxBufferedRows: 1_000_000, commitTargetMs: 100, now: () => clock })
    for (let step = 0; step < 20; step++) {
      for (let n = 0; n < 2000; n++) pipeline.push(EVENTS, [n, 's'])
      await pipeline.flush()
      clock += 1000
    }
    // 2,000 rows/s: 100 ms of commits is 200 rows, so a held sink gets 200-row appends
    let open: () => void = () => {}
    sink.gate = new Promise(resolve => { open = resolve })
    sink.appends.length = 0
    for (let n = 0; n < 1000; n++) pipeline.push(EVENTS, [n, 's'])
    sink.gate = undefined
    open()
    await pipeline.flush()
    const sizes = sink.appends.map(a => a.rows)
    assert.ok(sizes.length >= 4 && sizes.every(rows => rows <= 200), `appends of ${sizes.join(', ')} rows`)
    await pipeline.stop()
  })

  it('stop() gives up after stopTimeoutMs when storage keeps failing, counting the dropped rows', async () => {
    const sink = new FakeSink()
    sink.failNext = Number.POSITIVE_INFINITY
    const pipeline = pipelineWith(sink, { stopTimeoutMs: 100 })
    for (let n = 0; n < 5; n++) pipeline.push(EVENTS, [n, 's'])
    const started = Date.now()
    await pipeline.stop()
    assert.ok(Date.now() - started < 2000)
    const stats = pipeline.stats()
    assert.equal(stats.rowsCommitted, 0)
    assert.equal(stats.rowsDropped, 5)
    assert.equal(stats.rowsBuffered, 0)
    assert.ok(stats.appendFailures >= 1)
  })

  it('reports per table what it received, committed, dropped, and how old its oldest uncommitted row is', async () => {
    const sink = new FakeSink()
    let open: () => void = () => {}
    sink.gate = new Promise(resolve => { open = resolve })
    const pipeline = pipelineWith(sink, { batchRows: 2, highWaterRows: 6, maxBufferedRows: 6 })
    const before = Date.now()
    for (let n = 0; n < 5; n++) pipeline.push(EVENTS, [n, 's'])
    pipeline.push(OTHER, [1])
    pipeline.push(OTHER, [2]) // over maxBufferedRows: dropped, counted for kubearmor.other
    pipeline.push(EVENTS, [1]) // wrong width: dropped, counted for kubearmor.events
    const held = new Map(pipeline.stats().tables.map(t => [t.table, t]))
    assert.equal(held.get('events')?.received, 5)
    assert.equal(held.get('events')?.dropped, 1)
    assert.equal(held.get('events')?.committed, 0)
    assert.equal(held.get('other')?.received, 1)
    assert.equal(held.get('other')?.dropped, 1)
    const oldest = held.get('events')?.oldestBufferedAt
    assert.ok(oldest !== null && oldest !== undefined && oldest >= before && oldest <= Date.now(), 'the oldest waiting row is dated')
    sink.gate = undefined
    open()
    await pipeline.flush()
    const done = new Map(pipeline.stats().tables.map(t => [t.table, t]))
    assert.equal(done.get('events')?.committed, 5)
    assert.equal(done.get('events')?.buffered, 0)
    assert.equal(done.get('events')?.oldestBufferedAt, null, 'nothing waits once every row is committed')
    await pipeline.stop()
  })

  it('drops and counts a row whose width does not match its schema instead of failing its whole batch', async () => {
    const sink = new FakeSink()
    const pipeline = pipelineWith(sink)
    assert.equal(pipeline.push(EVENTS, [1]), false)
    assert.equal(pipeline.push(EVENTS, [2, 'b', 'extra']), false)
    assert.equal(pipeline.push(EVENTS, [3, 'c']), true)
    await pipeline.flush()
    assert.deepEqual(sink.rows('kubearmor.events'), [[3, 'c']])
    assert.equal(pipeline.stats().rowsDropped, 2)
    assert.equal(pipeline.stats().rowsReceived, 1)
    await pipeline.stop()
  })

  it('hands a sink with appendColumns its column batches as they are, in order', async () => {
    const batches: ColumnBatch[] = []
    const sink: IngestSink = {
      ensureTable: async () => true,
      appendRows: async () => { throw new Error('appendRows must not be used') },
      appendColumns: async (_schema, batch) => { batches.push(batch) }
    }
    const pipeline = createIngestPipeline({ sink, logger: silentLogger, batchRows: 4, flushIntervalMs: 60_000 })
    for (let n = 0; n < 10; n++) pipeline.push(EVENTS, [n, n % 2 === 0 ? 'even' : 'odd'])
    await pipeline.flush()
    assert.deepEqual(batches.flatMap(b => columnBatchRows(b)).map(r => r[0]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.ok(batches.every(b => b.columns[1]?.kind === 'strings' && b.columns[1].dict.length <= 2))
    assert.equal(pipeline.stats().rowsCommitted, 10)
    await pipeline.stop()
  })

  it('ensureTable errors are retried like append errors', async () => {
    const sink = new FakeSink()
    let failures = 2
    const ensure = sink.ensureTable.bind(sink)
    sink.ensureTable = async (schema) => {
      if (failures-- > 0) throw new Error('catalog locked')
      return await ensure(schema)
    }
    const pipeline = pipelineWith(sink, { rejectsTable: rejectsTableSchema('edge') })
    pipeline.reject({ source: 's', stream: 'alerts', error: 'e', raw: 'r' })
    await pipeline.flush()
    assert.equal(sink.rows('edge.rejects').length, 1)
    assert.equal(pipeline.stats().appendFailures, 2)
    await pipeline.stop()
  })
})

describe('commit rate', () => {
  it('averages rows committed over the window', () => {
    const rate = createCommitRate({ windowMs: 10_000, bucketMs: 250 })
    for (let t = 0; t < 20_000; t += 100) rate.record(300, t)
    assert.equal(Math.round(rate.rowsPerSecond(19_950)), 3000)
  })

  it('measures a burst after a quiet spell over the time since it began, not the whole window', () => {
    const rate = createCommitRate({ windowMs: 10_000, bucketMs: 250, minSpanMs: 1000 })
    rate.record(100, 0)
    for (let t = 60_000; t < 62_000; t += 100) rate.record(5000, t)
    const measured = rate.rowsPerSecond(62_000)
    assert.ok(measured > 45_000 && measured <= 50_000, `50,000 rows/s over 2 s, measured ${measured}`)
  })

  it('counts a single early commit over at least minSpanMs, and reads 0 once a window passes without commits', () => {
    const rate = createCommitRate({ windowMs: 10_000, minSpanMs: 1000 })
    assert.equal(rate.rowsPerSecond(0), 0)
    rate.record(8000, 5)
    assert.equal(rate.rowsPerSecond(50), 8000)
    assert.equal(rate.rowsPerSecond(10_005), 0)
  })
})
