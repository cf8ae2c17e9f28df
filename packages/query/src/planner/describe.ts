/**
 * SQL-like text of an expression for explain lines and error messages only (statements are printed by DuckDB).
 * Common shapes are written out; anything else shows as its node class.
 */
import { NUMBER_TOKEN_MARKER } from '@fedlake/sql'
import { NOW_MARKER } from '../dates/index.js'
import { isBetween, isCast, isColumnRef, isComparison, isConjunction, isConstant, isFunction, isOperator } from '../sql-tree/index.js'
import type { Expr } from '../sql-tree/index.js'

const COMPARISON_SYMBOLS: Readonly<Record<string, string>> = {
  COMPARE_EQUAL: '=', COMPARE_NOTEQUAL: '<>', COMPARE_LESSTHAN: '<', COMPARE_GREATERTHAN: '>',
  COMPARE_LESSTHANOREQUALTO: '<=', COMPARE_GREATERTHANOREQUALTO: '>=', COMPARE_DISTINCT_FROM: 'IS DISTINCT FROM',
  COMPARE_NOT_DISTINCT_FROM: 'IS NOT DISTINCT FROM'
}

export function describe (expr: Expr): string {
  if (isColumnRef(expr)) return expr.column_names.join('.')
  if (isConstant(expr)) {
    if (expr.value.is_null) return 'NULL'
    const v = expr.value.value
    if (typeof v === 'string') return v === NOW_MARKER ? 'now()' : v.startsWith(NUMBER_TOKEN_MARKER) ? v.slice(NUMBER_TOKEN_MARKER.length) : `'${v}'`
    return typeof v === 'object' ? expr.value.type.id : String(v)
  }
  if (isCast(expr)) {
    if (isConstant(expr.child) && expr.child.value.value === NOW_MARKER) return 'now()'
    return `CAST(${describe(expr.child)} AS ${expr.cast_type.id})`
  }
  if (isFunction(expr)) {
    const args = expr.children.map(describe)
    if (expr.is_operator && args.length === 2) return `(${args[0] as string} ${expr.function_name} ${args[1] as string})`
    if (expr.is_operator && args.length === 1) return `${expr.function_name}${args[0] as string}`
    const name = expr.function_name === 'count_star' ? 'count' : expr.function_name
    const inner = expr.function_name === 'count_star' ? '*' : `${expr.distinct ? 'DISTINCT ' : ''}${args.join(', ')}`
    return `${name}(${inner})${expr.filter === null ? '' : ` FILTER (WHERE ${describe(expr.filter)})`}`
  }
  if (isComparison(expr)) return `${describe(expr.left)} ${COMPARISON_SYMBOLS[expr.type] ?? expr.type} ${describe(expr.right)}`
  if (isConjunction(expr)) return `(${expr.children.map(describe).join(expr.type === 'CONJUNCTION_AND' ? ' AND ' : ' OR ')})`
  if (isBetween(expr)) return `${describe(expr.input)} BETWEEN ${describe(expr.lower)} AND ${describe(expr.upper)}`
  if (isOperator(expr)) {
    const [first, ...rest] = expr.children.map(describe)
    if (expr.type === 'OPERATOR_NOT') return `NOT ${first as string}`
    if (expr.type === 'OPERATOR_IS_NULL') return `${first as string} IS NULL`
    if (expr.type === 'OPERATOR_IS_NOT_NULL') return `${first as string} IS NOT NULL`
    if (expr.type === 'COMPARE_IN' || expr.type === 'COMPARE_NOT_IN') return `${first as string} ${expr.type === 'COMPARE_IN' ? 'IN' : 'NOT IN'} (${rest.join(', ')})`
  }
  if (expr.class === 'WINDOW') return `${String(expr.function_name)}(...) OVER (...)`
  if (expr.class === 'STAR') return '*'
  return expr.class.toLowerCase()
}
