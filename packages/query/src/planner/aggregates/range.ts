/** EdgeLake's range(x) = max(x) − min(x) (reference/edgelake.md §3.2): partial min and max, merged as max − min. */
import { func, operator } from '../../sql-tree/index.js'
import type { AggregateSplitter } from './aggregate-splitter.js'
import { partialCall } from './aggregate-splitter.js'

export const RANGE: AggregateSplitter = {
  names: ['range'],
  distinctSafe: false,
  arity: [1],
  split (call, ctx) {
    const max = ctx.partial(partialCall(call, 'max', call.args), 'max')
    const min = ctx.partial(partialCall(call, 'min', call.args), 'min')
    return operator('-', func('max', [max]), func('min', [min]))
  }
}
