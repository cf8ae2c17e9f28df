/** Reading constant values out of the parse tree. */
import { NUMBER_TOKEN_MARKER } from '@fedlake/sql'
import { isCast, isConstant } from './nodes.js'
import type { Expr } from './nodes.js'

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT'])

/** The integer a constant holds (INTEGER/BIGINT/HUGEINT, also through a cast), or undefined; NULL gives null. */
export function integerConstant (expr: Expr): bigint | null | undefined {
  const constant = isCast(expr) && isConstant(expr.child) && INTEGER_TYPES.has(expr.cast_type.id) ? expr.child : expr
  if (!isConstant(constant)) return undefined
  if (constant.value.is_null) return null
  const raw = constant.value.value
  if (typeof raw === 'number' && Number.isInteger(raw)) return BigInt(raw)
  if (typeof raw === 'string' && raw.startsWith(NUMBER_TOKEN_MARKER) && /^-?\d+$/.test(raw.slice(NUMBER_TOKEN_MARKER.length))) return BigInt(raw.slice(NUMBER_TOKEN_MARKER.length))
  if (constant.value.type.id === 'HUGEINT' && typeof raw === 'object' && raw !== null) {
    const { upper, lower } = raw as { upper: unknown, lower: unknown }
    const big = (v: unknown): bigint => typeof v === 'string' && v.startsWith(NUMBER_TOKEN_MARKER) ? BigInt(v.slice(NUMBER_TOKEN_MARKER.length)) : BigInt(v as number)
    return (big(upper) << 64n) + big(lower)
  }
  return undefined
}

/** The text of a VARCHAR constant, or undefined. */
export function stringConstant (expr: Expr): string | undefined {
  if (!isConstant(expr) || expr.value.is_null || expr.value.type.id !== 'VARCHAR') return undefined
  return typeof expr.value.value === 'string' ? expr.value.value : undefined
}

export function isNullConstant (expr: Expr): boolean {
  return isConstant(expr) && expr.value.is_null
}
