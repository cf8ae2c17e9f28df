/**
 * Every aggregate function of DuckDB 1.5 (duckdb_functions() where function_type = 'aggregate', plus the macros
 * built on aggregates). A function named here that has no splitter is refused, never run as if it were a scalar:
 * pushing product(x) unsplit would return one row per operator. A test compares this list with the DuckDB in use.
 */
export const DUCKDB_AGGREGATES: ReadonlySet<string> = new Set([
  'any_value', 'approx_count_distinct', 'approx_quantile', 'approx_top_k', 'arbitrary', 'arg_max', 'arg_max_null',
  'arg_max_nulls_last', 'arg_min', 'arg_min_null', 'arg_min_nulls_last', 'argmax', 'argmin', 'array_agg', 'avg',
  'bit_and', 'bit_or', 'bit_xor', 'bitstring_agg', 'bool_and', 'bool_or', 'corr', 'count', 'count_if', 'count_star',
  'countif', 'covar_pop', 'covar_samp', 'entropy', 'favg', 'first', 'fsum', 'group_concat', 'histogram',
  'histogram_exact', 'kahan_sum', 'kurtosis', 'kurtosis_pop', 'last', 'list', 'listagg', 'mad', 'max', 'max_by',
  'mean', 'median', 'min', 'min_by', 'mode', 'product', 'quantile', 'quantile_cont', 'quantile_disc', 'regr_avgx',
  'regr_avgy', 'regr_count', 'regr_intercept', 'regr_r2', 'regr_slope', 'regr_sxx', 'regr_sxy', 'regr_syy',
  'reservoir_quantile', 'sem', 'skewness', 'stddev', 'stddev_pop', 'stddev_samp', 'string_agg', 'sum',
  'sum_no_overflow', 'sumkahan', 'var_pop', 'var_samp', 'variance',
  // macros over aggregates
  'geomean', 'geometric_mean', 'json_group_array', 'json_group_object', 'json_group_structure', 'weighted_avg', 'wavg'
])

/** Functions DuckDB lists as aggregates that only exist as window functions (refused as windows). */
export const WINDOW_ONLY: ReadonlySet<string> = new Set([
  'cume_dist', 'dense_rank', 'fill', 'first_value', 'lag', 'last_value', 'lead', 'nth_value', 'ntile', 'percent_rank',
  'rank', 'rank_dense', 'row_number'
])

/** Why an aggregate without a splitter cannot be split, for the refusal message. */
export function whyNotSplit (name: string): string {
  if (/^(approx_quantile|reservoir_quantile|histogram|histogram_exact|approx_top_k)$/.test(name)) {
    return 'a holistic aggregate needs every value of a group in one place'
  }
  if (/^(first|last|arbitrary|json_group_array|json_group_object|json_group_structure|bitstring_agg|arg_(min|max)_nulls_last)$/.test(name)) {
    return 'its result depends on the order of the rows'
  }
  if (name === 'approx_count_distinct') return 'operators would each estimate their own distinct count'
  return 'no partial/merge split is defined for it yet'
}
