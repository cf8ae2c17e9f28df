/**
 * arg_min(x, k) / arg_max (min_by, max_by, argmin, argmax): each operator sends its winner x and its key k; the
 * query node picks the winner of the best key. DuckDB's arg_min skips rows whose x or k is NULL, so the partial key
 * is min(k) over rows with x NOT NULL. arg_min_null / arg_max_null keep NULL x and skip NULL k only.
 * Ties on k are settled arbitrarily, by DuckDB and by the merge alike.
 */
import { func, isNotNull } from '../../sql-tree/index.js'
import type { AggregateSplitter } from './aggregate-splitter.js'
import { partialCall } from './aggregate-splitter.js'

const EXTREME: Readonly<Record<string, 'min' | 'max'>> = {
  arg_min: 'min', argmin: 'min', min_by: 'min', arg_min_null: 'min',
  arg_max: 'max', argmax: 'max', max_by: 'max', arg_max_null: 'max'
}

export const ARG_MIN_MAX: AggregateSplitter = {
  names: Object.keys(EXTREME),
  distinctSafe: false,
  arity: [2],
  split (call, ctx) {
    const [value, key] = call.args as [typeof call.args[0], typeof call.args[0]]
    const keepsNullValues = call.name.endsWith('_null')
    const winner = ctx.partial(partialCall(call, call.name, call.args), call.name)
    const bestKey = ctx.partial(partialCall(call, EXTREME[call.name] as string, [key], keepsNullValues ? undefined : isNotNull(value)), `${call.name}_key`)
    return func(call.name, [winner, bestKey])
  }
}
