/**
 * avg(x) = sum of partial sums / sum of partial counts, a DOUBLE as DuckDB's avg of numbers (integers, decimals and
 * doubles alike); NULL when no value was counted (the sum is then NULL).
 */
import { cast, func, operator } from '../../sql-tree/index.js'
import type { AggregateSplitter } from './aggregate-splitter.js'
import { partialCall } from './aggregate-splitter.js'

export const AVG: AggregateSplitter = {
  names: ['avg', 'mean'],
  distinctSafe: true,
  arity: [1],
  split (call, ctx) {
    const sum = ctx.partial(partialCall(call, 'sum', call.args), 'sum')
    const count = ctx.partial(partialCall(call, 'count', call.args), 'count')
    return operator('/', cast(func('sum', [sum]), 'DOUBLE'), func('sum', [count]))
  }
}
