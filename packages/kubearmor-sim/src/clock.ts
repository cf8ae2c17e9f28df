/**
 * KubeArmor time fields: `Timestamp` is epoch seconds and `UpdatedTime` the same instant in Go's
 * `2006-01-02T15:04:05.000000Z` layout (UTC, 6 fractional digits, literal Z). The simulator keeps
 * time in epoch microseconds.
 */
export type Clock = () => number

/** Wall clock in epoch microseconds with sub-millisecond resolution. */
export const wallClock: Clock = () => Math.floor((performance.timeOrigin + performance.now()) * 1000)

let cachedSecond = -1
let cachedPrefix = ''

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ` for an epoch-microsecond instant. */
export function formatUpdatedTime (micros: number): string {
  const second = Math.floor(micros / 1_000_000)
  if (second !== cachedSecond) {
    cachedSecond = second
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20)
  }
  const fraction = String(micros - second * 1_000_000)
  return cachedPrefix + '000000'.slice(fraction.length) + fraction + 'Z'
}

export function epochSeconds (micros: number): number {
  return Math.floor(micros / 1_000_000)
}

/** Monotonic per node: never returns the same or an earlier instant twice. */
export function createMonotonicClock (clock: Clock): Clock {
  let last = 0
  return () => {
    const now = clock()
    last = now > last ? now : last + 1
    return last
  }
}
