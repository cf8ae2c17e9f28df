/** The aggregate splitters by function name: adding an aggregate is adding a splitter here. */
import type { AggregateSplitter } from './aggregate-splitter.js'
import { ARG_MIN_MAX } from './arg-min-max.js'
import { AVG } from './avg.js'
import { COUNT } from './count.js'
import { DUCKDB_AGGREGATES } from './duckdb-aggregates.js'
import { HOLISTIC } from './holistic.js'
import { RANGE } from './range.js'
import { ANY_VALUE, BIT_AND_OR_XOR, BOOL_AND_OR, COUNT_IF, MIN_MAX, PRODUCT, SUM } from './same-function.js'
import { VARIANCE } from './variance.js'

const SPLITTERS: readonly AggregateSplitter[] = [COUNT, SUM, MIN_MAX, AVG, VARIANCE, BOOL_AND_OR, BIT_AND_OR_XOR, PRODUCT, ANY_VALUE, COUNT_IF, ARG_MIN_MAX, RANGE, HOLISTIC]

const BY_NAME: ReadonlyMap<string, AggregateSplitter> = new Map(SPLITTERS.flatMap(s => s.names.map(name => [name, s] as const)))

export function splitterFor (name: string): AggregateSplitter | undefined {
  return BY_NAME.get(name)
}

/** Aggregates whose DISTINCT changes nothing (min(DISTINCT x) = min(x)). */
export const DISTINCT_IRRELEVANT: ReadonlySet<string> = new Set(['min', 'max', 'range', 'bool_and', 'bool_or', 'bit_and', 'bit_or', 'any_value'])

/**
 * Whether a function call is an aggregate. EdgeLake's range(x) is one when its argument reads a column
 * (`range(3)` stays DuckDB's list function).
 */
export function isAggregateName (name: string): boolean {
  return DUCKDB_AGGREGATES.has(name) || name === 'range'
}
