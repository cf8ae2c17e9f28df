import type { Logger, QueryResult, Startable, TableSchema } from '@fedlake/core'
import type { ParsedSql, ResultStream } from '@fedlake/sql'
import type { ColumnBatch } from './column-batch.js'

/**
 * A value handed to `appendRows`, aligned with the schema's column types:
 * TIMESTAMP = epoch MICROseconds as a number (or bigint), BIGINT = safe integer number or bigint (int64),
 * HUGEINT = safe integer number or bigint (int128), INTEGER = int32 number, DOUBLE = number, BOOLEAN = boolean, VARCHAR = string. null is NULL.
 */
export type StorageValue = string | number | bigint | boolean | null

export interface StorageQueryOptions {
  signal?: AbortSignal
  /** Refuse (SQL_TOO_MANY_ROWS) a result with more rows than this. @default unlimited */
  maxRows?: number
}

export interface OperatorStorage extends Startable {
  /** Started and not stopping (for the threaded storage: its worker also runs); read by readiness checks. */
  isOpen(): boolean
  /** Creates dbms.table if missing; returns true when it was created by this call. If it exists, missing columns are added (ALTER TABLE ADD COLUMN) so a wider later batch still lands. */
  ensureTable(schema: TableSchema): Promise<boolean>
  /**
   * Appends rows (arrays aligned with schema.columns) atomically: either all rows are committed or none.
   * Uses the appender with DataChunks of <=2048 rows (fast path), inside one transaction. Resolves only when committed.
   * `schema.columns` may be a subset of the table's columns in any order (the others get NULL); every one of
   * them must exist in the table (call ensureTable first).
   */
  appendRows(schema: TableSchema, rows: readonly (readonly StorageValue[])[]): Promise<void>
  /**
   * ensureTable and appendRows in ONE transaction: the table (or the schema's columns it lacks) and the rows are
   * committed together, or nothing changes (a refused row leaves no new table and no new column behind).
   * Resolves, with true when this call created the table, only once committed.
   */
  ensureTableAndAppendRows(schema: TableSchema, rows: readonly (readonly StorageValue[])[]): Promise<boolean>
  /**
   * Starts one validated read-only SELECT on dbms and resolves once DuckDB has bound it. Read the stream to
   * its end or cancel it: until then it holds one of the storage's query slots (maxConcurrentQueries).
   */
  openQuery(dbms: string, sql: string, options?: StorageQueryOptions): Promise<ResultStream>
  /** openQuery read whole (for small results; values JSON-safe). */
  query(dbms: string, sql: string, options?: StorageQueryOptions): Promise<QueryResult>
  listDatabases(): Promise<string[]>
  listTables(dbms: string): Promise<TableSchema[]>
  tableSchema(dbms: string, table: string): Promise<TableSchema | undefined>
  /** Parses SQL with DuckDB's own parser (json_serialize_sql); never executes anything. */
  parseSql(sql: string): Promise<ParsedSql>
}

/** OperatorStorage that also takes column batches (what the ingest pipeline builds). */
export interface ColumnarStorage extends OperatorStorage {
  /** appendRows for a batch whose columns are aligned with schema.columns; same atomicity and checks. */
  appendColumns(schema: TableSchema, batch: ColumnBatch): Promise<void>
  /** ensureTableAndAppendRows for a column batch. */
  ensureTableAndAppendColumns(schema: TableSchema, batch: ColumnBatch): Promise<boolean>
}

export interface DuckDbStorageInit {
  /** Directory holding one `<dbms>.duckdb` file per database; created on start. */
  dataDir: string
  logger?: Logger
  /** DuckDB worker threads per database. @default DuckDB's default (number of cores) */
  threads?: number
  /** DuckDB memory limit per database, e.g. '128MiB'. @default DuckDB's default (80% of RAM) */
  memoryLimit?: string
  /** Queries running at once (more wait for a slot, within their signal). @default 4 */
  maxConcurrentQueries?: number
  /**
   * WAL size that triggers an automatic checkpoint. DuckDB's default (16MB) makes ingest checkpoint so often
   * that commits dominate the append cost; a larger WAL costs a longer replay after a crash.
   * @default '128MB'
   */
  checkpointThreshold?: string
}
