/**
 * A seeded generator of the SELECTs only the relational pull answers, for the differential suite of
 * test/network-sql-coverage.test.ts: window functions (PARTITION BY, ORDER BY, ROWS and RANGE frames), QUALIFY,
 * joins (logs with alert by pod and time window, logs with the one-operator `pods` lookup table, inner and outer),
 * IN / EXISTS / scalar / correlated subqueries, CTEs, set operations, DISTINCT ON, ROLLUP / CUBE / GROUPING SETS,
 * subqueries in FROM and holistic aggregates. Answers are deterministic: every output column is aliased uniquely
 * (json:list keys), ORDER BY covers every output column whenever there is a LIMIT, and window orders that could
 * tie run over rows with distinct timestamps only.
 */
import type { Random } from './kubearmor-data.js'
import { pick, random } from './kubearmor-data.js'
import type { GeneratedQuery } from './query-generator.js'

const LOG_WHERES = ['pid > 20000', 'namespace IS NULL', "pod_name IN ('pod-a', 'pod-x', 'pod-g')", "operation = 'File'", "uid = 0 OR result = 'Passed'",
  "\"timestamp\" >= '2026-03-20 00:00:00'", "\"timestamp\" BETWEEN '2026-03-05' AND '2026-03-12'", 'pid < 0', 'true']
const ALERT_WHERES = ['severity >= 5', "action = 'Block'", 'severity IS NULL OR uid = 0', "\"timestamp\" < '2026-03-25'", 'pid < 0', 'true']
const LOG_KEYS = ['pod_name', 'namespace', 'operation', 'result', 'cluster_name']
const WINDOWS = [
  'row_number() OVER (PARTITION BY pod_name ORDER BY "timestamp")',
  'sum(pid) OVER (PARTITION BY pod_name ORDER BY "timestamp" ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)',
  'lag(pid) OVER (ORDER BY "timestamp")',
  'lead(pod_name, 2) OVER (PARTITION BY namespace ORDER BY "timestamp")',
  'rank() OVER (PARTITION BY namespace ORDER BY pid DESC NULLS LAST)',
  'dense_rank() OVER (ORDER BY uid)',
  'count(*) OVER (PARTITION BY operation)',
  'first_value(pid) OVER (PARTITION BY pod_name ORDER BY "timestamp" DESC)',
  'count(*) OVER (ORDER BY "timestamp" RANGE BETWEEN INTERVAL 1 DAY PRECEDING AND CURRENT ROW)',
  'max(pid) OVER (PARTITION BY pod_name)',
  'ntile(4) OVER (ORDER BY "timestamp")',
  'cume_dist() OVER (PARTITION BY operation ORDER BY pid)'
]
const HOLISTIC = ['median(pid)', 'quantile_cont(pid, 0.9)', 'quantile_disc(uid, 0.5)', "string_agg(DISTINCT pod_name, ',' ORDER BY pod_name)",
  'list(process_name ORDER BY "timestamp" NULLS LAST, process_name)', 'count(DISTINCT process_name)', 'mad(pid)', 'entropy(operation)', 'kurtosis(pid)', 'approx_count_distinct(pod_name)']
const SET_OPS = ['UNION', 'UNION ALL', 'INTERSECT', 'INTERSECT ALL', 'EXCEPT', 'EXCEPT ALL']

type Template = (rnd: Random) => { sql: string, ordered: boolean }
const lw = (rnd: Random): string => `(${pick(rnd, LOG_WHERES)})`
const aw = (rnd: Random): string => `(${pick(rnd, ALERT_WHERES)})`

const TEMPLATES: readonly Template[] = [
  rnd => ({ sql: `SELECT pod_name, "timestamp", pid, ${pick(rnd, WINDOWS)} AS w FROM logs WHERE "timestamp" IS NOT NULL AND ${lw(rnd)}`, ordered: false }),
  rnd => {
    const k = 1 + Math.floor(rnd() * 3)
    return { sql: `SELECT pod_name, "timestamp", pid FROM logs WHERE "timestamp" IS NOT NULL AND ${lw(rnd)} QUALIFY row_number() OVER (PARTITION BY pod_name ORDER BY "timestamp" ${pick(rnd, ['ASC', 'DESC'])}) <= ${k}`, ordered: false }
  },
  rnd => {
    const hours = pick(rnd, [1, 6, 24])
    return {
      sql: `SELECT l.pod_name AS pod, count(*) AS pairs, count(DISTINCT a.severity) AS severities FROM logs l JOIN alert a ON l.pod_name = a.pod_name AND a."timestamp" BETWEEN l."timestamp" - INTERVAL ${hours} HOUR AND l."timestamp" + INTERVAL ${hours} HOUR WHERE ${prefixed('l', lw(rnd))} AND ${prefixed('a', aw(rnd))} GROUP BY 1 ORDER BY 1 NULLS LAST`,
      ordered: true
    }
  },
  rnd => ({
    sql: `SELECT p.team AS team, p.tier AS tier, count(*) AS n, sum(l.pid) AS pids FROM logs l ${pick(rnd, ['JOIN', 'LEFT JOIN', 'FULL JOIN', 'RIGHT JOIN'])} pods p ON l.pod_name = p.pod_name WHERE ${pick(rnd, ['true', 'p.tier > 1', 'l.pid > 10000', "p.team <> 'core' OR p.team IS NULL"])} GROUP BY ALL ORDER BY ALL NULLS FIRST`,
    ordered: true
  }),
  rnd => ({ sql: `SELECT count(*) AS n, count(DISTINCT pod_name) AS pods FROM logs WHERE pod_name ${pick(rnd, ['IN', 'NOT IN'])} (SELECT pod_name FROM alert WHERE pod_name IS NOT NULL AND ${aw(rnd)}) AND ${lw(rnd)}`, ordered: false }),
  rnd => ({
    sql: `SELECT pod_name, count(*) AS n FROM logs l WHERE ${pick(rnd, ['EXISTS', 'NOT EXISTS'])} (SELECT 1 FROM alert a WHERE a.pod_name = l.pod_name AND a.severity > ${Math.floor(rnd() * 10)} AND a."timestamp" < l."timestamp") GROUP BY pod_name`,
    ordered: false
  }),
  rnd => ({ sql: `SELECT pod_name, pid FROM logs WHERE pid > (SELECT ${pick(rnd, ['avg', 'median', 'max'])}(pid) FROM alert WHERE ${aw(rnd)}) AND ${lw(rnd)}`, ordered: false }),
  rnd => ({ sql: `SELECT DISTINCT pod_name, (SELECT count(*) FROM alert a WHERE a.pod_name = l.pod_name AND ${prefixed('a', aw(rnd))}) AS alerts FROM logs l WHERE ${prefixed('l', lw(rnd))}`, ordered: false }),
  rnd => {
    const key = pick(rnd, ['pod_name', 'namespace'])
    return {
      sql: `WITH x AS (SELECT ${key}, count(*) AS n, max(pid) AS top FROM logs WHERE ${lw(rnd)} GROUP BY 1), y AS (SELECT ${key}, count(*) AS m FROM alert GROUP BY 1) SELECT x.${key} AS k, x.n, x.top, y.m FROM x ${pick(rnd, ['JOIN', 'LEFT JOIN', 'FULL JOIN'])} y ON x.${key} IS NOT DISTINCT FROM y.${key}`,
      ordered: false
    }
  },
  rnd => {
    const col = pick(rnd, ['pod_name', 'namespace', 'operation', 'uid'])
    return { sql: `SELECT ${col} FROM logs WHERE ${lw(rnd)} ${pick(rnd, SET_OPS)} SELECT ${col} FROM alert WHERE ${aw(rnd)}`, ordered: false }
  },
  rnd => ({ sql: `SELECT DISTINCT ON (pod_name) pod_name, pid, "timestamp" FROM logs WHERE "timestamp" IS NOT NULL AND ${lw(rnd)} ORDER BY pod_name, "timestamp" ${pick(rnd, ['ASC', 'DESC'])}`, ordered: true }),
  rnd => {
    const [a, b] = [pick(rnd, LOG_KEYS), pick(rnd, LOG_KEYS.slice(2))]
    const grouping = pick(rnd, [`ROLLUP (${a}, ${b})`, `CUBE (${a}, ${b})`, `GROUPING SETS ((${a}), (${b}), ())`])
    return { sql: `SELECT ${a} AS g1, ${b} AS g2, count(*) AS n, sum(pid) AS s, grouping(${a}, ${b}) AS gid FROM logs WHERE ${lw(rnd)} GROUP BY ${grouping}`, ordered: false }
  },
  rnd => ({ sql: `SELECT ${pick(rnd, LOG_KEYS)} AS k, ${pick(rnd, HOLISTIC)} AS h FROM logs WHERE ${lw(rnd)} GROUP BY 1`, ordered: false }),
  rnd => ({ sql: `SELECT op, avg(n) AS mean_n, max(n) AS max_n FROM (SELECT operation AS op, pod_name, count(*) AS n FROM logs WHERE ${lw(rnd)} GROUP BY 1, 2) s GROUP BY op`, ordered: false }),
  rnd => ({ sql: `WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < ${2 + Math.floor(rnd() * 5)}) SELECT r.n, count(l.pid) AS c FROM r LEFT JOIN logs l ON l.uid % 7 = r.n GROUP BY r.n`, ordered: false }),
  rnd => {
    const n = 3 + Math.floor(rnd() * 8)
    return { sql: `SELECT pod_name, pid, "timestamp", rank() OVER (ORDER BY pid DESC NULLS LAST) AS r FROM logs WHERE "timestamp" IS NOT NULL AND ${lw(rnd)} ORDER BY r, "timestamp" LIMIT ${n}`, ordered: true }
  }
]

/** `pid > 3` → `l.pid > 3` for the column names of the generator's WHERE lists. */
function prefixed (alias: string, where: string): string {
  return where.replace(/(^|[\s(])(pid|namespace|pod_name|operation|uid|result|severity|action|"timestamp")(?=\s|$|\))/g, `$1${alias}.$2`)
}

export function generateCoverageQueries (seed: number, count: number): GeneratedQuery[] {
  const rnd = random(seed)
  return Array.from({ length: count }, (_, i) => {
    const { sql, ordered } = (TEMPLATES[i % TEMPLATES.length] as Template)(rnd)
    return { sql, reference: sql, ordered }
  })
}
