/**
 * The tree-level half of EdgeLake's date strings: a string literal that is compared with a TIMESTAMP column
 * (=, <>, <, <=, >, >=, BETWEEN, IN) and has the shape of a date ('YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS[.f]',
 * '...T...[Z]') is EdgeLake's local time (the sql command's timezone, else the query node's zone) and becomes a
 * TIMESTAMP literal in UTC; T/Z forms are UTC as written. Strings compared with text columns, and strings that do
 * not name a real date, are left alone. This needs the column types, so it runs in the planner, after parsing.
 */
import { cast, isBetween, isComparison, isOperator, stringConstant, timestampLiteral, transformExpr, varchar } from '../sql-tree/index.js'
import type { Expr } from '../sql-tree/index.js'
import { edgeLakeDateToUtc } from './local-time.js'

const ORDERED_COMPARISONS = new Set(['COMPARE_EQUAL', 'COMPARE_NOTEQUAL', 'COMPARE_LESSTHAN', 'COMPARE_GREATERTHAN', 'COMPARE_LESSTHANOREQUALTO', 'COMPARE_GREATERTHANOREQUALTO', 'COMPARE_DISTINCT_FROM', 'COMPARE_NOT_DISTINCT_FROM'])

/** `expr` with the date strings that meet a timestamp column as UTC TIMESTAMP literals. */
export function resolveTimestampLiterals (expr: Expr, isTimestampColumn: (ref: Expr) => boolean, timeZone: string): Expr {
  const literal = (side: Expr): Expr | undefined => {
    const text = stringConstant(side)
    if (text === undefined) return undefined
    const date = edgeLakeDateToUtc(text, timeZone)
    return date === undefined ? undefined : timestampLiteral(date.utc)
  }
  const resolve = (node: Expr): Expr | undefined => {
    if (isComparison(node) && ORDERED_COMPARISONS.has(node.type)) {
      if (isTimestampColumn(node.left)) { const right = literal(node.right); if (right !== undefined) return { ...node, left: node.left, right } }
      if (isTimestampColumn(node.right)) { const left = literal(node.left); if (left !== undefined) return { ...node, left, right: node.right } }
      return undefined
    }
    if (isBetween(node) && isTimestampColumn(node.input)) {
      const lower = literal(node.lower) ?? node.lower
      const upper = literal(node.upper) ?? node.upper
      return { ...node, lower: transformExpr(lower, resolve), upper: transformExpr(upper, resolve) }
    }
    if (isOperator(node) && (node.type === 'COMPARE_IN' || node.type === 'COMPARE_NOT_IN') && node.children[0] !== undefined && isTimestampColumn(node.children[0])) {
      return { ...node, children: node.children.map((child, i) => i === 0 ? child : literal(child) ?? child) }
    }
    return undefined
  }
  return transformExpr(expr, resolve)
}

/** A date string read as EdgeLake does (local → UTC), for period()'s date argument; other expressions unchanged. */
export function resolveDateArgument (expr: Expr, timeZone: string): Expr {
  const text = stringConstant(expr)
  if (text === undefined) return expr
  const date = edgeLakeDateToUtc(text, timeZone)
  return date === undefined ? cast(varchar(text), 'TIMESTAMP') : timestampLiteral(date.utc)
}
