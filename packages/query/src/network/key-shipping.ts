/**
 * Key shipping (semi-join reduction) for the relational pull: before the fragments run, the distinct key values
 * of a small fragment's rows are read (a probe: `SELECT DISTINCT k FROM t WHERE <its conditions> LIMIT cap + 1`
 * on its operators, deduplicated again on the query node), and the big fragment is sent with
 * `AND k IN (<those values>)`. The planner says which cuts are correct (see planner/table-references.ts); this
 * module decides at run time which to make:
 * - the source must have pushed conditions (a selective side: without, its keys are likely all the target has);
 * - a cut both ways (an inner join) is made from the smaller side only: the table held by fewer clusters, or
 *   with as many, the one with pushed conditions while the other has none; a one-way cut is skipped when its
 *   target is the smaller side;
 * - one cut per target fragment;
 * - more than the cap's distinct keys (or key bytes), or a cluster left out of the probe (subset): no cut, the
 *   fragment is pulled as before.
 * Probes read the plan's fragments as planned (never cut), so a probe's keys are a superset of what can match
 * and the answer is the same with or without a cut. NULL keys never satisfy the equality and are not shipped.
 * A derived table (a subquery answered on its own before the fragments run) is the smallest side there is: its
 * keys are read on the query node from its answer, the very rows the statement joins.
 */
import type { ResultStream } from '@fedlake/sql'
import { and, boolean, cast, columnRef, distinctModifier, integer, isIn, isNotNull, limitModifier, selectNode, statement as statementOf, varchar, withAlias, baseTable } from '../sql-tree/index.js'
import type { Expr, SelectNode, SelectStatement } from '../sql-tree/index.js'
import type { KeyShipping, NetworkPlan } from '../planner/index.js'

export interface KeyShippingInit {
  readonly plan: NetworkPlan
  readonly maxKeys: number
  readonly maxBytes: number
  /** Clusters the fragment's table is read from (fewer: the smaller side). */
  readonly clusters: (table: string) => number
  /**
   * Runs a one-fragment plan (a probe): its answer, one VARCHAR column, and once read, whether every cluster
   * asked answered (under `subset` one may be left out: its keys would be missing, so no cut is made).
   */
  readonly probe: (plan: NetworkPlan) => Promise<{ readonly stream: ResultStream, readonly complete: () => boolean }>
  /** A line for the query log's explain. */
  readonly explain: (line: string) => void
}

/** The plan with the chosen fragments cut down to their sources' keys, or undefined when none was cut. */
export async function shipKeys (init: KeyShippingInit): Promise<NetworkPlan | undefined> {
  const { plan } = init
  const chosen = chooseCuts(plan, init.clusters)
  if (chosen.length === 0) return undefined
  const cuts = await Promise.all(chosen.map(async cut => ({ cut, keys: await probeKeys(init, cut) })))
  const fragments = plan.fragments.map(fragment => {
    const made = cuts.find(c => c.cut.target === fragment.name)
    if (made === undefined) return fragment
    const describe = `keys of ${made.cut.sourceTable}.${made.cut.sourceColumn} (${made.cut.source}) to ${made.cut.targetTable}.${made.cut.column} (${made.cut.target})`
    if (made.keys === undefined) {
      init.explain(`key shipping skipped: ${describe}: more than ${init.maxKeys} keys or ${init.maxBytes} bytes, or a cluster left out; pulled whole`)
      return fragment
    }
    init.explain(`key shipping: ${describe}: ${made.keys.length} keys shipped`)
    return { ...fragment, statement: withKeys(fragment.statement as SelectStatement, made.cut, made.keys) }
  })
  return cuts.every(c => c.keys === undefined) ? undefined : { ...plan, fragments }
}

function chooseCuts (plan: NetworkPlan, clusters: (table: string) => number): KeyShipping[] {
  const candidates = plan.keyShipping ?? []
  const size = (name: string, table: string): [number, number] => {
    if (plan.derived?.some(d => d.name === name) === true) return [0, 0]
    const node = plan.fragments.find(f => f.name === name)?.statement as SelectStatement | undefined
    return [clusters(table), ((node?.node as SelectNode | undefined)?.where_clause ?? null) === null ? 1 : 0]
  }
  const smaller = (a: [number, number], b: [number, number]): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])
  const chosen = new Map<string, KeyShipping>()
  for (const c of candidates) {
    const source = size(c.source, c.sourceTable)
    const target = size(c.target, c.targetTable)
    const bothWays = candidates.some(o => o.target === c.source && o.source === c.target && o.column === c.sourceColumn && o.sourceColumn === c.column)
    // without a pushed condition the source's keys are likely every value the target has: the probe would cost, not cut
    if (source[1] !== 0 || (bothWays ? !smaller(source, target) : smaller(target, source))) continue
    const other = chosen.get(c.target)
    if (other === undefined || smaller(source, size(other.source, other.sourceTable))) chosen.set(c.target, c)
  }
  return [...chosen.values()]
}

/** The source's distinct non-null keys as DuckDB's text, or undefined over the cap. */
async function probeKeys (init: KeyShippingInit, cut: KeyShipping): Promise<string[] | undefined> {
  const limit = limitModifier(integer(init.maxKeys + 1), null)
  const key = columnRef(cut.sourceColumn)
  const derived = init.plan.derived?.find(d => d.name === cut.source)
  const merge = (from: string): SelectNode => selectNode({ selectList: [withAlias(cast(key, 'VARCHAR'), 'k')], from: baseTable(from), where: derived === undefined ? null : isNotNull(key), modifiers: [distinctModifier(), limit] })
  const explain = [`key probe: distinct ${cut.sourceTable}.${cut.sourceColumn} of ${cut.source}'s rows, at most ${init.maxKeys}${derived === undefined ? '' : ', on the query node'}`]
  const base = { kind: 'network' as const, dbms: init.plan.dbms, outputNames: ['k'], explain }
  let probe: NetworkPlan
  if (derived !== undefined) {
    probe = { ...base, fragments: [], derived: [derived], merge: { kind: 'sql', statement: statementOf(merge(derived.name)) } }
  } else {
    const source = (init.plan.fragments.find(f => f.name === cut.source)?.statement as SelectStatement).node as SelectNode
    const operators = selectNode({ selectList: [key], from: source.from_table, where: and(source.where_clause, isNotNull(key)) ?? null, modifiers: [distinctModifier(), limit] })
    probe = { ...base, fragments: [{ name: '__p0', tables: [cut.sourceTable], statement: statementOf(operators) }], merge: { kind: 'sql', statement: statementOf(merge('__p0')) } }
  }
  const { stream, complete } = await init.probe(probe)
  const keys: string[] = []
  let bytes = 0
  for await (const batch of stream) {
    const vector = batch.vectors[0]
    if (vector === undefined || vector.kind !== 'text') continue
    for (const value of vector.values) {
      if (value === null) continue
      keys.push(value)
      bytes += value.length
      // leaving the loop early ends the stream (its iterator's return)
      if (keys.length > init.maxKeys || bytes > init.maxBytes) return undefined
    }
  }
  return complete() ? keys : undefined
}

/** The fragment with `AND column IN (keys)` (no keys: no row can match). */
function withKeys (fragment: SelectStatement, cut: KeyShipping, keys: readonly string[]): SelectStatement {
  const node = fragment.node as SelectNode
  const literal = (text: string): Expr => cut.type === 'VARCHAR' ? varchar(text) : cast(varchar(text), cut.type)
  const filter = keys.length === 0 ? boolean(false) : isIn(columnRef(cut.column), keys.map(literal))
  return statementOf({ ...node, where_clause: and(node.where_clause, filter) ?? null } satisfies SelectNode)
}
