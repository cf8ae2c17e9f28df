/**
 * Recent network queries, for `query status` and `query explain`: what ran, where, and how each operator did.
 * Bounded: the oldest entries go first.
 */
export type QueryState = 'running' | 'completed' | 'failed'
export type SubqueryState = 'sent' | 'receiving' | 'completed' | 'failed' | 'cancelled'

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

export class QueryLog {
  private readonly entries: QueryEntry[] = []
  private nextId = 1

  constructor (private readonly capacity = 100) {}

  start (dbms: string, sql: string): QueryEntry {
    const entry: QueryEntry = { id: this.nextId++, dbms, sql, startedAt: Date.now(), state: 'running', ms: 0, rows: 0, explain: [], subqueries: [] }
    this.entries.push(entry)
    if (this.entries.length > this.capacity) this.entries.shift()
    return entry
  }

  get (id?: number): QueryEntry | undefined {
    return id === undefined ? this.entries.at(-1) : this.entries.find(e => e.id === id)
  }

  recent (): readonly QueryEntry[] {
    return [...this.entries].reverse()
  }
}
