/**
 * The time span the WHERE clause allows a timestamp column, for increments(col[, points]) (EdgeLake takes the
 * bucket width from it). Bounds are read from top-level AND conjuncts comparing the column with a constant
 * timestamp: a literal, the now placeholder, either shifted by INTERVAL constants. Month and year shifts count as
 * 30.44 and 365.25 days: the span only chooses a bucket width.
 */
import { NOW_MARKER, edgeLakeDateToUtc, timeUnitOf, UNIT_SECONDS } from '../dates/index.js'
import { isBetween, isCast, isComparison, isConjunction, isFunction, stringConstant } from '../sql-tree/index.js'
import type { Expr } from '../sql-tree/index.js'

/** An instant: fixed (epoch ms), or now() shifted by `ms`. */
export type Instant = { readonly relativeToNow: false, readonly ms: number } | { readonly relativeToNow: true, readonly ms: number }

export interface ColumnBounds {
  readonly lower?: Instant
  readonly upper?: Instant
}

export function boundsOf (where: Expr | null, isColumn: (e: Expr) => boolean): ColumnBounds {
  let lower: Instant | undefined
  let upper: Instant | undefined
  for (const conjunct of conjuncts(where)) {
    if (isBetween(conjunct) && isColumn(conjunct.input)) {
      lower ??= instantOf(conjunct.lower)
      upper ??= instantOf(conjunct.upper)
      continue
    }
    if (!isComparison(conjunct)) continue
    const flipped = isColumn(conjunct.right)
    if (!flipped && !isColumn(conjunct.left)) continue
    const instant = instantOf(flipped ? conjunct.left : conjunct.right)
    if (instant === undefined) continue
    const type = flipped ? flip(conjunct.type) : conjunct.type
    if (type === 'COMPARE_GREATERTHAN' || type === 'COMPARE_GREATERTHANOREQUALTO') lower ??= instant
    else if (type === 'COMPARE_LESSTHAN' || type === 'COMPARE_LESSTHANOREQUALTO') upper ??= instant
  }
  return { ...(lower === undefined ? {} : { lower }), ...(upper === undefined ? {} : { upper }) }
}

export function conjuncts (where: Expr | null): Expr[] {
  if (where === null) return []
  if (isConjunction(where) && where.type === 'CONJUNCTION_AND') return where.children.flatMap(c => conjuncts(c))
  return [where]
}

function flip (type: string): string {
  return ({ COMPARE_GREATERTHAN: 'COMPARE_LESSTHAN', COMPARE_LESSTHAN: 'COMPARE_GREATERTHAN', COMPARE_GREATERTHANOREQUALTO: 'COMPARE_LESSTHANOREQUALTO', COMPARE_LESSTHANOREQUALTO: 'COMPARE_GREATERTHANOREQUALTO' } as Record<string, string>)[type] ?? type
}

/** The instant a constant timestamp expression stands for, or undefined when it is not one. */
export function instantOf (expr: Expr): Instant | undefined {
  if (isCast(expr) && (expr.cast_type.id === 'TIMESTAMP' || expr.cast_type.id === 'DATE' || expr.cast_type.id === 'TIMESTAMP WITH TIME ZONE')) {
    const text = stringConstant(expr.child)
    if (text === NOW_MARKER) return { relativeToNow: true, ms: 0 }
    return text === undefined ? instantOf(expr.child) : fixed(text)
  }
  const text = stringConstant(expr)
  if (text !== undefined) return fixed(text)
  if (isFunction(expr) && expr.function_name === 'date_trunc' && expr.children.length === 2) return instantOf(expr.children[1] as Expr)
  if (isFunction(expr) && expr.is_operator && (expr.function_name === '+' || expr.function_name === '-') && expr.children.length === 2) {
    const base = instantOf(expr.children[0] as Expr)
    const shift = intervalMs(expr.children[1] as Expr)
    if (base === undefined || shift === undefined) return undefined
    return { ...base, ms: base.ms + (expr.function_name === '+' ? shift : -shift) }
  }
  return undefined
}

function fixed (text: string): Instant | undefined {
  const date = edgeLakeDateToUtc(text, 'UTC')
  return date === undefined ? undefined : { relativeToNow: false, ms: Date.parse(`${date.utc.replace(' ', 'T').slice(0, 23)}Z`) }
}

/** Milliseconds of an INTERVAL constant such as INTERVAL '3 days'. */
function intervalMs (expr: Expr): number | undefined {
  if (!isCast(expr) || expr.cast_type.id !== 'INTERVAL') return undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(stringConstant(expr.child) ?? '')
  const unit = m === null ? undefined : timeUnitOf(m[2] as string)
  return unit === undefined ? undefined : Number((m as RegExpExecArray)[1]) * UNIT_SECONDS[unit] * 1000
}
