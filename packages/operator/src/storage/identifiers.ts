import { FedlakeError } from '@fedlake/core'
import { STORAGE_ERRORS } from '../errors-storage.js'

/** A dbms name is also a file name (`<dbms>.duckdb`) and DuckDB's catalog name: kept to a safe, lower-case set. */
const DBMS_NAME = /^[a-z0-9_][a-z0-9_]{0,62}$/

/**
 * Names DuckDB's catalog resolves specially, so `<dbms>.<table>` (which the SQL validator lets a query name)
 * would not reach the dbms's own file. Found by opening `<name>.duckdb` for every DuckDB keyword, table
 * function and catalog/schema name and reading `<name>.t` and `<name>.main.t` back (test/storage-names.test.ts keeps the list in step with DuckDB's own catalogs).
 */
const RESERVED_DBMS_NAMES: ReadonlyMap<string, string> = new Map([
  ['system', 'it is DuckDB\'s built-in system catalog (system.<table> reads DuckDB\'s own catalog, not this database)'],
  ['temp', 'it is DuckDB\'s catalog of temporary objects (temp.<table> does not reach this database)'],
  ['main', 'it is DuckDB\'s default schema (DuckDB renames such a database main_db, so main.main.<table> fails)'],
  ['memory', 'it is the catalog of DuckDB\'s in-memory databases (the query node\'s merge engine)'],
  ['information_schema', 'it is a schema of DuckDB\'s system catalog (information_schema.<table> is ambiguous)'],
  ['pg_catalog', 'it is a schema of DuckDB\'s system catalog (pg_catalog.<table> is ambiguous)']
])

/** Why `name` may not be a dbms name; undefined for a usable name. */
export function dbmsNameProblem (name: string): string | undefined {
  if (!DBMS_NAME.test(name)) return 'use lower-case letters, digits and _ (at most 63)'
  const reserved = RESERVED_DBMS_NAMES.get(name)
  return reserved === undefined ? undefined : `the name is reserved: ${reserved}`
}

export function isValidDbmsName (name: string): boolean {
  return dbmsNameProblem(name) === undefined
}

/** The one check every dbms name passes where it enters storage (PUT, connector tables, local SQL). */
export function assertDbmsName (name: string): void {
  const problem = dbmsNameProblem(name)
  if (problem === undefined) return
  const code = DBMS_NAME.test(name) ? STORAGE_ERRORS.STORAGE_RESERVED_DBMS : STORAGE_ERRORS.STORAGE_INVALID_NAME
  throw new FedlakeError(code, `invalid dbms name '${name}': ${problem}`, { dbms: name })
}

/** Table and column names are quoted everywhere, so only what cannot be quoted sanely is refused. */
export function assertIdentifier (kind: 'table' | 'column', name: string): void {
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > 128 || /[\u0000-\u001f]/.test(name)) {
    throw new FedlakeError(STORAGE_ERRORS.STORAGE_INVALID_NAME, `invalid ${kind} name '${name}'`, { [kind]: name })
  }
}

export function quoteIdent (name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

export function quoteString (text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}
