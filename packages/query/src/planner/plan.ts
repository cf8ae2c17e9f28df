/**
 * The plan of one network query, as data (it is cached by command text and shown by explain):
 *
 *   fragments ──(each operator holding the fragment's tables runs its statement)──▶ partial rows
 *   partial rows of fragment i ──▶ table __p<i> in the query node's merge DuckDB ──▶ merge ──▶ the answer
 *
 * The executor prints each statement with createSqlParser().print, substitutes the time placeholder with bindNow,
 * and keeps each __p<i> with the column types the operators returned (HUGEINT partial sums included: a lossy
 * transport would make the merge wrong). When no operator answered, __p<i> is created empty with the types the
 * fragment statement has over empty tables.
 */
import type { TableSchema } from '@fedlake/core'

/** What the planner knows of the queried dbms: table schemas by lower-case name. */
export interface PlanCatalog {
  readonly dbms: string
  readonly tables: ReadonlyMap<string, TableSchema>
}

export interface PlanOptions {
  /**
   * Zone of date strings compared with timestamp columns and of period()'s date ('YYYY-MM-DD HH:MM:SS' is local time
   * in EdgeLake): the sql command's `timezone` option. @default the process's time zone
   */
  readonly timeZone?: string
  /**
   * The current time, read only by increments(col) when its WHERE mixes a fixed bound with a bound relative to
   * now(); the plan then says dependsOnNow and must not be cached. @default new Date()
   */
  readonly now?: Date
}

export interface Fragment {
  /** The table the merge statement reads this fragment's rows from: '__p0', '__p1', ... */
  readonly name: string
  /** Tables the fragment reads: its targets are the operators holding them. */
  readonly tables: readonly string[]
  /** A json_serialize_sql statement (`{ node, named_param_map }`). */
  readonly statement: unknown
}

export type Merge =
  /** Rows as they arrive from the operators (a plain SELECT without ORDER BY): skip `offset`, stop after `limit`. Columns are outputNames, by position. */
  | { readonly kind: 'concat', readonly offset: number, readonly limit: number | null }
  /** A statement over the fragments' tables giving the final rows, its columns named outputNames exactly, in order. */
  | { readonly kind: 'sql', readonly statement: unknown }
  /**
   * A plain SELECT with ORDER BY: every operator sends its rows sorted, the query node merges the sorted streams
   * (network/ordered-merge.ts), skips `offset` rows and stops after `limit`; the answer is the fragment's first
   * `columns` columns (outputNames, by position), the rest are hidden ORDER BY keys. `statement` is the same merge
   * as SQL over __p0, run instead when a key's type has no exact comparator on the query node.
   */
  | { readonly kind: 'ordered', readonly keys: readonly OrderKey[], readonly columns: number, readonly offset: number, readonly limit: number | null, readonly statement: unknown }

/** One ORDER BY term of an ordered merge: a column of the fragment's rows, and DuckDB's direction and NULL order. */
export interface OrderKey {
  readonly column: number
  readonly descending: boolean
  readonly nullsFirst: boolean
}

export interface NetworkPlan {
  readonly kind: 'network'
  readonly dbms: string
  readonly fragments: readonly Fragment[]
  readonly merge: Merge
  /** The answer's column names (DuckDB's names for the user's query). */
  readonly outputNames: readonly string[]
  /** Human lines: what is pushed down, what stays on the query node, and why. */
  readonly explain: readonly string[]
  /** The plan was made for one instant (see PlanOptions.now): do not cache it. */
  readonly dependsOnNow?: boolean
  /** Fragments the executor may cut down to the key values of another fragment's rows (relational pull). */
  readonly keyShipping?: readonly KeyShipping[]
  /**
   * Subqueries (in FROM, or CTEs) answered by network queries of their own before the fragments run (relational
   * pull): each answer is loaded into the merge DuckDB as table `name`, which the merge statement reads.
   */
  readonly derived?: readonly DerivedTable[]
}

/** A subquery over one distributed table that a specific strategy answers on its own. */
export interface DerivedTable {
  /** The table the merge statement (and key probes) read its rows from: '__sq0', '__sq1', ... */
  readonly name: string
  /** How the statement names it: the subquery's alias or the CTE's name. */
  readonly label: string
  /** Its own plan, and the strategy's name ('split aggregation', 'plain select (top-N)', ...). */
  readonly plan: NetworkPlan
  readonly strategy: string
  /** The subquery as a statement: bound over empty tables it gives the answer's types. */
  readonly statement: unknown
  /** The column names the statement reads it by (DuckDB's names for the subquery's columns). */
  readonly columns: readonly string[]
}

/**
 * `target` may be run with `AND column IN (<the distinct non-null values of sourceColumn in source's rows>)`:
 * every row of target the answer uses matches some row of source on them (see table-references.ts). The source is
 * a fragment, or a derived table (then sourceTable is its label).
 */
export interface KeyShipping {
  readonly target: string
  readonly targetTable: string
  readonly column: string
  readonly source: string
  readonly sourceTable: string
  readonly sourceColumn: string
  /** The column's type in both tables. */
  readonly type: string
}

/** The answer is known to have no rows without asking anyone. */
export interface EmptyPlan {
  readonly kind: 'empty'
  readonly outputNames: readonly string[]
  readonly explain: readonly string[]
}

/**
 * period(unit, n, date, col): phase one finds T = max(col) where col <= date (and period's own filter) over the whole
 * network; phase two runs the query over T - n units < col <= T.
 */
export interface PeriodPlan {
  readonly kind: 'period'
  /** One row, one column: T, as a TIMESTAMP (NULL when no row is at or before the date). */
  readonly probe: NetworkPlan
  /** Phase two for the T the probe returned ('YYYY-MM-DD HH:MM:SS[.ffffff]'); null T gives no rows (or a global aggregate's one row). */
  complete(t: string | null): NetworkPlan | EmptyPlan
  readonly explain: readonly string[]
}

export type QueryPlan = NetworkPlan | PeriodPlan
