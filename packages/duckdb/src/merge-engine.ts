/**
 * The query node's DuckDB: in memory, locked down like the operators' (no files, no extensions, no settings),
 * shared by every network query. It does two jobs:
 *
 * - `describe`: binds a query over empty copies of its tables (schemas from the metadata), which gives the
 *   names and types one DuckDB would give the result, and catches unknown columns before anything is sent.
 *   One in-memory database per dbms, its tables re-created when the metadata's schemas change.
 * - `run`: stages the operators' partial results (a temporary table per fragment, filled as batches arrive)
 *   and streams the merge SQL's result over them. Each run has a connection of its own, so temporary tables
 *   never meet; closing it drops them.
 */
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api'
import { FedlakeError, isFedlakeError } from '@fedlake/core'
import type { Startable, TableSchema } from '@fedlake/core'
import { SQL_ERRORS } from '@fedlake/sql'
import type { ResultBatch, ResultField, ResultStream } from '@fedlake/sql'
import { appendBatch, quoteIdent, stagingType, stagingView } from './batch-writer.js'
import { inlineFragment, MAX_INLINE_VALUES, withInlineFragments } from './inline-values.js'
import { sqlErrorFromDuckDb } from './errors.js'
import { lockedDownOptions } from './lockdown.js'
import { openSelectStream } from './select-stream.js'

export interface MergeFragment {
  /** The table name the merge SQL reads it as. */
  readonly name: string
  readonly fields: readonly ResultField[]
  /** Batches tagged with the source (operator) they came from. */
  readonly batches: AsyncIterable<SourcedBatch>
  /** Sources whose rows the merge must not see (asked once every batch is staged): operators that failed midway. */
  readonly excluded?: () => ReadonlySet<number>
}

export interface SourcedBatch {
  readonly source: number
  readonly batch: ResultBatch
}

export interface MergeEngineInit {
  /** DuckDB memory_limit, e.g. '128MiB'. */
  readonly memoryLimit?: string
  /**
   * DuckDB threads. @default 1: with two, a sort, window, DISTINCT or hash aggregate over more rows than memoryLimit
   * fails for lack of memory where one thread spills and succeeds (docs/performance.md, "Merges larger than memory").
   */
  readonly threads?: number
  /** Where staged partials spill when they exceed memoryLimit. @default DuckDB's (./.tmp) */
  readonly tempDirectory?: string
}

export interface MergeEngine extends Startable {
  /** The fields one DuckDB gives `sql` over `tables` (of `dbms`); throws DuckDB's binder errors as SQL_* errors. */
  describe(dbms: string, tables: readonly TableSchema[], sql: string): Promise<ResultField[]>
  /** Stages every fragment, then streams `mergeSql`'s result. Read it to the end or cancel it. */
  run(fragments: readonly MergeFragment[], mergeSql: string, options?: { signal?: AbortSignal }): Promise<ResultStream>
}

interface SchemaDatabase {
  readonly instance: DuckDBInstance
  readonly connection: DuckDBConnection
  signature: string
}

export function createMergeEngine (init: MergeEngineInit = {}): MergeEngine {
  let merge: DuckDBInstance | undefined
  const schemas = new Map<string, Promise<SchemaDatabase>>()
  /** Connections of finished inline merges (they leave nothing behind). */
  const idle: DuckDBConnection[] = []
  const describing = new Map<string, Promise<unknown>>()

  const options = (): Record<string, string> => lockedDownOptions({
    threads: init.threads ?? 1,
    ...(init.memoryLimit !== undefined ? { memoryLimit: init.memoryLimit } : {}),
    ...(init.tempDirectory !== undefined ? { tempDirectory: init.tempDirectory } : {})
  })

  const schemaDatabase = async (dbms: string): Promise<SchemaDatabase> => {
    let opening = schemas.get(dbms)
    if (opening === undefined) {
      opening = (async () => {
        const instance = await DuckDBInstance.create(':memory:', lockedDownOptions({ threads: 1 }))
        return { instance, connection: await instance.connect(), signature: '' }
      })()
      schemas.set(dbms, opening)
    }
    return await opening
  }

  /** One describe at a time per dbms: the tables may be re-created under it. */
  const serially = async <T>(dbms: string, work: () => Promise<T>): Promise<T> => {
    const previous = describing.get(dbms) ?? Promise.resolve()
    const run = previous.then(work, work)
    describing.set(dbms, run.catch(() => undefined))
    return await run
  }

  return {
    async start () {
      merge ??= await DuckDBInstance.create(':memory:', options())
    },

    async stop () {
      for (const opening of schemas.values()) {
        const db = await opening.catch(() => undefined)
        db?.connection.closeSync()
        db?.instance.closeSync()
      }
      schemas.clear()
      for (const c of idle.splice(0)) c.closeSync()
      merge?.closeSync()
      merge = undefined
    },

    async describe (dbms, tables, sql) {
      const db = await schemaDatabase(dbms)
      return await serially(dbms, async () => {
        const signature = JSON.stringify(tables.map(t => [t.table.toLowerCase(), t.columns]).sort())
        if (db.signature !== signature) {
          const existing = (await db.connection.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()")).getRows()
          for (const [name] of existing) await db.connection.run(`DROP TABLE ${quoteIdent(String(name))}`)
          for (const t of tables) {
            await db.connection.run(`CREATE TABLE ${quoteIdent(t.table.toLowerCase())} (${t.columns.map(c => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`)
          }
          db.signature = signature
        }
        try {
          const prepared = await db.connection.prepare(sql)
          try {
            return Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), type: prepared.columnType(i).toString() }))
          } finally {
            prepared.destroySync()
          }
        } catch (err) {
          throw isFedlakeError(err) ? err : sqlErrorFromDuckDb(err, dbms)
        }
      })
    },

    async run (fragments, mergeSql, runOptions = {}) {
      if (merge === undefined) throw new FedlakeError(SQL_ERRORS.SQL_EXECUTION, 'the merge engine is not started')
      const instance = merge
      const signal = runOptions.signal
      const reason = (err: unknown): unknown => signal?.aborted === true && isFedlakeError(signal.reason) ? signal.reason : err
      // small partials (aggregates) are read first and written into the merge statement itself
      let collected: Collected[]
      try {
        collected = await Promise.all(fragments.map(async fragment => await collectSmall(fragment, signal)))
      } catch (err) {
        throw reason(err)
      }
      const inline = collected.every(c => c.rest === undefined)
        ? collected.map((c, f) => inlineFragment((fragments[f] as MergeFragment).name, (fragments[f] as MergeFragment).fields, kept(fragments[f] as MergeFragment, c)))
        : undefined
      if (inline !== undefined && inline.every(cte => cte !== undefined)) {
        const connection = idle.pop() ?? await instance.connect()
        return await openSelectStream({
          connection,
          sql: withInlineFragments(mergeSql, inline as string[]),
          dbms: 'merge',
          ...(signal !== undefined ? { signal } : {}),
          onSettled: (c, reusable) => { if (reusable && idle.length < MAX_IDLE_CONNECTIONS) idle.push(c); else c.closeSync() }
        })
      }
      const connection = await instance.connect()
      try {
        // one fragment after the other: an appender and a statement must not run on one connection at once
        // (the other fragments' operators wait meanwhile, held back by the transport)
        for (const [f, fragment] of fragments.entries()) await stage(connection, { ...fragment, batches: replay(collected[f] as Collected) }, f, signal)
      } catch (err) {
        connection.closeSync()
        throw reason(err)
      }
      return await openSelectStream({
        connection,
        sql: mergeSql,
        dbms: 'merge',
        ...(signal !== undefined ? { signal } : {}),
        onSettled: (c) => { c.closeSync() }
      })
    }
  }
}

const MAX_IDLE_CONNECTIONS = 4

/** A fragment's first batches, read while they fit inline; `rest` continues the stream when they did not. */
interface Collected {
  readonly sourced: readonly SourcedBatch[]
  readonly rest?: AsyncIterator<SourcedBatch>
}

async function collectSmall (fragment: MergeFragment, signal: AbortSignal | undefined): Promise<Collected> {
  const iterator = fragment.batches[Symbol.asyncIterator]()
  const sourced: SourcedBatch[] = []
  let values = 0
  for (;;) {
    signal?.throwIfAborted()
    const next = await iterator.next()
    if (next.done === true) return { sourced }
    sourced.push(next.value)
    values += next.value.batch.rowCount * Math.max(1, fragment.fields.length)
    if (values > MAX_INLINE_VALUES) return { sourced, rest: iterator }
  }
}

/** The batches a merge may see: every source's but the excluded ones'. */
function kept (fragment: MergeFragment, collected: Collected): ResultBatch[] {
  const excluded = fragment.excluded?.() ?? new Set<number>()
  return collected.sourced.filter(s => !excluded.has(s.source)).map(s => s.batch)
}

async function * replay (collected: Collected): AsyncGenerator<SourcedBatch> {
  for (const s of collected.sourced) yield s
  const rest = collected.rest
  if (rest === undefined) return
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value
}

/**
 * Creates a fragment's staging table (its columns, then the source of each row), appends its batches as they
 * arrive, then the view the merge SQL reads, without the rows of excluded sources.
 */
async function stage (connection: DuckDBConnection, fragment: MergeFragment, index: number, signal: AbortSignal | undefined): Promise<void> {
  const staging = `__staging_${index}`
  const columns = [...fragment.fields.map((field, i) => `c${i} ${stagingType(field)}`), '__source INTEGER']
  try {
    await connection.run(`CREATE TEMP TABLE ${quoteIdent(staging)} (${columns.join(', ')})`)
  } catch (err) {
    throw sqlErrorFromDuckDb(err, 'merge')
  }
  const appender = await connection.createAppender(staging, 'main', 'temp')
  const types: DuckDBType[] = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i))
  try {
    for await (const { source, batch } of fragment.batches) {
      signal?.throwIfAborted()
      if (batch.rowCount > 0) appendBatch(appender, types, withSource(batch, source))
    }
    appender.flushSync()
  } finally {
    appender.closeSync()
  }
  const excluded = [...(fragment.excluded?.() ?? [])]
  const where = excluded.length === 0 ? '' : ` WHERE __source NOT IN (${excluded.map(n => String(Math.trunc(n))).join(', ')})`
  try {
    await connection.run(`CREATE TEMP VIEW ${quoteIdent(fragment.name)} AS SELECT ${fragment.fields.length > 0 ? stagingView(fragment.fields) : '1 AS __none'} FROM ${quoteIdent(staging)}${where}`)
  } catch (err) {
    throw sqlErrorFromDuckDb(err, 'merge')
  }
}

function withSource (batch: ResultBatch, source: number): ResultBatch {
  return { rowCount: batch.rowCount, vectors: [...batch.vectors, { kind: 'f64', values: new Float64Array(batch.rowCount).fill(source), valid: null }] }
}
