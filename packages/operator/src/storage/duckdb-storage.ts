/**
 * OperatorStorage on DuckDB: one database file per dbms (`<dataDir>/<dbms>.duckdb`), opened once per
 * process and created on first write. The only module that talks to @duckdb/node-api.
 *
 * Concurrency: writes (DDL and appends) to one database run one at a time through a keyed queue, each append
 * in its own transaction on its table's writer connection. Not one queue per table: DuckDB commits one
 * transaction at a time anyway, and creating an appender while another table's commit runs blocks the
 * thread until that commit ends. Queries run on pooled connections of their own, so MVCC keeps them and
 * concurrent appends apart.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { ColumnSchema, ColumnType, Logger, QueryResult, TableSchema } from '@fedlake/core'
import { createSlots, FedlakeError, isFedlakeError, silentLogger } from '@fedlake/core'
import type { Slots } from '@fedlake/core'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api'
import { parseFailure, SQL_ERRORS, validateSelect } from '@fedlake/sql'
import type { ParsedSql, ResultStream } from '@fedlake/sql'
import { columnTypeOfName, createSqlParser, lockedDownOptions, openSelectStream, runStatementWithoutSpinning } from '@fedlake/duckdb'
import type { SqlParser } from '@fedlake/duckdb'
import { STORAGE_ERRORS } from '../errors-storage.js'
import { buildChunk, CHUNK_ROWS, duckTypesOf } from './chunk-writer.js'
import type { ColumnSource } from './chunk-writer.js'
import { columnBatchFromRows, isColumnBatch } from './column-batch.js'
import type { ColumnBatch } from './column-batch.js'
import { assertDbmsName, assertIdentifier, isValidDbmsName, quoteIdent } from './identifiers.js'
import { GroupCommitter } from './group-commit.js'
import type { AppendRequest } from './group-commit.js'
import { KeyedQueue } from './keyed-queue.js'
import { processPathGuard } from './open-paths.js'
import type { PathGuard } from './open-paths.js'
import { collectResult } from './collect-result.js'
import { assertRowWidths } from './row-widths.js'
import type { ColumnarStorage, DuckDbStorageInit, StorageQueryOptions, StorageValue } from './types.js'

const COLUMN_TYPES: ReadonlySet<string> = new Set<ColumnType>(['TIMESTAMP', 'BIGINT', 'HUGEINT', 'INTEGER', 'DOUBLE', 'BOOLEAN', 'VARCHAR'])
const DB_FILE = /^([a-z0-9_]{1,63})\.duckdb$/
const MAX_IDLE_QUERY_CONNECTIONS = 4
export const DEFAULT_CHECKPOINT_THRESHOLD = '128MB'
const MAX_GROUP_ROWS = 65_536
const DEFAULT_CONCURRENT_QUERIES = 4
const PARSED_QUERIES_KEPT = 256

interface TableEntry {
  /** Name as created (case preserved). */
  readonly name: string
  readonly columns: readonly ColumnSchema[]
}

interface DatabaseHandle {
  readonly dbms: string
  readonly path: string
  readonly instance: DuckDBInstance
  /** For DDL and catalog reads. */
  readonly admin: DuckDBConnection
  /** Authoritative: every table is created through this module. Keyed by lower-case name. */
  readonly tables: Map<string, TableEntry>
  readonly writers: Map<string, DuckDBConnection>
  readonly idle: DuckDBConnection[]
}

/** Creates the DuckDB-backed storage. Call start() before use and stop() to close every database file. */
export function createDuckDbStorage (init: DuckDbStorageInit): ColumnarStorage {
  return new DuckDbStorage(init, processPathGuard)
}

/** The same storage with another guard against opening a file twice (the storage worker asks the main thread). */
export function createGuardedDuckDbStorage (init: DuckDbStorageInit, guard: PathGuard): ColumnarStorage {
  return new DuckDbStorage(init, guard)
}

class DuckDbStorage implements ColumnarStorage {
  private readonly dataDir: string
  private readonly log: Logger
  private readonly init: DuckDbStorageInit
  private state: 'new' | 'started' | 'stopping' | 'stopped' = 'new'
  private readonly databases = new Map<string, Promise<DatabaseHandle>>()
  private readonly writes = new KeyedQueue()
  private readonly appends = new GroupCommitter(this.writes, async group => { await this.commitGroup(group) }, MAX_GROUP_ROWS, writeKeyOfTable)
  /** Queries in progress, from validation until DuckDB has let go of their connection. */
  private readonly queries = new Set<{ cancel: () => void, settled: Promise<void> }>()
  private readonly slots: Slots
  private readonly parser: SqlParser = createSqlParser()
  private readonly parsedQueries = new Map<string, ParsedSql>()

  constructor (init: DuckDbStorageInit, private readonly guard: PathGuard) {
    this.init = init
    this.dataDir = resolve(init.dataDir)
    this.log = (init.logger ?? silentLogger).child('storage')
    this.slots = createSlots(init.maxConcurrentQueries ?? DEFAULT_CONCURRENT_QUERIES)
  }

  isOpen (): boolean {
    return this.state === 'started'
  }

  async start (): Promise<void> {
    if (this.state === 'started') return
    await mkdir(this.dataDir, { recursive: true })
    await this.parser.start()
    this.state = 'started'
    this.log.info('storage started', { dataDir: this.dataDir })
  }

  async stop (): Promise<void> {
    if (this.state !== 'started') return
    this.state = 'stopping'
    await this.writes.drain()
    // every query ends as cancelled, and DuckDB lets go of its connection, before anything closes
    for (const query of this.queries) query.cancel()
    await Promise.allSettled([...this.queries].map(async query => { await query.settled }))
    const handles = await Promise.allSettled([...this.databases.values()])
    for (const settled of handles) {
      if (settled.status === 'fulfilled') closeDatabase(settled.value, this.guard)
    }
    this.databases.clear()
    await this.parser.stop()
    this.state = 'stopped'
    this.log.info('storage stopped')
  }

  async ensureTable (schema: TableSchema): Promise<boolean> {
    this.assertStarted()
    assertDbmsName(schema.dbms)
    assertTableSchema(schema)
    return await this.writes.run(writeKey(schema.dbms), async () => {
      const db = await this.database(schema.dbms, true) as DatabaseHandle
      return await this.applyDdl(db, schema)
    })
  }

  async appendRows (schema: TableSchema, rows: readonly (readonly StorageValue[])[]): Promise<void> {
    this.assertStarted()
    assertDbmsName(schema.dbms)
    if (rows.length === 0) return
    assertRowWidths(schema, rows)
    const batch = columnBatchFromRows(schema.columns.map(c => c.type), rows)
    await this.appends.submit(tableKey(schema.dbms, schema.table), { schema, batch })
  }

  async ensureTableAndAppendRows (schema: TableSchema, rows: readonly (readonly StorageValue[])[]): Promise<boolean> {
    this.assertStarted()
    assertDbmsName(schema.dbms)
    assertRowWidths(schema, rows)
    return await this.ensureTableAndAppendColumns(schema, columnBatchFromRows(schema.columns.map(c => c.type), rows))
  }

  async ensureTableAndAppendColumns (schema: TableSchema, batch: ColumnBatch): Promise<boolean> {
    this.assertStarted()
    assertDbmsName(schema.dbms)
    assertTableSchema(schema)
    if (!isColumnBatch(batch, schema.columns.length)) {
      throw new FedlakeError(STORAGE_ERRORS.STORAGE_INVALID_VALUE, `the batch does not have ${schema.columns.length} columns of ${batch.rowCount} values`)
    }
    return await this.writes.run(writeKey(schema.dbms), async () => {
      const db = await this.database(schema.dbms, true) as DatabaseHandle
      return await this.commitWithDdl(db, schema, batch)
    })
  }

  async appendColumns (schema: TableSchema, batch: ColumnBatch): Promise<void> {
    this.assertStarted()
    assertDbmsName(schema.dbms)
    if (!isColumnBatch(batch, schema.columns.length)) {
      throw new FedlakeError(STORAGE_ERRORS.STORAGE_INVALID_VALUE, `the batch does not have ${schema.columns.length} columns of ${batch.rowCount} values`)
    }
    if (batch.rowCount === 0) return
    await this.appends.submit(tableKey(schema.dbms, schema.table), { schema, batch })
  }

  async openQuery (dbmsName: string, sql: string, options: StorageQueryOptions = {}): Promise<ResultStream> {
    this.assertStarted()
    const dbms = dbmsName.toLowerCase()
    assertDbmsName(dbms)
    const parsed = await this.parseCached(sql)
    if (parsed.error) throw parseFailure(parsed.error_type, parsed.error_message, parsed.position, sql)
    const db = await this.database(dbms, false)
    validateSelect(parsed, { dbms, tables: new Set(db?.tables.keys() ?? []) }, sql)
    if (db === undefined) throw new FedlakeError(SQL_ERRORS.SQL_UNKNOWN_TABLE, `DBMS '${dbms}' has no tables on this node`, { dbms })
    const release = await this.slots.acquire(options.signal).catch((reason: unknown) => { throw cancelled(reason, dbms) })
    return await this.startSelect(db, sql, options.signal, release)
  }

  async query (dbms: string, sql: string, options: StorageQueryOptions = {}): Promise<QueryResult> {
    return await collectResult(await this.openQuery(dbms, sql, options), options.maxRows)
  }

  async listDatabases (): Promise<string[]> {
    this.assertStarted()
    const names = new Set(this.databases.keys())
    for (const entry of await readdir(this.dataDir)) {
      const m = DB_FILE.exec(entry)
      if (m?.[1] === undefined) continue
      // e.g. system.duckdb, written before reserved names were refused: never opened again
      if (isValidDbmsName(m[1])) names.add(m[1])
      else this.log.warn('database file ignored: its name is reserved', { file: join(this.dataDir, entry) })
    }
    return [...names].sort()
  }

  async listTables (dbmsName: string): Promise<TableSchema[]> {
    this.assertStarted()
    const dbms = dbmsName.toLowerCase()
    if (!isValidDbmsName(dbms)) return []
    const db = await this.database(dbms, false)
    if (db === undefined) return []
    return [...db.tables.values()]
      .map(t => ({ dbms, table: t.name, columns: t.columns }))
      .sort((a, b) => a.table.localeCompare(b.table))
  }

  async tableSchema (dbmsName: string, table: string): Promise<TableSchema | undefined> {
    this.assertStarted()
    const dbms = dbmsName.toLowerCase()
    if (!isValidDbmsName(dbms)) return undefined
    const entry = (await this.database(dbms, false))?.tables.get(table.toLowerCase())
    return entry === undefined ? undefined : { dbms, table: entry.name, columns: entry.columns }
  }

  /** Parse trees of recent query texts: a dashboard repeats the same few queries every few seconds. */
  private async parseCached (sql: string): Promise<ParsedSql> {
    const cached = this.parsedQueries.get(sql)
    if (cached !== undefined) {
      this.parsedQueries.delete(sql)
      this.parsedQueries.set(sql, cached)
      return cached
    }
    const parsed = await this.parseSql(sql)
    this.parsedQueries.set(sql, parsed)
    if (this.parsedQueries.size > PARSED_QUERIES_KEPT) this.parsedQueries.delete(this.parsedQueries.keys().next().value as string)
    return parsed
  }

  async parseSql (sql: string): Promise<ParsedSql> {
    this.assertStarted()
    return await this.parser.parse(sql)
  }

  // ---------------------------------------------------------------------------------------------

  private assertStarted (): void {
    if (this.state !== 'started') throw new FedlakeError(STORAGE_ERRORS.STORAGE_NOT_STARTED, `storage is ${this.state === 'new' ? 'not started' : 'stopped'}`)
  }

  /** The open database of `dbms`; undefined when its file does not exist and `create` is false. */
  private async database (dbms: string, create: boolean): Promise<DatabaseHandle | undefined> {
    const known = this.databases.get(dbms)
    if (known !== undefined) return await known
    const path = join(this.dataDir, `${dbms}.duckdb`)
    if (!create && !existsSync(path)) return undefined
    const opening = this.open(dbms, path)
    this.databases.set(dbms, opening)
    opening.catch(() => { if (this.databases.get(dbms) === opening) this.databases.delete(dbms) })
    return await opening
  }

  private async open (dbms: string, path: string): Promise<DatabaseHandle> {
    await this.guard.claim(path)
    try {
      const instance = await DuckDBInstance.create(path, lockedDownOptions({
        ...(this.init.threads !== undefined ? { threads: this.init.threads } : {}),
        ...(this.init.memoryLimit !== undefined ? { memoryLimit: this.init.memoryLimit } : {}),
        checkpointThreshold: this.init.checkpointThreshold ?? DEFAULT_CHECKPOINT_THRESHOLD
      }))
      const admin = await instance.connect()
      const handle: DatabaseHandle = { dbms, path, instance, admin, tables: new Map(), writers: new Map(), idle: [] }
      await loadTables(handle)
      this.log.info('database opened', { dbms, path, tables: handle.tables.size })
      return handle
    } catch (err) {
      this.guard.release(path)
      throw isFedlakeError(err) ? err : new FedlakeError(STORAGE_ERRORS.STORAGE_WRITE_FAILED, `cannot open ${path}: ${(err as Error).message}`, { path }, { cause: err })
    }
  }

  private async applyDdl (db: DatabaseHandle, schema: TableSchema): Promise<boolean> {
    const existing = db.tables.get(schema.table.toLowerCase())
    try {
      if (existing === undefined) {
        const columns = schema.columns.map(c => `${quoteIdent(c.name)} ${c.type}`).join(', ')
        await db.admin.run(`CREATE TABLE ${quoteIdent(schema.table)} (${columns})`)
        await loadTables(db)
        this.log.info('table created', { dbms: schema.dbms, table: schema.table, columns: schema.columns.length })
        return true
      }
      const have = new Set(existing.columns.map(c => c.name.toLowerCase()))
      const missing = schema.columns.filter(c => !have.has(c.name.toLowerCase()))
      if (missing.length === 0) return false
      for (const column of missing) {
        await db.admin.run(`ALTER TABLE ${quoteIdent(existing.name)} ADD COLUMN ${quoteIdent(column.name)} ${column.type}`)
      }
      await loadTables(db)
      this.log.info('columns added', { dbms: schema.dbms, table: existing.name, columns: missing.map(c => c.name) })
      return false
    } catch (err) {
      throw isFedlakeError(err) ? err : new FedlakeError(STORAGE_ERRORS.STORAGE_WRITE_FAILED, `DDL on ${schema.dbms}.${schema.table} failed: ${(err as Error).message}`, { dbms: schema.dbms, table: schema.table }, { cause: err })
    }
  }

  /**
   * CREATE TABLE (or ALTER TABLE ADD COLUMN for the schema's missing columns) and the rows in one transaction on
   * the table's writer connection: the table, its new columns and the rows are committed together or not at all.
   * `db.tables` only ever holds committed tables: it is reloaded from the catalog after the commit or rollback.
   */
  private async commitWithDdl (db: DatabaseHandle, schema: TableSchema, batch: ColumnBatch): Promise<boolean> {
    const existing = db.tables.get(schema.table.toLowerCase())
    const have = new Set(existing?.columns.map(c => c.name.toLowerCase()) ?? [])
    const missing = existing === undefined ? schema.columns : schema.columns.filter(c => !have.has(c.name.toLowerCase()))
    const table: TableEntry = existing === undefined
      ? { name: schema.table, columns: schema.columns }
      : { name: existing.name, columns: [...existing.columns, ...missing] }
    const sources = columnSources(schema, table)
    const ddl = existing === undefined
      ? [`CREATE TABLE ${quoteIdent(table.name)} (${schema.columns.map(c => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`]
      : missing.map(c => `ALTER TABLE ${quoteIdent(table.name)} ADD COLUMN ${quoteIdent(c.name)} ${c.type}`)
    const connection = await this.writer(db, table.name)
    try {
      await appendInTransaction(connection, db.dbms, table.name, 'write', async appender => { await appendBatch(appender, sources, batch) }, ddl)
    } finally {
      if (ddl.length > 0) await loadTables(db)
    }
    if (existing === undefined) this.log.info('table created', { dbms: db.dbms, table: table.name, columns: table.columns.length })
    else if (missing.length > 0) this.log.info('columns added', { dbms: db.dbms, table: table.name, columns: missing.map(c => c.name) })
    return existing === undefined
  }

  /** One transaction for a group of appends to the same table (all requests name the same dbms.table). */
  private async commitGroup (group: readonly AppendRequest[]): Promise<void> {
    const first = (group[0] as AppendRequest).schema
    const db = await this.database(first.dbms, false)
    const table = db?.tables.get(first.table.toLowerCase())
    if (db === undefined || table === undefined) {
      throw new FedlakeError(STORAGE_ERRORS.STORAGE_SCHEMA_MISMATCH, `table ${first.dbms}.${first.table} does not exist (ensureTable first)`, { dbms: first.dbms, table: first.table })
    }
    const parts = group.map(request => ({ sources: columnSources(request.schema, table), batch: request.batch }))
    const connection = await this.writer(db, table.name)
    await appendInTransaction(connection, db.dbms, table.name, 'append', async appender => {
      for (const { sources, batch } of parts) await appendBatch(appender, sources, batch)
    })
  }

  private async writer (db: DatabaseHandle, table: string): Promise<DuckDBConnection> {
    const key = table.toLowerCase()
    let connection = db.writers.get(key)
    if (connection === undefined) {
      connection = await db.instance.connect()
      db.writers.set(key, connection)
    }
    return connection
  }

  /** Runs a validated SELECT on a pooled connection; `release` frees the query slot once DuckDB lets go. */
  private async startSelect (db: DatabaseHandle, sql: string, signal: AbortSignal | undefined, release: () => void): Promise<ResultStream> {
    let settle: () => void = () => {}
    const entry = { cancel: () => {}, settled: new Promise<void>(resolve => { settle = resolve }) }
    this.queries.add(entry)
    const onSettled = (connection: DuckDBConnection, reusable: boolean): void => {
      if (reusable && this.state === 'started' && db.idle.length < MAX_IDLE_QUERY_CONNECTIONS) db.idle.push(connection)
      else connection.closeSync()
      this.queries.delete(entry)
      release()
      settle()
    }
    let connection: DuckDBConnection
    try {
      if (this.state !== 'started') throw new FedlakeError(SQL_ERRORS.SQL_CANCELLED, 'query cancelled: storage stopping', { dbms: db.dbms })
      connection = db.idle.pop() ?? await db.instance.connect()
    } catch (err) {
      this.queries.delete(entry)
      release()
      settle()
      throw err
    }
    const controller = new AbortController()
    entry.cancel = () => { controller.abort(new FedlakeError(SQL_ERRORS.SQL_CANCELLED, 'query cancelled: storage stopping', { dbms: db.dbms })) }
    const stopped = signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal])
    return await openSelectStream({ connection, sql, dbms: db.dbms, signal: stopped, onSettled })
  }
}

function tableKey (dbms: string, table: string): string {
  return `${dbms}\u0000${table.toLowerCase()}`
}

/** The write queue of a database: DDL and appends to any of its tables run one at a time. */
function writeKey (dbms: string): string {
  return dbms
}

function writeKeyOfTable (key: string): string {
  return writeKey(key.slice(0, key.indexOf('\u0000')))
}

function assertTableSchema (schema: TableSchema): void {
  assertIdentifier('table', schema.table)
  if (schema.columns.length === 0) {
    throw new FedlakeError(STORAGE_ERRORS.STORAGE_SCHEMA_INVALID, `table ${schema.dbms}.${schema.table} has no columns`, { dbms: schema.dbms, table: schema.table })
  }
  const seen = new Set<string>()
  for (const column of schema.columns) {
    assertIdentifier('column', column.name)
    if (!COLUMN_TYPES.has(column.type)) {
      throw new FedlakeError(STORAGE_ERRORS.STORAGE_SCHEMA_INVALID, `column ${column.name} has unsupported type ${String(column.type)}`, { column: column.name })
    }
    const lower = column.name.toLowerCase()
    if (seen.has(lower)) throw new FedlakeError(STORAGE_ERRORS.STORAGE_SCHEMA_INVALID, `column ${column.name} appears twice`, { column: column.name })
    seen.add(lower)
  }
}

/** Types a value of `from` may be written into (appendRows may name a narrower type than the table has). */
function widensTo (from: ColumnType, to: ColumnType): boolean {
  return from === to || (from === 'INTEGER' && (to === 'BIGINT' || to === 'HUGEINT' || to === 'DOUBLE')) ||
    (from === 'BIGINT' && (to === 'HUGEINT' || to === 'DOUBLE'))
}

/** Maps every table column to its position in the caller's rows (-1 = NULL). */
function columnSources (schema: TableSchema, table: TableEntry): ColumnSource[] {
  const given = new Map<string, number>()
  schema.columns.forEach((c, i) => given.set(c.name.toLowerCase(), i))
  const tableColumns = new Map(table.columns.map(c => [c.name.toLowerCase(), c]))
  for (const column of schema.columns) {
    const actual = tableColumns.get(column.name.toLowerCase())
    if (actual === undefined || !widensTo(column.type, actual.type)) {
      throw new FedlakeError(STORAGE_ERRORS.STORAGE_SCHEMA_MISMATCH,
        actual === undefined
          ? `column ${column.name} is not in table ${schema.dbms}.${table.name} (ensureTable first)`
          : `column ${column.name} is ${actual.type} in table ${schema.dbms}.${table.name}, not ${column.type}`,
        { dbms: schema.dbms, table: table.name, column: column.name })
    }
  }
  return table.columns.map(c => ({ name: c.name, type: c.type, from: given.get(c.name.toLowerCase()) ?? -1 }))
}

async function loadTables (db: DatabaseHandle): Promise<void> {
  const reader = await db.admin.runAndReadAll(
    `SELECT table_name, column_name, data_type FROM duckdb_columns()
     WHERE database_name = current_database() AND schema_name = 'main'
     ORDER BY table_name, column_index`)
  const tables = new Map<string, { name: string, columns: ColumnSchema[] }>()
  for (const [tableName, columnName, dataType] of reader.getRows()) {
    const name = String(tableName)
    const key = name.toLowerCase()
    let entry = tables.get(key)
    if (entry === undefined) { entry = { name, columns: [] }; tables.set(key, entry) }
    entry.columns.push({ name: String(columnName), type: columnTypeOfName(String(dataType)) })
  }
  db.tables.clear()
  for (const [key, entry] of tables) db.tables.set(key, entry)
}

async function appendBatch (appender: DuckDBAppender, sources: readonly ColumnSource[], batch: ColumnBatch): Promise<void> {
  const types = duckTypesOf(sources)
  for (let start = 0; start < batch.rowCount; start += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, batch.rowCount - start)
    appender.appendDataChunk(buildChunk(sources, types, batch, start, count))
    // The appender is synchronous native code: flushing chunk by chunk (into this transaction's local
    // storage, still uncommitted) and yielding in between bounds how long the event loop is blocked.
    appender.flushSync()
    await new Promise(resolve => setImmediate(resolve))
  }
}

/**
 * One transaction on a table's writer connection: `ddl` first, then the rows through one appender, committed
 * together; any failure discards the appender, rolls back and (unless already a FedlakeError) becomes
 * STORAGE_WRITE_FAILED naming `<what> to dbms.table`.
 */
async function appendInTransaction (connection: DuckDBConnection, dbms: string, table: string, what: string,
  append: (appender: DuckDBAppender) => Promise<void>, ddl: readonly string[] = []): Promise<void> {
  let appender: DuckDBAppender | undefined
  await runStatementWithoutSpinning(connection, 'BEGIN TRANSACTION')
  try {
    for (const statement of ddl) await connection.run(statement)
    appender = await connection.createAppender(table)
    await append(appender)
    appender.closeSync()
    appender = undefined
    await runStatementWithoutSpinning(connection, 'COMMIT')
  } catch (err) {
    if (appender !== undefined) discardAppender(appender)
    await runStatementWithoutSpinning(connection, 'ROLLBACK').catch(() => undefined)
    if (isFedlakeError(err)) throw err
    throw new FedlakeError(STORAGE_ERRORS.STORAGE_WRITE_FAILED, `${what} to ${dbms}.${table} failed: ${(err as Error).message}`, { dbms, table }, { cause: err })
  }
}

function discardAppender (appender: DuckDBAppender): void {
  try { appender.clear() } catch { /* already failed; closing below is what matters */ }
  try { appender.closeSync() } catch { /* nothing left to flush after clear() */ }
}

function closeDatabase (db: DatabaseHandle, guard: PathGuard): void {
  for (const connection of [...db.writers.values(), ...db.idle, db.admin]) {
    try { connection.closeSync() } catch { /* closing anyway */ }
  }
  db.writers.clear()
  db.idle.length = 0
  db.instance.closeSync()
  guard.release(db.path)
}


/** A query that could not start: the deadline's own error when it carries one, else SQL_CANCELLED. */
function cancelled (reason: unknown, dbms: string): FedlakeError {
  return isFedlakeError(reason) ? reason : new FedlakeError(SQL_ERRORS.SQL_CANCELLED, 'query cancelled before it started', { dbms })
}
