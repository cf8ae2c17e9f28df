/**
 * Time steps as Grafana writes them (`30s`, `5m`, `1h`, `intervalMs`) and as EdgeLake's increments() and
 * period() take them (`minute, 5`), and the conversions between the two.
 */
import { timeUnitOf } from '@fedlake/query'
import type { TimeUnit } from '@fedlake/query'

/** `increments(<unit>, <count>, T)` / `period(<unit>, <count>, ...)`. */
export interface TimeStep {
  readonly unit: TimeUnit
  readonly count: number
}

const UNIT_MS: Readonly<Record<TimeUnit, number>> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30.44 * 86_400_000,
  year: 365.25 * 86_400_000
}

const LARGEST_FIRST: readonly TimeUnit[] = ['year', 'month', 'week', 'day', 'hour', 'minute', 'second']

/**
 * The step for a width in ms: the largest unit not longer than it, and the nearest whole number of them
 * (EdgeLake's rule for choosing increments); anything under a second is one second.
 */
export function stepFromMs (ms: number): TimeStep {
  if (!(ms >= 1000)) return { unit: 'second', count: 1 }
  const unit = LARGEST_FIRST.find(u => UNIT_MS[u] <= ms) ?? 'second'
  return { unit, count: Math.max(1, Math.round(ms / UNIT_MS[unit])) }
}

export function stepMs (step: TimeStep): number {
  return UNIT_MS[step.unit] * step.count
}

const GRAFANA_UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, M: UNIT_MS.month, y: UNIT_MS.year
}

/** Grafana's interval text (`100ms`, `30s`, `5m`, `1h`, `1d`, `1w`, `1M`, `1y`) in ms; undefined when it is not one. */
export function grafanaIntervalMs (text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|M|y)\s*$/.exec(text)
  if (m === null) return undefined
  const ms = Number(m[1]) * (GRAFANA_UNIT_MS[m[2] as string] as number)
  return ms > 0 ? ms : undefined
}

/** `10 minutes`, `1 hour`, `2days` → a step; undefined when the text is not `<count> <unit>`. */
export function parseStep (text: string): TimeStep | undefined {
  const m = /^\s*(\d{1,7})\s*([a-z]+)\s*$/i.exec(text)
  if (m === null) return undefined
  const unit = timeUnitOf(m[2] as string)
  const count = Number(m[1])
  if (unit === undefined || count < 1) return undefined
  return { unit, count }
}
