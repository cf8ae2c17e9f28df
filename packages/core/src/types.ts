/** Column types fedlake stores and reports. Names are DuckDB's; HUGEINT is a 128-bit integer (PUT's integers beyond 64 bits). */
export type ColumnType = 'TIMESTAMP' | 'BIGINT' | 'HUGEINT' | 'INTEGER' | 'DOUBLE' | 'BOOLEAN' | 'VARCHAR'

export interface ColumnSchema {
  readonly name: string
  readonly type: ColumnType
}

export interface TableRef {
  readonly dbms: string
  readonly table: string
}

export interface TableSchema extends TableRef {
  readonly columns: readonly ColumnSchema[]
}

/** A JSON value as it travels through replies and policies. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** A metadata policy: one root key naming its type, e.g. `{"table": {...}}` (EdgeLake model). */
export type Policy = Record<string, Record<string, JsonValue>>

/** Column-oriented result of a SELECT, values already JSON-safe (BIGINT as number when safe, else string). */
export interface QueryResult {
  readonly columns: readonly ColumnSchema[]
  readonly rows: readonly (readonly JsonValue[])[]
}

/** Called by an operator the first time it creates a table, so the metadata layer can announce it. */
export type TableCreatedListener = (schema: TableSchema) => void | Promise<void>
