/**
 * EdgeLake's time units: the seven calendar units of increments() and period(), their plural forms, and the
 * one-letter forms of date arithmetic (`now() - 3d`, `-4t`: t is minute, m is month).
 */
export type TimeUnit = 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year'

export const TIME_UNITS: readonly TimeUnit[] = ['second', 'minute', 'hour', 'day', 'week', 'month', 'year']

const ONE_LETTER: Readonly<Record<string, TimeUnit>> = { s: 'second', t: 'minute', h: 'hour', d: 'day', w: 'week', m: 'month', y: 'year' }

/** `hour`, `HOURS` → 'hour'; anything else → undefined. */
export function timeUnitOf (word: string): TimeUnit | undefined {
  const lower = word.toLowerCase()
  const singular = lower.endsWith('s') && lower.length > 1 ? lower.slice(0, -1) : lower
  return (TIME_UNITS as readonly string[]).includes(singular) ? singular as TimeUnit : undefined
}

/** Units of date arithmetic: the long forms and the one-letter ones. */
export function arithmeticUnitOf (word: string): TimeUnit | undefined {
  return timeUnitOf(word) ?? ONE_LETTER[word.toLowerCase()]
}

/** DuckDB interval text: (3, 'day') → '3 days'. */
export function intervalText (count: number, unit: TimeUnit): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`
}

/** Nominal length in seconds, for choosing a unit from a time span (EdgeLake's increments_units_). */
export const UNIT_SECONDS: Readonly<Record<TimeUnit, number>> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86_400,
  week: 7 * 86_400,
  month: 30.44 * 86_400,
  year: 365.25 * 86_400
}
