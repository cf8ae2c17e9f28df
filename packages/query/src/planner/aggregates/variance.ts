/**
 * var_pop, var_samp (variance), stddev_pop, stddev_samp (stddev), merged with Chan et al.'s parallel formula:
 * each operator sends n_i = count(x), mean_i = avg(x) and M2_i = var_pop(x) * n_i (DuckDB computes var_pop with
 * Welford's method); the query node computes the grand mean G = Σ n_i·mean_i / Σ n_i of each group (a window over the
 * group's partial rows) and M2 = Σ M2_i + Σ n_i·(mean_i − G)². Deviations from the grand mean stay small even when the
 * values sit on a large offset, where Σx² − (Σx)²/n would cancel catastrophically.
 * var_pop = M2/N, var_samp = M2/(N−1) for N > 1 else NULL, stddev = sqrt(var); NULL when N = 0.
 */
import { caseWhen, compare, func, integer, operator } from '../../sql-tree/index.js'
import type { Expr } from '../../sql-tree/index.js'
import type { AggregateSplitter } from './aggregate-splitter.js'
import { partialCall } from './aggregate-splitter.js'

const KIND: Readonly<Record<string, { readonly sample: boolean, readonly sqrt: boolean }>> = {
  var_pop: { sample: false, sqrt: false },
  var_samp: { sample: true, sqrt: false },
  variance: { sample: true, sqrt: false },
  stddev_pop: { sample: false, sqrt: true },
  stddev_samp: { sample: true, sqrt: true },
  stddev: { sample: true, sqrt: true }
}

export const VARIANCE: AggregateSplitter = {
  names: Object.keys(KIND),
  distinctSafe: true,
  arity: [1],
  split (call, ctx) {
    const kind = KIND[call.name] as { sample: boolean, sqrt: boolean }
    const n = ctx.partial(partialCall(call, 'count', call.args), 'count')
    const mean = ctx.partial(partialCall(call, 'avg', call.args), 'mean')
    const varPop = ctx.partial(partialCall(call, 'var_pop', call.args), 'var_pop')
    const grandMean = operator('/', ctx.overFinalGroup(func('sum', [operator('*', n, mean)]), 'weighted_sum'), ctx.overFinalGroup(func('sum', [n]), 'count'))
    const deviation = operator('-', mean, grandMean)
    const m2 = operator('+',
      func('sum', [operator('*', varPop, n)]),
      func('sum', [operator('*', operator('*', n, deviation), deviation)]))
    const total = func('sum', [n])
    const variance: Expr = kind.sample
      ? caseWhen(compare('COMPARE_GREATERTHAN', total, integer(1)), operator('/', m2, operator('-', total, integer(1))))
      : operator('/', m2, total)
    return kind.sqrt ? func('sqrt', [variance]) : variance
  }
}
