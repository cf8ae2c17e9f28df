/** count(*) and count(x): partial counts summed; 0 (a BIGINT, as DuckDB's count) when no partial row arrived. */
import { cast, coalesce, func, integer } from '../../sql-tree/index.js'
import type { AggregateSplitter } from './aggregate-splitter.js'
import { partialCall } from './aggregate-splitter.js'

export const COUNT: AggregateSplitter = {
  names: ['count_star', 'count'],
  distinctSafe: true,
  arity: [0, 1],
  split (call, ctx) {
    const name = call.args.length === 0 ? 'count_star' : 'count'
    const partial = ctx.partial(partialCall(call, name, call.args), 'count')
    return cast(coalesce(func('sum', [partial]), integer(0)), 'BIGINT')
  }
}
