/**
 * Holistic aggregate queries over `metrics` (holistic-data.ts) and the KubeArmor `logs`, each with its reference SQL
 * for one DuckDB over the union of the rows (the same SQL unless increments() needs its DuckDB form). Shared by the
 * planner's in-process differential test and the network test.
 */
export interface HolisticQuery {
  readonly sql: string
  readonly reference?: string
}

const M = 'metrics'

export const HOLISTIC_QUERIES: readonly HolisticQuery[] = [
  // medians and quantiles, numeric
  { sql: `select median(x) from ${M}` },
  { sql: `select median(d), quantile_cont(d, 0.9), quantile_disc(d, 0.1) from ${M}` },
  { sql: `select g, median(x), quantile_cont(x, 0.25), quantile_disc(x, 0.75) from ${M} group by g order by g` },
  { sql: `select g, quantile_cont(x, [0.1, 0.5, 0.99]), quantile_disc(x, [0.99, 0.01, 0.5]) from ${M} group by 1 order by 1` },
  { sql: `select quantile_cont(x, 0.3::double), quantile_disc(x, 0.7::double), quantile_disc(x, 0), quantile_disc(x, 1), quantile_cont(x, 1) from ${M}` },
  { sql: `select g, percentile_cont(0.4) within group (order by d), percentile_disc(0.6) within group (order by x) from ${M} group by g order by g` },
  { sql: `select g, quantile_cont(x, 0.5), quantile(x, 0.5) from ${M} where x < 10 group by g order by g` },
  { sql: `select median(x * 2 + 1), median(x::double / 3), quantile_cont(d - 1e9, [0.2, 0.8]) from ${M}` },
  // timestamps and text
  { sql: `select median(ts), quantile_cont(ts, 0.37), quantile_disc(ts, 0.37) from ${M}` },
  { sql: `select g, median(ts), quantile_cont(ts, [0.01, 0.99]) from ${M} group by g order by g` },
  { sql: `select g, median(s), quantile_disc(s, 0.9), quantile_disc(s, [0.1, 0.2]) from ${M} group by g order by g` },
  // NULLs and empty groups
  { sql: `select median(x), quantile_disc(x, [0.5]), mode(k), string_agg(s, ','), list(x) from ${M} where x < 0` },
  { sql: `select g, median(x) filter (where x > 990), mode(k) filter (where s = 'w3'), count(*) from ${M} group by g order by g` },
  { sql: `select g, median(x), count(x), count(*) from ${M} where x is null or x > 995 group by g order by g` },
  { sql: `select s, median(x) as m from ${M} where g is null group by s order by s nulls first` },
  // mode
  { sql: `select g, mode(k) from ${M} group by g order by g` },
  { sql: `select mode(k), mode(k) filter (where x > 500), count(*) from ${M}` },
  { sql: `select g, mode() within group (order by k) from ${M} group by g order by g` },
  // count distinct and other DISTINCT aggregates, high cardinality
  { sql: `select count(distinct id) from ${M}` },
  { sql: `select g, count(distinct id), count(distinct x), count(*) from ${M} group by g order by g` },
  { sql: `select count(distinct id), sum(distinct x), avg(distinct x), count(distinct s) filter (where x > 100) from ${M}` },
  { sql: `select g, median(distinct x), quantile_disc(distinct x, 0.9), string_agg(distinct s, '|' order by s) from ${M} group by g order by g` },
  { sql: `select g, list(distinct s order by s desc), array_agg(distinct k order by k) from ${M} where x < 200 group by g order by g` },
  { sql: `select count(distinct id) filter (where x < 500), count(distinct id) filter (where x >= 500), median(id) from ${M}` },
  // string_agg / list / array_agg with ORDER BY
  { sql: `select g, string_agg(s, ',' order by seq) from ${M} where x < 20 group by g order by g` },
  { sql: `select g, list(x order by seq desc) from ${M} where x > 980 group by g order by g` },
  { sql: `select g, array_agg(ts order by ts) as a, string_agg(k, ';' order by seq) filter (where x < 30) as b from ${M} where x < 60 group by g order by g` },
  { sql: `select g, list(x order by x), string_agg(s, '' order by s desc) from ${M} where x between 100 and 120 group by g order by g` },
  { sql: `select string_agg(s, ', ' order by ts desc) from ${M} where x = 7` },
  { sql: `select g, group_concat(s, '-' order by seq), listagg(k, '+' order by seq) from ${M} where x < 5 group by g order by g` },
  // mixed with ordinary aggregates, HAVING, ORDER BY, LIMIT
  { sql: `select g, count(*), sum(x), avg(d), stddev(d), median(x), mode(k), count(distinct id) from ${M} group by g order by g` },
  { sql: `select g, median(x) as m, min(x) from ${M} group by g having median(x) > 490 order by m desc` },
  { sql: `select g, quantile_disc(x, 0.9) - quantile_disc(x, 0.1) as spread from ${M} group by g order by spread desc, g limit 3` },
  { sql: `select s, median(x), count(*) from ${M} group by s order by median(x) desc, s limit 5 offset 2` },
  { sql: `select g, round(median(d) - avg(d), 6), max(ts) - median(ts) from ${M} group by all order by 1` },
  { sql: `select distinct mode(k) as m from ${M} group by g order by 1` },
  { sql: `select g, s, median(x), count(*) from ${M} where s in ('w1', 'w2') group by g, s order by g, s` },
  // increments() and the KubeArmor logs
  {
    sql: `select increments(day, 1, ts), median(x) as m, quantile_disc(k, 0.5) as q, count(*) as n from ${M} where x < 100`,
    reference: `select median(x) as m, quantile_disc(k, 0.5) as q, count(*) as n from ${M} where x < 100 group by date_trunc('day', ts) order by date_trunc('day', ts)`
  },
  {
    sql: `select increments(hour, 6, ts), g, median(d) as m, string_agg(s, ',' order by seq) as s from ${M} where x < 10 group by g order by g`,
    reference: `select g, median(d) as m, string_agg(s, ',' order by seq) as s from ${M} where x < 10 group by g, date_trunc('day', ts), hour(ts) // 6 order by g, date_trunc('day', ts), hour(ts) // 6`
  },
  { sql: 'select pod_name, median(pid), quantile_cont(timestamp, 0.5), count(distinct process_name) from logs group by pod_name order by pod_name' },
  { sql: 'select namespace, string_agg(process_name, \',\' order by timestamp, process_name), median(uid) from logs where pid > 30000 group by 1 order by 1 nulls first' },
  { sql: 'select operation, quantile_disc(pid, [0.25, 0.75]), list(pod_name order by timestamp desc) from logs where pid < 4000 group by all order by 1' }
]
