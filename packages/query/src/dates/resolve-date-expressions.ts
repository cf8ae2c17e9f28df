/**
 * The textual pre-pass that turns EdgeLake's date expressions into DuckDB SQL before DuckDB parses the statement
 * (DuckDB cannot parse `now() - 3 days`). Strings, quoted identifiers and comments are never touched.
 *
 *   now()                         → TIMESTAMP '<now placeholder>'            (see now-marker.ts)
 *   date()                        → CAST(TIMESTAMP '<now>' AS DATE)
 *   now() - 3 days, NOW() -2h     → (TIMESTAMP '<now>' - INTERVAL '3 days')  units: second(s) minute(s) hour(s) day(s)
 *                                   week(s) month(s) year(s), or s t(minute) h d w m(month) y; spaces optional
 *   '2026-01-01 10:00:00' - 1 day → (TIMESTAMP '<that local time in UTC>' - INTERVAL '1 day')
 *   ts > -4t                      → ts > (TIMESTAMP '<now>' - INTERVAL '4 minutes')   (a bare shift is from now)
 *   date('now', 'start of month', '+1 month', '-1 day'), timestamp('2020-05-28 18:56:49', '+1 month')
 *                                 → SQL over the placeholder (sqlite-date-functions.ts)
 *   period(minute, 10, now(), ts, and device = 'x') → period(minute, 10, ..., ts, device = 'x')
 *
 * Where a rewrite could change valid DuckDB SQL it is not made: a shift needs a head that DuckDB cannot bind
 * (now(), date(), a date string, a SQLite date function), and a bare `- 3 d` is only read as a date outside a
 * SELECT list, where DuckDB would take `d` for a column alias (`select a > -3 d` stays as written).
 * DuckDB's own forms (`interval '3 days'`, `now() - INTERVAL 3 DAY`, `current_timestamp`) are left alone,
 * except that EdgeLake's `now()` always becomes the placeholder, so every operator and the merge see one instant.
 *
 * A date string that is merely compared with a timestamp column (`ts > '2026-01-01 10:00:00'`) is not rewritten
 * here, where column types are unknown: the planner does that (timestamp-literals.ts).
 */
import { FedlakeError } from '@fedlake/core'
import { QUERY_ERRORS } from '../errors.js'
import { edgeLakeDateToUtc, looksLikeEdgeLakeDate, resolveTimeZone } from './local-time.js'
import { NOW_SQL } from './now-marker.js'
import { sqliteDateFunctionSql } from './sqlite-date-functions.js'
import type { SqliteDateFunction } from './sqlite-date-functions.js'
import { scanSql, significantIndexes, sqlString, stringValue } from './sql-tokens.js'
import type { SqlToken } from './sql-tokens.js'
import { arithmeticUnitOf, intervalText } from './time-units.js'

export interface DateExpressionOptions {
  /** Zone of `'YYYY-MM-DD HH:MM:SS'` literals: the sql command's `timezone` option; @default the process's zone */
  readonly timeZone?: string
}

const CLAUSE_WORDS = new Set(['select', 'from', 'where', 'group', 'having', 'order', 'limit', 'offset', 'qualify', 'window', 'on', 'using', 'returning', 'union', 'except', 'intersect'])
const COMPARISONS = new Set(['=', '==', '<', '>', '<=', '>=', '<>', '!='])
/** Words before a string that make it a typed literal (DuckDB SQL, left alone). */
const TYPE_WORDS = new Set(['timestamp', 'timestamptz', 'date', 'time', 'interval', 'datetime'])

interface Frame {
  clause: string
  readonly isPeriod: boolean
  betweenPending: boolean
  /** Position of the AND that closed the last BETWEEN (a value follows it). */
  betweenAndAt: number
}

interface Replacement {
  /** Token range [from, to) in the full token list. */
  readonly from: number
  readonly to: number
  readonly text: string
}

export function resolveDateExpressions (sql: string, options: DateExpressionOptions = {}): string {
  if (!/now|date|timestamp|period|[+-]\s*\d/i.test(sql)) return sql
  const tokens = scanSql(sql)
  const sig = significantIndexes(tokens)
  const at = (p: number): SqlToken | undefined => { const i = sig[p]; return i === undefined ? undefined : tokens[i] }
  const word = (p: number): string | undefined => { const t = at(p); return t?.kind === 'word' ? t.text.toLowerCase() : undefined }
  let timeZone: string | undefined
  const zone = (): string => (timeZone ??= resolveTimeZone(options.timeZone))

  const replacements: Replacement[] = []
  const replace = (fromP: number, toP: number, text: string): void => {
    replacements.push({ from: sig[fromP] as number, to: (sig[toP - 1] as number) + 1, text })
  }
  const stack: Frame[] = [{ clause: 'statement', isPeriod: false, betweenPending: false, betweenAndAt: -1 }]

  for (let p = 0; p < sig.length; p++) {
    const token = at(p) as SqlToken
    const frame = stack[stack.length - 1] as Frame
    const lower = token.kind === 'word' ? token.text.toLowerCase() : undefined

    const head = dateHead(p)
    if (head !== undefined) {
      const shifts = readShifts(head.end)
      if (head.sql !== undefined || shifts.terms.length > 0) {
        const base = head.sql ?? literalHeadSql(head.literal as string)
        replace(p, shifts.end, shifts.terms.length === 0 ? base : `(${base}${shifts.terms.join('')})`)
        p = shifts.end - 1
        continue
      }
    }
    if (token.kind === 'op' && (token.text === '+' || token.text === '-') && frame.clause !== 'select' && isOperandPosition(p, frame)) {
      const shifts = readShifts(p)
      if (shifts.terms.length > 0) {
        replace(p, shifts.end, `(${NOW_SQL}${shifts.terms.join('')})`)
        p = shifts.end - 1
        continue
      }
    }

    if (lower !== undefined && CLAUSE_WORDS.has(lower)) frame.clause = lower
    else if (lower === 'between') frame.betweenPending = true
    else if (lower === 'and' && frame.betweenPending) { frame.betweenPending = false; frame.betweenAndAt = p }
    else if (lower === 'and' && frame.isPeriod && at(p - 1)?.kind === 'comma') replace(p, p + 1, '')
    else if (token.kind === 'open') stack.push({ clause: 'expression', isPeriod: word(p - 1) === 'period', betweenPending: false, betweenAndAt: -1 })
    else if (token.kind === 'close' && stack.length > 1) stack.pop()
  }
  return replacements.length === 0 ? sql : applyReplacements(tokens, replacements)

  /** A date expression starting at p: its SQL (or the literal it is built on) and the position after it. */
  function dateHead (p: number): { sql?: string, literal?: string, end: number } | undefined {
    const token = at(p) as SqlToken
    const name = word(p)
    if ((name === 'now' || name === 'date') && at(p + 1)?.kind === 'open' && at(p + 2)?.kind === 'close' && at(p - 1)?.text !== '.') {
      return { sql: name === 'now' ? NOW_SQL : `CAST(${NOW_SQL} AS DATE)`, end: p + 3 }
    }
    if ((name === 'date' || name === 'timestamp') && at(p + 1)?.kind === 'open' && at(p + 2)?.kind === 'string' && at(p - 1)?.text !== '.') {
      const args: string[] = []
      let q = p + 2
      while (at(q)?.kind === 'string') {
        args.push(stringValue(at(q) as SqlToken))
        if (at(q + 1)?.kind === 'comma') q += 2
        else break
      }
      if (at(q + 1)?.kind !== 'close') return undefined
      return { sql: sqliteDateFunctionSql(name as SqliteDateFunction, args), end: q + 2 }
    }
    if (token.kind === 'string' && !TYPE_WORDS.has(word(p - 1) ?? '') && at(p - 1)?.text !== '::') {
      const value = stringValue(token)
      if (looksLikeEdgeLakeDate(value)) return { literal: value, end: p + 1 }
    }
    return undefined
  }

  function literalHeadSql (value: string): string {
    const date = edgeLakeDateToUtc(value, zone())
    if (date === undefined) throw new FedlakeError(QUERY_ERRORS.DATE_EXPRESSION_INVALID, `'${value}' is not a valid date`)
    return `TIMESTAMP ${sqlString(date.utc)}`
  }

  /** `± N unit` terms from p on, as ` - INTERVAL '3 days'` texts, and the position after the last. */
  function readShifts (p: number): { terms: string[], end: number } {
    const terms: string[] = []
    let q = p
    for (;;) {
      const sign = at(q)
      const count = at(q + 1)
      const unitWord = at(q + 2)
      if (sign?.kind !== 'op' || (sign.text !== '+' && sign.text !== '-')) break
      if (count?.kind !== 'number' || !/^\d+$/.test(count.text) || unitWord?.kind !== 'word') break
      const unit = arithmeticUnitOf(unitWord.text)
      const after = at(q + 3)
      if (unit === undefined || after?.kind === 'open' || after?.text === '.') break
      terms.push(` ${sign.text} INTERVAL ${sqlString(intervalText(Number(count.text), unit))}`)
      q += 3
    }
    return { terms, end: q }
  }

  /** A bare shift must stand where a value is expected: after a comparison, BETWEEN/AND, '(' or ','. */
  function isOperandPosition (p: number, frame: Frame): boolean {
    const before = at(p - 1)
    if (before === undefined) return false
    if (before.kind === 'op') return COMPARISONS.has(before.text)
    if (before.kind === 'open' || before.kind === 'comma') return true
    const w = word(p - 1)
    return w === 'between' || (w === 'and' && frame.betweenAndAt === p - 1)
  }
}

function applyReplacements (tokens: readonly SqlToken[], replacements: readonly Replacement[]): string {
  let out = ''
  let next = 0
  for (const r of [...replacements].sort((a, b) => a.from - b.from)) {
    for (let i = next; i < r.from; i++) out += (tokens[i] as SqlToken).text
    out += r.text
    next = r.to
  }
  for (let i = next; i < tokens.length; i++) out += (tokens[i] as SqlToken).text
  return out
}
