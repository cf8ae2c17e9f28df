/**
 * Exponential reconnect backoff with jitter: attempt n waits a random time in
 * [d/2, d] where d = min(maxMs, initialMs * 2^n). Reset after data flows again.
 */
export interface Backoff {
  /** Delay before the next attempt (and counts the attempt). */
  next(): number
  reset(): void
  readonly attempts: number
}

export function createBackoff (initialMs: number, maxMs: number, random: () => number = Math.random): Backoff {
  let attempts = 0
  return {
    next () {
      const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempts, 30))
      attempts++
      return Math.round(ceiling / 2 + random() * ceiling / 2)
    },
    reset () { attempts = 0 },
    get attempts () { return attempts }
  }
}
