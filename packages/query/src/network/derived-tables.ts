/**
 * The derived tables of a relational pull (planner/derived-tables.ts) at run time: each subquery's own network
 * query runs first and its answer is read whole (a few rows: an aggregation's groups, a LIMIT's rows), then it is
 * staged in the merge DuckDB as table `__sq<i>` under the names the statement reads it by, for the merge and for
 * key probes (key-shipping.ts). Its operators' rows count against the query's merge cap as they arrive (the
 * subquery runs with the query's MergeBudget), and its answer's rows count again when staged.
 */
import { CORE_ERRORS, FedlakeError } from '@fedlake/core'
import type { MergeFragment } from '@fedlake/duckdb'
import type { ResultBatch, ResultField, ResultStream } from '@fedlake/sql'
import type { DerivedTable, NetworkPlan } from '../planner/index.js'
import type { MergeBudget } from './merge-cap.js'

export interface NodeCounts { readonly target: number, readonly participating: number }

export interface MaterializedTable {
  readonly fields: readonly ResultField[]
  readonly batches: readonly ResultBatch[]
  /** Operators the subquery asked and those that answered. */
  readonly nodes: () => NodeCounts
}

export type Materialized = ReadonlyMap<string, MaterializedTable>

/** Runs every derived subquery of the plan (at once) and reads each answer whole. */
export async function materializeDerived (plan: NetworkPlan, run: (table: DerivedTable) => Promise<{ readonly stream: ResultStream, nodes: () => NodeCounts }>): Promise<Materialized> {
  const out = new Map<string, MaterializedTable>()
  await Promise.all((plan.derived ?? []).map(async table => {
    const answer = await run(table)
    const batches: ResultBatch[] = []
    for await (const batch of answer.stream) batches.push(batch)
    out.set(table.name, { fields: answer.stream.fields.map((f, i) => ({ name: table.columns[i] ?? f.name, type: f.type })), batches, nodes: answer.nodes })
  }))
  return out
}

/** The plan's derived tables as merge fragments, counted by the budget as they are staged. */
export function derivedFragments (plan: NetworkPlan, materialized: Materialized, budget: MergeBudget): Required<MergeFragment>[] {
  return (plan.derived ?? []).map(table => {
    const rows = materialized.get(table.name)
    if (rows === undefined) throw new FedlakeError(CORE_ERRORS.INTERNAL, `derived table ${table.name} was not materialized`, { table: table.name })
    return { name: table.name, fields: rows.fields, batches: budget.counted(replay(rows.batches)), excluded: () => new Set<number>() }
  })
}

/** The operators a query's derived subqueries asked and heard from. */
export function derivedNodes (materialized: Materialized): NodeCounts {
  let target = 0
  let participating = 0
  for (const table of materialized.values()) {
    const n = table.nodes()
    target += n.target
    participating += n.participating
  }
  return { target, participating }
}

async function * replay (batches: readonly ResultBatch[]): AsyncGenerator<{ source: number, batch: ResultBatch }> {
  for (const batch of batches) yield { source: 0, batch }
}
