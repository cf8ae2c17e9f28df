/** Classifies DuckDB's error text ("<Kind> Error: <message>") into SQL_* errors. */
import { FedlakeError } from '@fedlake/core'
import { SQL_ERRORS } from '@fedlake/sql'

/** DuckDB error kinds that mean the query itself is wrong (HTTP 400) rather than the engine failing (500). */
const USER_ERROR_KINDS = new Set([
  'Binder', 'Catalog', 'Conversion', 'Invalid Input', 'Out of Range', 'Not implemented', 'Mismatch Type',
  'Invalid Type', 'Permission', 'Constraint', 'Syntax', 'Parser', 'Parameter Not Allowed', 'Parameter Not Resolved'
])

export function duckDbErrorKind (message: string): string | undefined {
  return /^([A-Za-z ]+?) Error: /.exec(message)?.[1]
}

export function sqlErrorFromDuckDb (err: unknown, dbms: string): FedlakeError {
  const message = err instanceof Error ? err.message : String(err)
  const firstLine = message.split('\n')[0] ?? message
  const kind = duckDbErrorKind(message)
  const details = { dbms, duckdb: firstLine }
  const column = /Referenced column "?([^"\s]+)"? not found/.exec(message)
  if (kind === 'Binder' && column !== null) {
    return new FedlakeError(SQL_ERRORS.SQL_UNKNOWN_COLUMN, `Column '${column[1] ?? ''}' is not recognized in DBMS '${dbms}'`, { ...details, column: column[1] }, { cause: err })
  }
  const table = /Table with name "?([^"\s!]+)"? does not exist/.exec(message)
  if (kind === 'Catalog' && table !== null) {
    return new FedlakeError(SQL_ERRORS.SQL_UNKNOWN_TABLE, `Table '${table[1] ?? ''}' in DBMS '${dbms}' not defined`, { ...details, table: table[1] }, { cause: err })
  }
  if (kind === 'INTERRUPT') return new FedlakeError(SQL_ERRORS.SQL_CANCELLED, 'query cancelled', details, { cause: err })
  if (kind === 'Out of Memory') {
    return new FedlakeError(SQL_ERRORS.SQL_OUT_OF_MEMORY, `the query needs more memory than this node gives a database (limits.memoryBudgetMb): ${firstLine}`, details, { cause: err })
  }
  if (kind === 'Parser') return new FedlakeError(SQL_ERRORS.SQL_SYNTAX, `SQL syntax error: ${firstLine}`, details, { cause: err })
  if (kind !== undefined && USER_ERROR_KINDS.has(kind)) return new FedlakeError(SQL_ERRORS.SQL_INVALID, firstLine, details, { cause: err })
  return new FedlakeError(SQL_ERRORS.SQL_EXECUTION, firstLine, details, { cause: err })
}
