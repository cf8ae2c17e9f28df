/**
 * The ingest pipeline: rows from any source (KubeArmor connector, rejects) are buffered per table
 * and appended to storage in batches (see table-buffer.ts for one table's loop).
 *
 * What is buffered is what a kill -9 loses (KubeArmor does not replay), so the buffer is bounded in time:
 * at the high-water mark, `highWaterMs` of commits at the measured commit rate (commit-rate.ts), push()
 * returns false and sources should pause (the connector pauses its gRPC streams, so KubeArmor's own
 * per-subscriber queue absorbs or drops, as it does for any slow client) until a drain listener fires
 * (buffered below 7/8 of the mark: a paused source, whose own queue is small, is resumed as soon as the first
 * commit after a stall makes room). Appends are sized to about `commitTargetMs` of commits, so
 * no single commit holds much more than that. Rows pushed beyond `maxBufferedRows` (the memory cap) are
 * dropped and counted in `rowsDropped`; a sink that keeps failing therefore costs at most that much memory.
 */
import { FedlakeError } from '@fedlake/core'
import type { AbortOptions, Logger, Startable, TableCreatedListener, TableSchema } from '@fedlake/core'
import { INGEST_ERRORS } from '../errors-ingest.js'
import { rejectRow, rejectsTableSchema } from '../mapping/rejects.js'
import type { RejectedRecord } from '../mapping/rejects.js'
import type { IngestRow, IngestSink } from './sink.js'
import { createCommitRate } from './commit-rate.js'
import { createTableBuffer } from './table-buffer.js'
import type { TableBuffer } from './table-buffer.js'

export interface IngestPipelineInit {
  readonly sink: IngestSink
  readonly logger: Logger
  /** Rows per table that trigger a flush. @default 8192 */
  readonly batchRows?: number
  /** A non-empty buffer is flushed at least this often (ms). @default 1000 */
  readonly flushIntervalMs?: number
  /** A table's pending rows are appended once no row has arrived for it for this long (ms); 0 disables. @default 50 */
  readonly idleFlushMs?: number
  /** Called once per table that ensureTable reports as newly created. */
  readonly onTableCreated?: TableCreatedListener
  /** Hard cap on buffered rows (all tables); rows beyond it are dropped and counted. @default 262144 (config ingest.maxBufferedRows) */
  readonly maxBufferedRows?: number
  /**
   * The high-water mark in time: push() returns false once the buffered rows are this many ms of commits at the
   * measured commit rate (at least batchRows, at most maxBufferedRows / 2). @default 1500 (config ingest.maxBufferedMs)
   */
  readonly highWaterMs?: number
  /** A fixed high-water mark in rows instead of highWaterMs (tests). */
  readonly highWaterRows?: number
  /** An append holds at most about this many ms of commits at the measured rate (between batchRows and 4 × batchRows rows). @default 250 */
  readonly commitTargetMs?: number
  /** Where reject() rows go. @default rejects table of dbms 'kubearmor' */
  readonly rejectsTable?: TableSchema
  /** First retry delay after a failed append; doubles up to retryMaxMs. @default 100 */
  readonly retryInitialMs?: number
  /** @default 5000 */
  readonly retryMaxMs?: number
  /** How long stop() keeps trying to store what is buffered before dropping it. @default 10000 */
  readonly stopTimeoutMs?: number
  /** The clock the commit rate is measured with (tests). @default Date.now */
  readonly now?: () => number
}

export interface TableIngestStats {
  readonly dbms: string
  readonly table: string
  readonly buffered: number
  readonly committed: number
  /** Rows accepted into the table's buffer. */
  readonly received: number
  /** Rows of this table not stored: refused at the memory cap, after stop, or abandoned at stop. */
  readonly dropped: number
  /** Epoch ms at which the oldest row not yet committed arrived (the ingest lag); null when all are committed. */
  readonly oldestBufferedAt: number | null
}

export interface IngestStats {
  /** Rows accepted into buffers (including rejects rows). */
  readonly rowsReceived: number
  readonly rowsCommitted: number
  /** Records that failed decoding or mapping (each became one rejects row). */
  readonly rowsRejected: number
  /** Rows not stored: memory cap reached, pushed after stop, or still failing at stop. */
  readonly rowsDropped: number
  readonly rowsBuffered: number
  /** Where push() starts returning false (sources pause), now. */
  readonly highWaterRows: number
  /** Beyond this, rows are dropped. */
  readonly maxBufferedRows: number
  /** Rows committed per second over the last 10 s (what highWaterRows and the append size follow). */
  readonly commitRowsPerSecond: number
  /** The longest append so far, from hand-over to commit (ms): a DuckDB checkpoint holds one for 1-2 s. */
  readonly longestAppendMs: number
  /** Times push() told the sources to pause (each pause of a KubeArmor source risks drops on KubeArmor's side). */
  readonly sourcePauses: number
  /** Time the sources were paused, in total (ms), including a pause in progress. */
  readonly sourcePausedMs: number
  /** Successful appends. */
  readonly flushes: number
  readonly appendFailures: number
  readonly tablesCreated: number
  readonly lastError: string | null
  readonly lastErrorAt: string | null
  readonly tables: readonly TableIngestStats[]
}

export interface IngestPipeline extends Startable {
  /** Buffers one row. False: at the high-water mark (pause the source) or the row was dropped. */
  push(schema: TableSchema, row: IngestRow): boolean
  pushRows(schema: TableSchema, rows: readonly IngestRow[]): boolean
  /** Records a record that failed decoding or mapping in the rejects table. */
  reject(rejected: RejectedRecord): boolean
  /** Called when buffered rows fall back below 7/8 of the high-water mark after push() returned false. */
  onDrain(listener: () => void): () => void
  /**
   * True from when the buffered rows reach 3/4 of the high-water mark until they fall to half of it: commits lag
   * behind, and the streams will pause (and KubeArmor drop) unless commits get the CPU. The operator starts no
   * new query meanwhile (operator-role.ts).
   */
  underPressure(): boolean
  /** Called whenever underPressure() changes; returns the unsubscribe function. */
  onPressureChange(listener: (underPressure: boolean) => void): () => void
  /** Resolves when every row pushed before the call is committed. Rejects only when aborted. */
  flush(options?: AbortOptions): Promise<void>
  stats(): IngestStats
}

/** Memory a buffered KubeArmor log row takes in the column batches (30 columns: typed arrays, dictionary ids). */
export const BUFFERED_ROW_BYTES = 160

const DROP_LOG_INTERVAL_MS = 10_000
const FAILURE_LOG_INTERVAL_MS = 10_000

export function createIngestPipeline (init: IngestPipelineInit): IngestPipeline {
  const logger = init.logger
  const maxBufferedRows = init.maxBufferedRows ?? 262_144
  const batchRows = init.batchRows ?? 8192
  const highWaterMs = init.highWaterMs ?? 1500
  const commitTargetMs = init.commitTargetMs ?? 250
  const fixedHighWater = init.highWaterRows === undefined ? undefined : Math.min(init.highWaterRows, maxBufferedRows)
  // one batch: below batchRows / highWaterMs rows per second (~5,500 at the defaults) the mark is in rows, not time
  const leastHighWater = Math.min(batchRows, Math.floor(maxBufferedRows / 2))
  const commitRate = createCommitRate()
  const now = init.now ?? Date.now
  const rejectsTable = init.rejectsTable ?? rejectsTableSchema('kubearmor')
  const stopTimeoutMs = init.stopTimeoutMs ?? 10_000

  const bySchema = new WeakMap<TableSchema, TableBuffer>()
  const byFingerprint = new Map<string, TableBuffer>()
  const drainListeners = new Set<() => void>()
  const listenerCalls = new Set<Promise<void>>()

  let stopped = false
  let needDrain = false
  let sourcePauses = 0
  let pausedMs = 0
  let pausedAt = 0
  let buffered = 0
  let received = 0
  let committed = 0
  let rejected = 0
  let dropped = 0
  let flushes = 0
  let appendFailures = 0
  let tablesCreated = 0
  let lastError: string | null = null
  let lastErrorAt: string | null = null
  let lastDropLog = 0
  let lastFailureLog = 0
  const droppedByTable = new Map<string, { dbms: string, table: string, rows: number }>()

  const countDropped = (schema: TableSchema, rows: number): void => {
    const key = `${schema.dbms}.${schema.table}`
    const entry = droppedByTable.get(key)
    if (entry === undefined) droppedByTable.set(key, { dbms: schema.dbms, table: schema.table, rows })
    else entry.rows += rows
  }

  let highWaterRows = fixedHighWater ?? leastHighWater
  let lowWaterRows = lowWaterOf(highWaterRows)
  let appendRows = batchRows
  let longestAppendMs = 0

  // The marks move with the rate, measured as commits land (a stalled commit does not shrink them meanwhile).
  const followRate = (rows: number): void => {
    const at = now()
    commitRate.record(rows, at)
    const rowsPerSecond = commitRate.rowsPerSecond(at)
    appendRows = clamp(Math.round(rowsPerSecond * commitTargetMs / 1000), batchRows, 4 * batchRows)
    if (fixedHighWater !== undefined) return
    highWaterRows = clamp(Math.round(rowsPerSecond * highWaterMs / 1000), leastHighWater, Math.floor(maxBufferedRows / 2))
    lowWaterRows = lowWaterOf(highWaterRows)
  }

  let pressured = false
  const pressureListeners = new Set<(underPressure: boolean) => void>()
  const setPressure = (value: boolean): void => {
    pressured = value
    for (const listener of [...pressureListeners]) {
      try { listener(value) } catch (err) { logger.warn('pressure listener failed', { err }) }
    }
  }

  const release = (rows: number): void => {
    buffered -= rows
    if (pressured && buffered <= highWaterRows / 2) setPressure(false)
    if (needDrain && buffered <= lowWaterRows) {
      needDrain = false
      pausedMs += now() - pausedAt
      for (const listener of [...drainListeners]) {
        try { listener() } catch (err) { logger.warn('drain listener failed', { err }) }
      }
    }
  }

  const events = {
    created (schema: TableSchema) {
      tablesCreated++
      logger.info('table created', { dbms: schema.dbms, table: schema.table })
      const listener = init.onTableCreated
      if (listener === undefined) return
      const call = Promise.resolve().then(() => listener(schema)).catch((err: unknown) => {
        logger.warn('onTableCreated listener failed', { dbms: schema.dbms, table: schema.table, err })
      })
      listenerCalls.add(call)
      void call.finally(() => listenerCalls.delete(call))
    },
    committed (rows: number, ms: number) {
      committed += rows
      flushes++
      longestAppendMs = Math.max(longestAppendMs, ms)
      followRate(rows)
      release(rows)
    },
    dropped (rows: number, schema: TableSchema) {
      dropped += rows
      countDropped(schema, rows)
      release(rows)
    },
    appendFailed (err: unknown, schema: TableSchema, attempt: number) {
      appendFailures++
      lastError = `${schema.dbms}.${schema.table}: ${err instanceof Error ? err.message : String(err)}`
      lastErrorAt = new Date().toISOString()
      const now = Date.now()
      if (attempt === 1 || now - lastFailureLog >= FAILURE_LOG_INTERVAL_MS) {
        lastFailureLog = now
        logger.warn('append failed; rows kept and retried', {
          code: INGEST_ERRORS.INGEST_APPEND_FAILED, dbms: schema.dbms, table: schema.table, attempt, buffered, err
        })
      }
    },
    recovered (schema: TableSchema, failures: number) {
      logger.info('append recovered', { dbms: schema.dbms, table: schema.table, failures })
    }
  }

  const bufferFor = (schema: TableSchema): TableBuffer => {
    let buffer = bySchema.get(schema)
    if (buffer !== undefined) return buffer
    // equal schemas share a buffer; the same table with other columns gets its own (storage adds columns)
    const fingerprint = `${schema.dbms}.${schema.table}(${schema.columns.map(c => `${c.name} ${c.type}`).join(',')})`
    buffer = byFingerprint.get(fingerprint)
    if (buffer === undefined) {
      buffer = createTableBuffer({
        schema,
        sink: init.sink,
        events,
        batchRows,
        maxAppendRows: () => appendRows,
        ...(init.flushIntervalMs !== undefined ? { flushIntervalMs: init.flushIntervalMs } : {}),
        ...(init.idleFlushMs !== undefined ? { idleFlushMs: init.idleFlushMs } : {}),
        ...(init.retryInitialMs !== undefined ? { retryInitialMs: init.retryInitialMs } : {}),
        ...(init.retryMaxMs !== undefined ? { retryMaxMs: init.retryMaxMs } : {})
      })
      byFingerprint.set(fingerprint, buffer)
    }
    bySchema.set(schema, buffer)
    return buffer
  }

  const refuse = (schema: TableSchema, rows: number, why: string): false => {
    dropped += rows
    countDropped(schema, rows)
    const now = Date.now()
    if (now - lastDropLog >= DROP_LOG_INTERVAL_MS) {
      lastDropLog = now
      logger.warn('rows dropped', { code: INGEST_ERRORS.INGEST_UNAVAILABLE, why, droppedTotal: dropped, buffered })
    }
    return false
  }

  // Paused sources add no rows, so nothing would become due by size or idleness: append what is pending now.
  const pauseSources = (): void => {
    if (needDrain) return
    needDrain = true
    sourcePauses++
    pausedAt = now()
    for (const b of byFingerprint.values()) void b.flush()
  }

  const push = (schema: TableSchema, row: IngestRow): boolean => {
    if (stopped) return refuse(schema, 1, 'pipeline stopped')
    // storage would refuse the whole batch holding such a row, again at every retry
    if (row.length !== schema.columns.length) return refuse(schema, 1, `a row of ${row.length} values for ${schema.dbms}.${schema.table} (${schema.columns.length} columns)`)
    if (buffered >= maxBufferedRows) { pauseSources(); return refuse(schema, 1, 'buffer cap reached') }
    buffered++
    if (!pressured && buffered >= highWaterRows * 3 / 4) setPressure(true)
    received++
    bufferFor(schema).add(row)
    if (buffered >= highWaterRows) { pauseSources(); return false }
    return true
  }

  const flushAll = async (options: AbortOptions = {}): Promise<void> => {
    const all = Promise.all([...byFingerprint.values()].map(async b => { await b.flush() })).then(() => undefined)
    const signal = options.signal
    if (signal === undefined) { await all; return }
    signal.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
      all.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
    })
  }

  return {
    async start () {},

    async stop () {
      if (stopped) return
      stopped = true
      try {
        await flushAll({ signal: AbortSignal.timeout(stopTimeoutMs) })
      } catch {
        let lost = 0
        for (const b of byFingerprint.values()) lost += b.abandon()
        logger.error('stop: buffered rows could not be stored in time and were dropped', {
          code: INGEST_ERRORS.INGEST_UNAVAILABLE, dropped: lost, lastError
        })
      }
      await Promise.allSettled([...listenerCalls])
    },

    push,

    pushRows (schema, rows) {
      let ok = true
      for (const row of rows) ok = push(schema, row)
      return ok
    },

    reject (record) {
      rejected++
      return push(rejectsTable, rejectRow(record))
    },

    underPressure: () => pressured,

    onPressureChange (listener) {
      pressureListeners.add(listener)
      return () => { pressureListeners.delete(listener) }
    },

    onDrain (listener) {
      drainListeners.add(listener)
      return () => { drainListeners.delete(listener) }
    },

    async flush (options) {
      if (stopped && buffered > 0) throw new FedlakeError(INGEST_ERRORS.INGEST_UNAVAILABLE, 'the ingest pipeline is stopped')
      await flushAll(options)
    },

    stats () {
      return {
        rowsReceived: received,
        rowsCommitted: committed,
        rowsRejected: rejected,
        rowsDropped: dropped,
        rowsBuffered: buffered,
        highWaterRows,
        maxBufferedRows,
        commitRowsPerSecond: Math.round(commitRate.rowsPerSecond(now())),
        longestAppendMs: Math.round(longestAppendMs),
        sourcePauses,
        sourcePausedMs: Math.round(pausedMs + (needDrain ? now() - pausedAt : 0)),
        flushes,
        appendFailures,
        tablesCreated,
        lastError,
        lastErrorAt,
        tables: tableStats([...byFingerprint.values()], droppedByTable)
      }
    }
  }
}

/** One entry per dbms.table: buffers of the same table with other columns are added up, drops come from the pipeline's count. */
function tableStats (buffers: readonly TableBuffer[], droppedByTable: ReadonlyMap<string, { dbms: string, table: string, rows: number }>): TableIngestStats[] {
  const byTable = new Map<string, { dbms: string, table: string, buffered: number, committed: number, received: number, dropped: number, oldestBufferedAt: number | null }>()
  const entryOf = (dbms: string, table: string): { dbms: string, table: string, buffered: number, committed: number, received: number, dropped: number, oldestBufferedAt: number | null } => {
    const key = `${dbms}.${table}`
    let entry = byTable.get(key)
    if (entry === undefined) {
      entry = { dbms, table, buffered: 0, committed: 0, received: 0, dropped: 0, oldestBufferedAt: null }
      byTable.set(key, entry)
    }
    return entry
  }
  for (const b of buffers) {
    const entry = entryOf(b.schema.dbms, b.schema.table)
    entry.buffered += b.buffered
    entry.committed += b.committed
    entry.received += b.received
    const oldest = b.oldestBufferedAt
    if (oldest !== undefined && (entry.oldestBufferedAt === null || oldest < entry.oldestBufferedAt)) entry.oldestBufferedAt = oldest
  }
  for (const d of droppedByTable.values()) entryOf(d.dbms, d.table).dropped += d.rows
  return [...byTable.values()]
}

function lowWaterOf (highWaterRows: number): number {
  return Math.floor(highWaterRows * 7 / 8)
}

function clamp (value: number, least: number, most: number): number {
  return Math.max(least, Math.min(most, value))
}
