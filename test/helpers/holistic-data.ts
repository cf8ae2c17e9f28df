/**
 * Seeded rows for the holistic aggregate tests (median, quantiles, mode, count distinct, string_agg, list): a table
 * `metrics` spread over three operators, with
 * - groups g0..g5 and NULL, one of them (g5) only on the third operator;
 * - x: integers 0..999 with NULLs; d: doubles on a large offset; s: 40 words; ts: timestamps unique to the microsecond;
 * - id: 20,000 distinct values over ~24,000 rows (count distinct at high cardinality);
 * - k: the mode column, one value per group far more frequent than the others, so mode has no ties even under the
 *   tests' filters (DuckDB breaks ties by input order, which a network does not have);
 * - seq: unique per row, to order string_agg/list deterministically.
 */
import { random } from './kubearmor-data.js'
import type { Cell } from './answers.js'

export const METRICS_TABLE = 'metrics'
export const METRICS_COLUMNS = [
  { name: 'g', type: 'VARCHAR' }, { name: 'x', type: 'BIGINT' }, { name: 'd', type: 'DOUBLE' }, { name: 's', type: 'VARCHAR' },
  { name: 'ts', type: 'TIMESTAMP' }, { name: 'id', type: 'BIGINT' }, { name: 'k', type: 'VARCHAR' }, { name: 'seq', type: 'BIGINT' }
] as const

export type MetricsRow = Readonly<Record<(typeof METRICS_COLUMNS)[number]['name'], Cell>>

const ROWS_PER_OPERATOR = [9000, 8000, 7000]
const DISTINCT_IDS = 20_000
const START_US = Date.UTC(2026, 2, 2) * 1000

/** rows[operator] */
export function generateMetrics (seed: number): MetricsRow[][] {
  const rnd = random(seed)
  let seq = 0
  return ROWS_PER_OPERATOR.map((count, op) => Array.from({ length: count }, () => {
    const n = seq++
    const groups = op === 2 ? ['g0', 'g1', 'g2', 'g3', 'g4', 'g5', null] : ['g0', 'g1', 'g2', 'g3', 'g4', null]
    const g = groups[Math.floor(rnd() * groups.length)] ?? null
    const favourite = `k-${g ?? 'none'}`
    const k = rnd() < 0.4 ? favourite : `k${Math.floor(rnd() * 25)}`
    return {
      g,
      x: rnd() < 0.1 ? null : Math.floor(rnd() * 1000),
      d: rnd() < 0.05 ? null : 1e9 + Math.floor(rnd() * 1e6) / 8 + 0.25,
      s: rnd() < 0.05 ? null : `w${Math.floor(rnd() * 40)}`,
      ts: timestampText(START_US + n * 37_000_000 + Math.floor(rnd() * 1_000_000)),
      id: n < DISTINCT_IDS ? n : Math.floor(rnd() * DISTINCT_IDS),
      k,
      seq: n
    }
  }))
}

/** 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) for epoch microseconds. */
function timestampText (us: number): string {
  const ms = Math.floor(us / 1000)
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${String(us % 1_000_000).padStart(6, '0')}`
}
