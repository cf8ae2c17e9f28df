/**
 * Validation of the SQL an operator runs (design §3.4): exactly one read-only SELECT (CTEs, subqueries,
 * set operations, window functions are fine) over tables of the named dbms only, with no table functions but
 * those that generate rows from their arguments (range, generate_series, unnest), no file/system/settings
 * functions and no references into other catalogs or schemas.
 *
 * Works on DuckDB's own AST (json_serialize_sql), so what is checked is exactly what DuckDB will run.
 * This is defence in depth: the database itself is opened with external access disabled and its
 * configuration locked (storage/security.ts).
 */
import { FedlakeError } from '@fedlake/core'
import { SQL_ERRORS } from './errors.js'
import { cteNamesOf } from './cte-names.js'
import type { ParsedSql } from './ast.js'
import { checkSizedCall } from './size-guard.js'

export interface SelectValidationContext {
  /** The dbms the query runs on (lower case): the only catalog a query may name. */
  readonly dbms: string
  /** Tables of that dbms, lower case. */
  readonly tables: ReadonlySet<string>
  /**
   * The statement is in EdgeLake's dialect and the network planner rewrites it before any DuckDB runs it: a
   * one-argument range(x) of a non-constant is EdgeLake's range aggregate (max(x) - min(x)), not DuckDB's list
   * builder. The operators validate the rewritten SQL again with this off.
   */
  readonly edgeLakeDialect?: boolean
}

export interface ValidatedSelect {
  /** Tables of the dbms the query reads, lower case, sorted. */
  readonly tables: readonly string[]
}

/** Scalar/aggregate functions that read settings, state or identity, change state, or stall the engine. */
const FORBIDDEN_FUNCTIONS = new Set([
  'current_setting', 'current_query', 'current_query_id', 'current_connection_id', 'current_transaction_id',
  'txid_current', 'getvariable', 'setseed', 'nextval', 'currval', 'sleep_ms', 'pg_sleep', 'version',
  'json_serialize_sql', 'json_deserialize_sql', 'json_execute_serialized_sql', 'parse_duckdb_log_message',
  'current_database', 'current_catalog', 'current_schema', 'current_schemas', 'in_search_path',
  'current_user', 'current_role', 'session_user', 'user', 'getenv', 'query', 'query_table', 'glob',
  'which_secret', 'sniff_csv', 'checkpoint', 'force_checkpoint', 'icu_calendar_names'
])
const FORBIDDEN_PREFIXES = ['read_', 'duckdb_', 'pragma_', 'parquet_', 'has_', 'pg_', 'enable_', 'disable_', 'sqlite_', 'postgres_', 'mysql_', 'iceberg_', 'delta_']

/**
 * Table functions that make rows from their arguments alone: a FROM clause's series of time buckets or numbers.
 * Their call is checked as a function (the size guard bounds how many rows it may make).
 */
const GENERATING_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest'])

/** Table references that are not reads of stored rows: DESCRIBE/SHOW/SUMMARIZE and internal refs. */
const NOT_SELECT_REFS = new Set(['SHOW_REF', 'COLUMN_DATA', 'DELIM_GET', 'BOUND_REF'])

/**
 * Whether a table reference's catalog and schema (lower case, '' when absent) name `dbms`: DuckDB resolves `x.t` as
 * schema x, or else catalog x, so `<dbms>.t`, `main.t`, `<dbms>.main.t` and a bare `t` all read this dbms.
 */
export function namesDbms (catalog: string, schema: string, dbms: string): boolean {
  return (catalog === '' && (schema === '' || schema === 'main' || schema === dbms)) ||
    (catalog === dbms && (schema === '' || schema === 'main'))
}

export function isForbiddenFunction (name: string): boolean {
  const lower = name.toLowerCase()
  return FORBIDDEN_FUNCTIONS.has(lower) || FORBIDDEN_PREFIXES.some(p => lower.startsWith(p))
}

/** Throws a FedlakeError (SQL_*) unless `parsed` is one read-only SELECT over `ctx.tables`. */
export function validateSelect (parsed: ParsedSql, ctx: SelectValidationContext, sql?: string): ValidatedSelect {
  if (parsed.error) throw parseFailure(parsed.error_type, parsed.error_message, parsed.position, sql)
  if (parsed.statements.length === 0) throw new FedlakeError(SQL_ERRORS.SQL_SYNTAX, 'empty SQL statement')
  if (parsed.statements.length > 1) {
    throw new FedlakeError(SQL_ERRORS.SQL_NOT_READ_ONLY, `exactly one SELECT statement is accepted, got ${parsed.statements.length}`)
  }
  const cteNames = new Set<string>()
  collectCteNames(parsed.statements[0], cteNames)
  const read = new Set<string>()
  visit(parsed.statements[0], node => checkNode(node, ctx, cteNames, read))
  return { tables: [...read].sort() }
}

/** Maps a json_serialize_sql error to SQL_SYNTAX or SQL_NOT_READ_ONLY. */
export function parseFailure (errorType: string, message: string, position?: string, sql?: string): FedlakeError {
  if (errorType === 'not implemented' || /only select statements/i.test(message)) {
    return new FedlakeError(SQL_ERRORS.SQL_NOT_READ_ONLY, 'only a single read-only SELECT statement is accepted', { duckdb: message })
  }
  const details: Record<string, unknown> = { duckdb: message }
  if (position !== undefined && /^\d+$/.test(position)) {
    details.position = Number(position)
    if (sql !== undefined) details.near = sql.slice(Number(position), Number(position) + 30)
  }
  return new FedlakeError(SQL_ERRORS.SQL_SYNTAX, `SQL syntax error: ${message}`, details)
}

type NodeCheck = (node: Record<string, unknown>) => void

function visit (value: unknown, check: NodeCheck): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, check)
    return
  }
  if (value === null || typeof value !== 'object') return
  const node = value as Record<string, unknown>
  check(node)
  for (const child of Object.values(node)) {
    if (child !== null && typeof child === 'object') visit(child, check)
  }
}

function collectCteNames (statement: unknown, into: Set<string>): void {
  visit(statement, node => {
    for (const name of cteNamesOf(node)) into.add(name)
    if (node.type === 'RECURSIVE_CTE_NODE' && typeof node.ctename === 'string') into.add(node.ctename.toLowerCase())
  })
}

function checkNode (node: Record<string, unknown>, ctx: SelectValidationContext, cteNames: ReadonlySet<string>, read: Set<string>): void {
  const type = node.type
  if (typeof type !== 'string') return
  if (typeof node.class === 'string') {
    if (node.class === 'FUNCTION' || node.class === 'WINDOW' || node.class === 'AGGREGATE') checkFunction(node, ctx.edgeLakeDialect === true)
    return
  }
  if (type === 'BASE_TABLE') { checkBaseTable(node, ctx, cteNames, read); return }
  if (type === 'TABLE_FUNCTION') {
    const name = String((node.function as { function_name?: unknown } | undefined)?.function_name ?? '?')
    if (GENERATING_TABLE_FUNCTIONS.has(name.toLowerCase())) return
    throw new FedlakeError(SQL_ERRORS.SQL_FORBIDDEN_FUNCTION, `table function ${name}() is not allowed (only range, generate_series and unnest)`, { function: name })
  }
  if (NOT_SELECT_REFS.has(type)) {
    throw new FedlakeError(SQL_ERRORS.SQL_NOT_READ_ONLY, 'only a single read-only SELECT statement is accepted (no DESCRIBE, SHOW or SUMMARIZE)', { ref: type })
  }
}

function checkFunction (node: Record<string, unknown>, edgeLake: boolean): void {
  const name = String(node.function_name ?? '')
  const schema = String(node.schema ?? '')
  const catalog = String(node.catalog ?? '')
  if (catalog !== '' || (schema !== '' && schema.toLowerCase() !== 'main')) {
    throw new FedlakeError(SQL_ERRORS.SQL_FORBIDDEN_FUNCTION, `qualified function name ${[catalog, schema, name].filter(p => p !== '').join('.')} is not allowed`, { function: name })
  }
  if (isForbiddenFunction(name)) {
    throw new FedlakeError(SQL_ERRORS.SQL_FORBIDDEN_FUNCTION, `function ${name}() is not allowed`, { function: name })
  }
  const children = Array.isArray(node.children) ? node.children as Record<string, unknown>[] : []
  if (edgeLake && name.toLowerCase() === 'range' && children.length === 1 && children[0]?.class !== 'CONSTANT') return
  checkSizedCall(name, children)
}

function checkBaseTable (node: Record<string, unknown>, ctx: SelectValidationContext, cteNames: ReadonlySet<string>, read: Set<string>): void {
  const table = String(node.table_name ?? '').toLowerCase()
  const schema = String(node.schema_name ?? '').toLowerCase()
  const catalog = String(node.catalog_name ?? '').toLowerCase()
  const qualified = schema !== '' || catalog !== ''
  if (!namesDbms(catalog, schema, ctx.dbms)) {
    const name = [catalog, schema, table].filter(p => p !== '').join('.')
    throw new FedlakeError(SQL_ERRORS.SQL_FORBIDDEN_REFERENCE, `${name} is outside database ${ctx.dbms}`, { table: name, dbms: ctx.dbms })
  }
  if (!qualified && cteNames.has(table)) return
  if (!ctx.tables.has(table)) {
    throw new FedlakeError(SQL_ERRORS.SQL_UNKNOWN_TABLE, `Table '${table}' in DBMS '${ctx.dbms}' not defined`, { table, dbms: ctx.dbms })
  }
  read.add(table)
}
