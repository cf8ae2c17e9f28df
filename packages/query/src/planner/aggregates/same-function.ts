/**
 * Aggregates whose merge is the same function over the partials: sum of sums, min of mins, bool_and of bool_ands,
 * product of products, any_value of any_values. The result type stays DuckDB's: sum(INTEGER|BIGINT) is HUGEINT on the
 * operators and sum(HUGEINT) is HUGEINT on the query node, so partial sums never overflow where one DuckDB would not
 * (the transport must carry HUGEINT exactly). count_if is a sum of booleans (HUGEINT, NULL over no rows).
 */
import { func } from '../../sql-tree/index.js'
import type { AggregateSplitter } from './aggregate-splitter.js'
import { partialCall } from './aggregate-splitter.js'

function sameFunction (names: readonly string[], arity: readonly number[], finalName?: string): AggregateSplitter {
  return {
    names,
    distinctSafe: true,
    arity,
    split (call, ctx) {
      const partial = ctx.partial(partialCall(call, call.name, call.args), call.name)
      return func(finalName ?? call.name, [partial])
    }
  }
}

export const SUM = sameFunction(['sum', 'fsum', 'sumkahan', 'kahan_sum'], [1])
export const MIN_MAX = sameFunction(['min', 'max'], [1])
export const BOOL_AND_OR = sameFunction(['bool_and', 'bool_or'], [1])
export const BIT_AND_OR_XOR = sameFunction(['bit_and', 'bit_or', 'bit_xor'], [1])
export const PRODUCT = sameFunction(['product'], [1])
export const ANY_VALUE = sameFunction(['any_value'], [1])
export const COUNT_IF = { ...sameFunction(['count_if', 'countif'], [1], 'sum'), distinctSafe: false }
