/**
 * Rows committed per second, over a sliding window: what the pipeline sizes its buffer and its appends by.
 *
 * The window (10 s by default) is long enough to hold a DuckDB checkpoint (commits held for 1-2 s every
 * ~250k rows), so the rate is the sustained ingest rate and not the speed of the last commit. After a quiet
 * spell longer than the window, the rate is taken over the time since commits resumed (at least `minSpanMs`),
 * so a burst is measured within a second instead of being averaged with the silence before it.
 */

export interface CommitRateInit {
  /** @default 10000 */
  readonly windowMs?: number
  /** Resolution of the window. @default 250 */
  readonly bucketMs?: number
  /** Shortest span a rate is computed over, so one early commit does not read as a huge rate. @default 1000 */
  readonly minSpanMs?: number
}

export interface CommitRate {
  /** Records `rows` committed at `now` (ms). */
  record(rows: number, now: number): void
  /** Rows per second at `now`; 0 before any commit or after a window without one. */
  rowsPerSecond(now: number): number
}

export function createCommitRate (init: CommitRateInit = {}): CommitRate {
  const windowMs = init.windowMs ?? 10_000
  const bucketMs = init.bucketMs ?? 250
  const minSpanMs = Math.min(init.minSpanMs ?? 1000, windowMs)
  const slots = Math.max(1, Math.ceil(windowMs / bucketMs))
  const rows = new Float64Array(slots)
  /** The bucket number (time / bucketMs) each slot currently holds. */
  const bucketOf = new Float64Array(slots).fill(-Infinity)
  /** When commits (re)started after a window without any. */
  let activeSince = -Infinity
  let lastCommitAt = -Infinity

  const inWindow = (now: number): number => {
    const current = Math.floor(now / bucketMs)
    let sum = 0
    for (let i = 0; i < slots; i++) {
      if (current - (bucketOf[i] as number) < slots) sum += rows[i] as number
    }
    return sum
  }

  return {
    record (committed, now) {
      if (now - lastCommitAt >= windowMs) activeSince = now
      lastCommitAt = now
      const bucket = Math.floor(now / bucketMs)
      const slot = bucket % slots
      if (bucketOf[slot] !== bucket) { bucketOf[slot] = bucket; rows[slot] = 0 }
      rows[slot] = (rows[slot] as number) + committed
    },

    rowsPerSecond (now) {
      if (now - lastCommitAt >= windowMs) return 0
      const span = Math.min(windowMs, Math.max(minSpanMs, now - activeSince))
      return inWindow(now) * 1000 / span
    }
  }
}
