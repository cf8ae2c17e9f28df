/**
 * The ingest watermark: per table, the event time from which this operator holds every event its KubeArmor
 * sources sent, i.e. since when its subscriptions have run without a break. KubeArmor keeps no history, so a
 * break (a restart of this node, a source down, a stream ended) loses the events of that time for good, and the
 * table's watermark moves to the first event after it. Query nodes use it to choose, among the members of a
 * cluster, one that holds the whole time range a query asks for (query/src/network/targets.ts).
 *
 * A run starts at the first event a (re)subscription receives; the events of that event's second before it were
 * missed, so the run covers from the next whole second. With several sources (or streams) feeding a table, the
 * table is covered from the latest start of their runs, and not at all while one of them is broken.
 */

/** Per table (`dbms.table`, lower case): the covered-from event time in epoch ms, or null while a source is broken. */
export type IngestWatermarks = Readonly<Record<string, number | null>>

export interface WatermarkTracker {
  /** A subscription's run began with an event of this time (epoch ms, event time). */
  runStarted(run: string, tables: readonly string[], eventMs: number): void
  /** A subscription's run broke (its call ended); its tables are not covered until it runs again. */
  runEnded(run: string, tables: readonly string[]): void
  current(): IngestWatermarks
  /** Called after every change of current(); returns the unsubscribe function. */
  onChange(listener: () => void): () => void
}

export function createWatermarkTracker (): WatermarkTracker {
  /** table -> run -> start of the run (null: broken) */
  const runs = new Map<string, Map<string, number | null>>()
  const listeners = new Set<() => void>()
  let snapshot: IngestWatermarks = {}

  const recompute = (): void => {
    const next: Record<string, number | null> = {}
    for (const [table, byRun] of runs) {
      const starts = [...byRun.values()]
      next[table] = starts.some(s => s === null) ? null : Math.max(...starts as number[])
    }
    const changed = JSON.stringify(next) !== JSON.stringify(snapshot)
    snapshot = next
    if (changed) for (const l of listeners) l()
  }

  const set = (run: string, tables: readonly string[], value: number | null): void => {
    for (const table of tables) {
      const key = table.toLowerCase()
      const byRun = runs.get(key) ?? new Map<string, number | null>()
      byRun.set(run, value)
      runs.set(key, byRun)
    }
    recompute()
  }

  return {
    runStarted: (run, tables, eventMs) => { set(run, tables, Math.floor(eventMs / 1000) * 1000 + 1000) },
    runEnded: (run, tables) => { set(run, tables, null) },
    current: () => snapshot,
    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}
