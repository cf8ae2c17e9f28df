/**
 * Generic walks over expression trees. Any object with a string `class` is an expression; other objects and
 * arrays (case_checks, order_bys, replace_list, ...) are containers searched for expressions. The subquery of a
 * SUBQUERY expression is its own scope and is never entered.
 */
import { isExpr } from './nodes.js'
import type { Expr } from './nodes.js'

/**
 * A copy of `expr` where every node for which `replace` returns an expression is replaced by it (its children are
 * not visited); other nodes are rebuilt from their transformed children. Unchanged subtrees are shared, not copied.
 */
export function transformExpr (expr: Expr, replace: (node: Expr) => Expr | undefined): Expr {
  const replaced = replace(expr)
  if (replaced !== undefined) return replaced
  if (expr.class === 'SUBQUERY') return expr
  let changed = false
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(expr)) {
    const mapped = transformValue(value, replace)
    if (mapped !== value) changed = true
    out[key] = mapped
  }
  return changed ? out as Expr : expr
}

function transformValue (value: unknown, replace: (node: Expr) => Expr | undefined): unknown {
  if (Array.isArray(value)) {
    let changed = false
    const mapped = value.map(item => {
      const m = transformValue(item, replace)
      if (m !== item) changed = true
      return m
    })
    return changed ? mapped : value
  }
  if (value === null || typeof value !== 'object') return value
  if (isExpr(value)) return transformExpr(value, replace)
  let changed = false
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    const m = transformValue(item, replace)
    if (m !== item) changed = true
    out[key] = m
  }
  return changed ? out : value
}

/** Calls `visit` on every expression node under `expr` (itself included), depth first; false stops the descent below a node. */
export function visitExpr (expr: Expr, visit: (node: Expr) => boolean | void): void {
  if (visit(expr) === false || expr.class === 'SUBQUERY') return
  for (const value of Object.values(expr)) visitValue(value, visit)
}

function visitValue (value: unknown, visit: (node: Expr) => boolean | void): void {
  if (Array.isArray(value)) {
    for (const item of value) visitValue(item, visit)
    return
  }
  if (value === null || typeof value !== 'object') return
  if (isExpr(value)) { visitExpr(value, visit); return }
  for (const item of Object.values(value)) visitValue(item, visit)
}

/** Whether some node under `expr` satisfies `test`. */
export function someExpr (expr: Expr, test: (node: Expr) => boolean): boolean {
  let found = false
  visitExpr(expr, node => {
    if (found) return false
    if (test(node)) { found = true; return false }
  })
  return found
}

/** Visits every value of any JSON tree (statements included), for checks that must see inside subqueries too. */
export function visitTree (value: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) visitTree(item, visit)
    return
  }
  if (value === null || typeof value !== 'object') return
  visit(value as Record<string, unknown>)
  for (const item of Object.values(value)) visitTree(item, visit)
}
