/**
 * The shape of DuckDB's `json_serialize_sql(sql)` output, which storage produces and the validator walks.
 * DuckDB serialises only SELECT statements; anything else comes back as an error of type 'not implemented'.
 */
export type ParsedSql = ParsedSqlOk | ParsedSqlError

export interface ParsedSqlOk {
  readonly error: false
  /** One entry per statement; each has a `node` (SELECT_NODE, SET_OPERATION_NODE, ...). */
  readonly statements: readonly unknown[]
}

export interface ParsedSqlError {
  readonly error: true
  /** 'parser' for syntax errors, 'not implemented' for statements that are not SELECTs. */
  readonly error_type: string
  readonly error_message: string
  readonly error_subtype?: string
  /** Character offset of a syntax error, as DuckDB reports it (a string). */
  readonly position?: string
}

/** Reads the JSON text json_serialize_sql returned. */
export function parsedSqlFromJson (text: string): ParsedSql {
  const value = JSON.parse(text) as Record<string, unknown>
  if (value.error === true) {
    return {
      error: true,
      error_type: String(value.error_type ?? ''),
      error_message: String(value.error_message ?? ''),
      ...(typeof value.error_subtype === 'string' ? { error_subtype: value.error_subtype } : {}),
      ...(value.position !== undefined ? { position: String(value.position) } : {})
    }
  }
  return { error: false, statements: Array.isArray(value.statements) ? value.statements : [] }
}
