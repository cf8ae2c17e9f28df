/**
 * The current time as ONE placeholder, substituted at the very end, so that the pre-pass, the parse and the plan
 * of a command text can be cached and reused on every run (Grafana refreshes the same text every few seconds).
 *
 * The placeholder is a TIMESTAMP literal whose text no user writes (nine fractional digits): valid SQL as it
 * stands (the statement still binds and runs, e.g. to learn its output columns), and kept verbatim by DuckDB's
 * parse → print round trip (`CAST('1970-01-01 00:00:00.000000000' AS TIMESTAMP)`). Arithmetic on it stays in
 * SQL, `(TIMESTAMP '...' - INTERVAL '3 days')`, so binding changes nothing but the literal.
 *
 * EdgeLake's now() is the UTC time without a zone (reference/edgelake.md §2.3), which is how timestamps are stored.
 */
export const NOW_MARKER = '1970-01-01 00:00:00.000000000'

const QUOTED_MARKER = `'${NOW_MARKER}'`

/** SQL text of the placeholder as the pre-pass writes it. */
export const NOW_SQL = `TIMESTAMP ${QUOTED_MARKER}`

export function containsNow (sql: string): boolean {
  return sql.includes(QUOTED_MARKER)
}

/** Replaces every placeholder in printed SQL with `nowUtc` as a UTC timestamp literal (microseconds). */
export function bindNow (sql: string, nowUtc: Date): string {
  if (!containsNow(sql)) return sql
  return sql.split(QUOTED_MARKER).join(`'${formatUtcTimestamp(nowUtc)}'`)
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` in UTC. */
export function formatUtcTimestamp (date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date')
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${String(date.getUTCMilliseconds()).padStart(3, '0')}000`
}
