/**
 * Where a query's time range starts: the WHERE clause's lower bound on a TIMESTAMP column of the queried tables
 * (top-level AND conjuncts, as planner/time-span.ts reads them). Targets compare it with the operators' ingest
 * watermarks (targets.ts). Bounds are read as UTC: with another `timezone` the query counts as unbounded, which
 * makes the choice the safe one (the member that has held its table longest).
 */
import type { TableSchema } from '@fedlake/core'
import { boundsOf } from '../planner/time-span.js'
import type { Instant } from '../planner/time-span.js'
import { isColumnRef, isSelectNode } from '../sql-tree/index.js'
import type { QueryNode } from '../sql-tree/index.js'

export function queriedFrom (statement: unknown, schemas: ReadonlyMap<string, TableSchema>, timeZone: string | undefined): Instant | undefined {
  if (timeZone !== undefined && timeZone.toUpperCase() !== 'UTC') return undefined
  const node = (statement as { node?: QueryNode } | null)?.node
  if (node === undefined || !isSelectNode(node)) return undefined
  const timestamps = new Set([...schemas.values()].flatMap(s => s.columns.filter(c => c.type === 'TIMESTAMP').map(c => c.name.toLowerCase())))
  return boundsOf(node.where_clause, e => isColumnRef(e) && timestamps.has((e.column_names[e.column_names.length - 1] ?? '').toLowerCase())).lower
}

/** The instant in epoch ms, now() being `now`. */
export function instantMs (instant: Instant, now: Date): number {
  return instant.relativeToNow ? now.getTime() + instant.ms : instant.ms
}
