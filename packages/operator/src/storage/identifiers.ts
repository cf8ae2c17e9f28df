import { FedlakeError } from '@fedlake/core'
import { STORAGE_ERRORS } from '../errors-storage.js'

/** A dbms name is also a file name (`<dbms>.duckdb`) and DuckDB's catalog name: kept to a safe, lower-case set. */
const DBMS_NAME = /^[a-z0-9_][a-z0-9_]{0,62}$/

export function isValidDbmsName (name: string): boolean {
  return DBMS_NAME.test(name)
}

export function assertDbmsName (name: string): void {
  if (!isValidDbmsName(name)) {
    throw new FedlakeError(STORAGE_ERRORS.STORAGE_INVALID_NAME, `invalid dbms name '${name}': use lower-case letters, digits and _ (at most 63)`, { dbms: name })
  }
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
