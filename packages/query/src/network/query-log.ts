/**
 * Recent network queries, for `query status` and `query explain`: what ran, where, and how each operator did.
 * Bounded: the oldest entries go first. Totals since the log was created (queries by outcome, their durations,
 * sub-queries per operator) are kept apart from the entries, so metrics read them whole at scrape time.
 */
export type QueryState = 'running' | 'completed' | 'failed'
export type SubqueryState = 'sent' | 'receiving' | 'completed' | 'failed' | 'cancelled'
/** How a query ended: `cancelled` is a failure the client caused (it went away, or stopped reading). */
export type QueryOutcome = 'completed' | 'failed' | 'cancelled'

export interface SubqueryEntry {
  readonly node: string
  readonly peerId: string
  state: SubqueryState
  rows: number
  ms: number
  error?: string
}

export interface QueryEntry {
  readonly id: number
  readonly dbms: string
  readonly sql: string
  readonly startedAt: number
  state: QueryState
  ms: number
  rows: number
  error?: string
  /** Operator SQL, merge SQL and the planner's reasons. */
  explain: string[]
  readonly subqueries: SubqueryEntry[]
}

/** Upper bounds (seconds) of the buckets QueryTotals counts durations in (Prometheus' `le`). */
export const QUERY_DURATION_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

export interface SubqueryTotals {
  /** Sub-queries sent to the operator. */
  readonly sent: number
  /** Of those, the ones that failed (unreachable, an error on the operator, cut off). */
  readonly failed: number
}

export interface QueryTotals {
  readonly started: number
  readonly finished: Readonly<Record<QueryOutcome, number>>
  /**
   * Finished queries by duration: `durationCounts[i]` counts those over bucket i-1's bound and at most bucket i's
   * (QUERY_DURATION_BUCKETS_SECONDS); the last element counts those over every bound.
   */
  readonly durationCounts: readonly number[]
  readonly durationSumSeconds: number
  /** Per operator node name, counted when the query that sent them finishes. */
  readonly subqueries: ReadonlyMap<string, SubqueryTotals>
}

export class QueryLog {
  private readonly entries: QueryEntry[] = []
  private nextId = 1
  private started = 0
  private readonly finished: Record<QueryOutcome, number> = { completed: 0, failed: 0, cancelled: 0 }
  private readonly durationCounts = new Array<number>(QUERY_DURATION_BUCKETS_SECONDS.length + 1).fill(0)
  private durationSumSeconds = 0
  private readonly subqueries = new Map<string, { sent: number, failed: number }>()

  constructor (private readonly capacity = 100) {}

  start (dbms: string, sql: string): QueryEntry {
    const entry: QueryEntry = { id: this.nextId++, dbms, sql, startedAt: Date.now(), state: 'running', ms: 0, rows: 0, explain: [], subqueries: [] }
    this.started++
    this.entries.push(entry)
    if (this.entries.length > this.capacity) this.entries.shift()
    return entry
  }

  /** Records how a running query ended (a second call for the same entry is ignored). */
  finish (entry: QueryEntry, outcome: QueryOutcome, ms: number, error?: string): void {
    if (entry.state !== 'running') return
    entry.state = outcome === 'completed' ? 'completed' : 'failed'
    entry.ms = ms
    if (error !== undefined || outcome === 'cancelled') entry.error = error ?? 'cancelled'
    this.finished[outcome]++
    const seconds = ms / 1000
    let bucket = QUERY_DURATION_BUCKETS_SECONDS.findIndex(bound => seconds <= bound)
    if (bucket < 0) bucket = QUERY_DURATION_BUCKETS_SECONDS.length
    this.durationCounts[bucket] = (this.durationCounts[bucket] ?? 0) + 1
    this.durationSumSeconds += seconds
    for (const sub of entry.subqueries) {
      let totals = this.subqueries.get(sub.node)
      if (totals === undefined) { totals = { sent: 0, failed: 0 }; this.subqueries.set(sub.node, totals) }
      totals.sent++
      if (sub.state === 'failed') totals.failed++
    }
  }

  get (id?: number): QueryEntry | undefined {
    return id === undefined ? this.entries.at(-1) : this.entries.find(e => e.id === id)
  }

  recent (): readonly QueryEntry[] {
    return [...this.entries].reverse()
  }

  totals (): QueryTotals {
    return {
      started: this.started,
      finished: { ...this.finished },
      durationCounts: [...this.durationCounts],
      durationSumSeconds: this.durationSumSeconds,
      subqueries: new Map([...this.subqueries].map(([node, t]) => [node, { ...t }]))
    }
  }
}
