/**
 * Rows waiting for one table. A single append loop per table keeps rows in arrival order:
 *
 *   add() ──> pending ──(batchRows reached | oldest row flushIntervalMs old | no row for idleFlushMs | flush())──> append
 *                ^                                                                     │ fails
 *                └──────────── batch put back in front, retried with backoff ──────────┘
 *
 * While one append is in flight new rows gather in `pending`, so under load the batches grow
 * to the append latency (group commit) up to maxAppendRows (which the pipeline keeps at a fraction of a
 * second of commits, so one commit never holds much). When rows stop coming (the end of a burst)
 * what is pending is appended after idleFlushMs instead of waiting out flushIntervalMs.
 *
 * Pending rows are kept as column batches (storage/column-batch.ts), built as rows arrive: a row
 * array is garbage as soon as it is added, instead of surviving until its flush (which made the
 * garbage collector a large share of ingest), and the batch goes to storage as it is.
 */
import { delay } from '@fedlake/core'
import type { TableSchema } from '@fedlake/core'
import { columnBatchRows, createColumnBatchBuilder } from '../storage/index.js'
import type { ColumnBatch } from '../storage/index.js'
import type { IngestRow, IngestSink } from './sink.js'

export interface TableBufferEvents {
  /** ensureTable returned true (this call created the table). */
  created(schema: TableSchema): void
  /** `ms`: how long the append took, from hand-over to commit. */
  committed(rows: number, ms: number): void
  /** Rows that will never be stored (abandoned at stop). */
  dropped(rows: number, schema: TableSchema): void
  appendFailed(err: unknown, schema: TableSchema, attempt: number): void
  recovered(schema: TableSchema, failures: number): void
}

export interface TableBufferInit {
  readonly schema: TableSchema
  readonly sink: IngestSink
  readonly events: TableBufferEvents
  /** @default 8192 */
  readonly batchRows?: number
  /** @default 1000 */
  readonly flushIntervalMs?: number
  /** Pending rows are appended once no row has been added for this long (ms); 0 disables. @default 50 */
  readonly idleFlushMs?: number
  /** Largest single append, or a function giving it as it changes (the pipeline follows the commit rate). @default 4 * batchRows */
  readonly maxAppendRows?: number | (() => number)
  /** @default 100 */
  readonly retryInitialMs?: number
  /** @default 5000 */
  readonly retryMaxMs?: number
}

export interface TableBuffer {
  readonly schema: TableSchema
  /** Rows not yet committed (pending and in flight). */
  readonly buffered: number
  readonly committed: number
  /** Rows added since the buffer was created. */
  readonly received: number
  /** Epoch ms at which the oldest row not yet committed arrived; undefined when every row is committed. */
  readonly oldestBufferedAt: number | undefined
  add(row: IngestRow): void
  /** Resolves once every row added before the call is committed (or dropped by abandon()). */
  flush(): Promise<void>
  /** Gives up: drops what is pending, stops retrying; returns the number of rows dropped. */
  abandon(): number
}

export function createTableBuffer (init: TableBufferInit): TableBuffer {
  const { schema, sink, events } = init
  const batchRows = init.batchRows ?? 8192
  const flushIntervalMs = init.flushIntervalMs ?? 1000
  const idleFlushMs = init.idleFlushMs ?? 50
  const givenMaxAppendRows = init.maxAppendRows ?? 4 * batchRows
  const maxAppendRows = typeof givenMaxAppendRows === 'function'
    ? () => Math.max(1, givenMaxAppendRows())
    : () => Math.max(1, givenMaxAppendRows)
  const retryInitialMs = init.retryInitialMs ?? 100
  const retryMaxMs = init.retryMaxMs ?? 5000
  const types = schema.columns.map(c => c.type)

  /** Full batches (maxAppendRows each, or put back after a failure), oldest first, then `open`. */
  let sealed: ColumnBatch[] = []
  /** When the first row of each sealed batch arrived (the ingest lag reads the oldest). */
  let sealedSince: number[] = []
  let open = createColumnBatchBuilder(types, Math.min(batchRows, maxAppendRows()))
  let openSince = 0
  let inFlightSince = 0
  /** Rows in `sealed` and `open`. */
  let pending = 0
  /** When the oldest pending row arrived; 0 = due now (after a failure or a flush request). */
  let pendingSince = 0
  /** When the newest row arrived. */
  let lastAddAt = 0
  let inFlight = 0
  let received = 0
  /** Rows committed or dropped, in arrival order: row n is settled when settled > n. */
  let settled = 0
  let committed = 0
  let forceUntil = 0
  let ensured = false
  let abandoned = false
  let running = false
  let timer: NodeJS.Timeout | undefined
  let failures = 0
  let retryDelay = retryInitialMs
  let retryAbort = new AbortController()
  const waiters: Array<{ target: number, resolve: () => void }> = []

  const settle = (rows: number): void => {
    settled += rows
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i] as { target: number, resolve: () => void }
      if (w.target <= settled) { waiters.splice(i, 1); w.resolve() }
    }
  }

  const idle = (now: number): boolean => idleFlushMs > 0 && now - lastAddAt >= idleFlushMs

  const due = (): boolean => {
    if (pending === 0 || abandoned) return false
    if (pending >= batchRows || settled + inFlight < forceUntil) return true
    const now = Date.now()
    return now - pendingSince >= flushIntervalMs || idle(now)
  }

  /** The next time pending rows become due by age or by idleness. */
  const dueAt = (): number => {
    const byAge = pendingSince + flushIntervalMs
    return idleFlushMs > 0 ? Math.min(byAge, lastAddAt + idleFlushMs) : byAge
  }

  // Armed once per quiet period, not per row: when it fires early (rows kept coming) it re-arms for the new due time.
  const armTimer = (): void => {
    if (timer !== undefined || pending === 0 || abandoned || running) return
    timer = setTimeout(onTimer, Math.max(0, dueAt() - Date.now()))
    timer.unref()
  }

  function onTimer (): void {
    timer = undefined
    if (due()) kick()
    else armTimer()
  }

  /** The oldest pending rows as one batch (at most maxAppendRows, unless a failed batch is put back whole). */
  const takeBatch = (): ColumnBatch => {
    const fromSealed = sealed.shift()
    inFlightSince = fromSealed === undefined ? openSince : sealedSince.shift() ?? openSince
    const batch = fromSealed ?? open.build()
    pending -= batch.rowCount
    return batch
  }

  const appendOnce = async (batch: ColumnBatch): Promise<void> => {
    if (!ensured) {
      const created = await sink.ensureTable(schema)
      ensured = true
      if (created) events.created(schema)
    }
    if (sink.appendColumns !== undefined) await sink.appendColumns(schema, batch)
    else await sink.appendRows(schema, columnBatchRows(batch))
  }

  const run = async (): Promise<void> => {
    while (due()) {
      const batch = takeBatch()
      if (pending > 0) pendingSince = Date.now()
      inFlight = batch.rowCount
      const handedAt = performance.now()
      try {
        await appendOnce(batch)
        inFlight = 0
        committed += batch.rowCount
        events.committed(batch.rowCount, performance.now() - handedAt)
        if (failures > 0) events.recovered(schema, failures)
        failures = 0
        retryDelay = retryInitialMs
        settle(batch.rowCount)
      } catch (err) {
        inFlight = 0
        if (abandoned) {
          events.dropped(batch.rowCount, schema)
          settle(batch.rowCount)
          return
        }
        sealed.unshift(batch)
        sealedSince.unshift(inFlightSince)
        pending += batch.rowCount
        pendingSince = 0
        failures++
        events.appendFailed(err, schema, failures)
        try { await delay(retryDelay, retryAbort.signal) } catch { return }
        retryDelay = Math.min(retryDelay * 2, retryMaxMs)
      }
    }
  }

  function kick (): void {
    if (running) return
    running = true
    void run().finally(() => {
      running = false
      if (due()) kick()
      else armTimer()
    })
  }

  return {
    schema,
    get buffered () { return pending + inFlight },
    get committed () { return committed },
    get received () { return received },
    get oldestBufferedAt () {
      if (inFlight > 0) return inFlightSince
      if (sealedSince.length > 0) return sealedSince[0]
      return open.rowCount > 0 ? openSince : undefined
    },
    add (row) {
      const now = Date.now()
      if (pending === 0) pendingSince = now
      lastAddAt = now
      if (open.rowCount === 0) openSince = now
      open.add(row)
      pending++
      received++
      if (open.rowCount >= maxAppendRows()) { sealed.push(open.build()); sealedSince.push(openSince) }
      if (pending >= batchRows) kick()
      else armTimer()
    },
    flush () {
      const target = received
      if (settled >= target) return Promise.resolve()
      forceUntil = Math.max(forceUntil, target)
      const done = new Promise<void>(resolve => { waiters.push({ target, resolve }) })
      kick()
      return done
    },
    abandon () {
      abandoned = true
      if (timer !== undefined) { clearTimeout(timer); timer = undefined }
      retryAbort.abort()
      retryAbort = new AbortController()
      const dropped = pending
      sealed = []
      sealedSince = []
      open = createColumnBatchBuilder(types, 0)
      pending = 0
      if (dropped > 0) events.dropped(dropped, schema)
      settle(dropped)
      return dropped
    }
  }
}
