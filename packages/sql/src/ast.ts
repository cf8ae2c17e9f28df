/**
 * The shape of DuckDB's `json_serialize_sql(sql)` output, which the validator walks and the planner rewrites.
 * DuckDB serialises only SELECT statements; anything else comes back as an error of type 'not implemented'.
 *
 * DuckDB prints non-finite DOUBLE constants as bare `Infinity`, `-Infinity` and `NaN` tokens, which are not
 * JSON (`select 1e400`); integers beyond 2^53 (BIGINT and HUGEINT constants, wide DECIMAL values,
 * query_location's uint64 'none') that JSON.parse would round (`where pid = 9007199254740993` would silently
 * become ...992); and integral DOUBLEs (`1e9` is `1000000000.0`), which JSON.stringify would write as an integer
 * that json_deserialize_sql then refuses for a DOUBLE. `parsedSqlFromJson` reads these as marker strings
 * (NON_FINITE_MARKER or NUMBER_TOKEN_MARKER followed by the token), and `printableAstJson` writes the markers back
 * as the same tokens, so a tree read here prints back to the same SQL.
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

/** The string a non-finite number token is read as (and written back from). */
export const NON_FINITE_MARKER = '\u0000fedlake:non-finite:'
/** The string a number token JSON cannot carry exactly is read as, followed by the token as DuckDB wrote it. */
export const NUMBER_TOKEN_MARKER = '\u0000fedlake:number:'
const NON_FINITE_TOKENS = ['-Infinity', 'Infinity', 'NaN'] as const

/** Reads the JSON text json_serialize_sql returned. */
export function parsedSqlFromJson (text: string): ParsedSql {
  const value = JSON.parse(quoteNonJsonNumbers(text)) as Record<string, unknown>
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

/** The JSON text json_deserialize_sql takes for `parsed`, with non-finite constants as DuckDB wrote them. */
export function printableAstJson (parsed: ParsedSqlOk): string {
  const text = JSON.stringify(parsed)
  if (!text.includes('\\u0000fedlake:')) return text
  return text
    .replace(/"\\u0000fedlake:non-finite:(-Infinity|Infinity|NaN)"/g, '$1')
    .replace(/"\\u0000fedlake:number:(-?[\d.eE+-]+)"/g, '$1')
}

/** Wraps bare Infinity/-Infinity/NaN tokens and numbers JSON cannot carry exactly (outside strings) in marker strings. */
function quoteNonJsonNumbers (text: string): string {
  if (!/Infinity|NaN|\d{16}|\d\.0|\d[eE]/.test(text)) return text
  let out = ''
  let from = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) { inString = true; continue }
    if ((c >= 0x30 && c <= 0x39) || (c === 0x2d && isDigit(text.charCodeAt(i + 1)))) {
      let end = i + 1
      while (end < text.length && isNumberChar(text.charCodeAt(end))) end++
      const token = text.slice(i, end)
      if (!numberSurvivesJson(token)) {
        out += text.slice(from, i) + JSON.stringify(NUMBER_TOKEN_MARKER + token)
        from = end
      }
      i = end - 1
      continue
    }
    for (const token of NON_FINITE_TOKENS) {
      if (text.startsWith(token, i)) {
        out += text.slice(from, i) + JSON.stringify(NON_FINITE_MARKER + token)
        i += token.length - 1
        from = i + 1
        break
      }
    }
  }
  return out + text.slice(from)
}

/** Whether JSON.parse then JSON.stringify gives back a token DuckDB reads as the same number of the same kind. */
function numberSurvivesJson (token: string): boolean {
  const value = Number(token)
  if (/^-?\d+$/.test(token)) return Number.isSafeInteger(value)
  return !Number.isInteger(value) || /[.eE]/.test(JSON.stringify(value))
}

function isDigit (c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** Characters of a JSON number after its first: digits, '.', 'e', 'E', '+', '-'. */
function isNumberChar (c: number): boolean {
  return isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d
}
