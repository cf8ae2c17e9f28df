/**
 * A seeded generator of SELECTs over the KubeArmor tables for the differential suite: aggregates (all the split
 * ones, DISTINCT, FILTER, expressions over aggregates, large-offset variances, sums beyond BIGINT), group keys in
 * every GROUP BY style (expressions, ordinals, aliases, ALL), WHERE (empty results included), HAVING, DISTINCT,
 * ORDER BY with every direction and NULL order, LIMIT/OFFSET; and plain row queries with hidden sort keys.
 * Answers are deterministic: a query with ORDER BY orders by every output column (so LIMIT keeps a definite set),
 * one without is compared as a multiset and has no LIMIT; any_value is only taken of a group key and arg_min/max
 * are keyed by the (unique) timestamp. EdgeLake's range(x) comes with its reference max(x) - min(x).
 */
import type { Random } from './kubearmor-data.js'
import { pick, random } from './kubearmor-data.js'

export interface GeneratedQuery {
  readonly sql: string
  /** The same query in plain DuckDB SQL for the reference database (differs only for EdgeLake's range()). */
  readonly reference: string
  readonly ordered: boolean
}

/** `float`: a DOUBLE computed in another order by the network than by one DuckDB, so equal values may differ in the last bits. */
interface Aggregate { readonly sql: string, readonly reference?: string, readonly tables?: readonly string[], readonly float?: boolean }

const KEYS: Readonly<Record<string, readonly string[]>> = {
  logs: ['pod_name', 'namespace', 'operation', 'result', 'cluster_name', 'hostname', 'upper(pod_name)', 'pid % 3', "date_trunc('week', \"timestamp\")", 'uid IS NULL', "coalesce(namespace, 'none')", 'owner_ref'],
  alert: ['pod_name', 'severity', 'action', 'policy_name', 'namespace', 'result', "date_trunc('day', \"timestamp\")", 'severity > 5']
}

const AGGREGATES: readonly Aggregate[] = [
  { sql: 'count(*)' }, { sql: 'count(pid)' }, { sql: 'count(namespace)' }, { sql: 'sum(pid)' }, { sql: 'sum(uid)' },
  { sql: 'min(pid)' }, { sql: 'max(pid)' }, { sql: 'min(pod_name)' }, { sql: 'max("timestamp")' }, { sql: 'min(updated_timestamp)' },
  { sql: 'avg(pid)', float: true }, { sql: 'avg(uid)', float: true }, { sql: 'mean(ppid)', float: true },
  { sql: 'count(DISTINCT pod_name)' }, { sql: 'count(DISTINCT namespace)' }, { sql: 'sum(DISTINCT uid)' }, { sql: 'avg(DISTINCT uid)', float: true },
  { sql: 'count(DISTINCT process_name)' }, { sql: 'min(DISTINCT pid)' },
  { sql: 'range(pid)', reference: 'max(pid) - min(pid)' }, { sql: 'range("timestamp")', reference: 'max("timestamp") - min("timestamp")' },
  { sql: 'stddev_samp(pid)', float: true }, { sql: 'stddev_pop(pid)', float: true }, { sql: 'var_samp(pid)', float: true }, { sql: 'var_pop(ppid)', float: true }, { sql: 'stddev(uid)', float: true }, { sql: 'variance(pid)', float: true },
  { sql: 'stddev_samp(epoch("timestamp"))', float: true }, { sql: 'var_pop(pid::DOUBLE + 1e9)', float: true }, { sql: 'stddev_pop(epoch_us("timestamp"))', float: true }, { sql: 'var_samp(DISTINCT uid)', float: true },
  { sql: 'bool_and(pid > 100)' }, { sql: 'bool_or(uid = 0)' },
  { sql: 'arg_min(pod_name, "timestamp")' }, { sql: 'arg_max(process_name, "timestamp")' }, { sql: 'min_by(pid, "timestamp")' },
  { sql: 'max_by(namespace, "timestamp")' }, { sql: 'arg_max_null(namespace, "timestamp")' }, { sql: 'argmin(uid, "timestamp")' },
  { sql: 'count_if(uid = 0)' },
  { sql: 'count(*) FILTER (WHERE uid = 0)' }, { sql: "sum(pid) FILTER (WHERE operation = 'File')" }, { sql: 'avg(pid) FILTER (WHERE namespace IS NOT NULL)', float: true },
  { sql: 'count(DISTINCT pod_name) FILTER (WHERE uid = 0)' }, { sql: 'stddev_samp(pid) FILTER (WHERE uid IS NOT NULL)', float: true },
  { sql: 'bit_or(uid)' }, { sql: 'bit_xor(ppid)' }, { sql: 'sum(pid::BIGINT * 4000000000)' },
  { sql: 'sum(pid) / count(*)', float: true }, { sql: 'round(avg(pid), 2)', float: true }, { sql: "CASE WHEN count(*) > 20 THEN 'many' ELSE 'few' END" },
  { sql: 'max(pid) - min(pid)' }, { sql: 'count(DISTINCT pod_name) * 2' }, { sql: 'coalesce(sum(uid), -1)' },
  { sql: 'sum(severity)', tables: ['alert'] }, { sql: 'avg(severity)', tables: ['alert'], float: true }, { sql: 'count(DISTINCT severity)', tables: ['alert'] },
  { sql: 'max(severity) FILTER (WHERE action = \'Block\')', tables: ['alert'] }, { sql: 'stddev_pop(severity)', tables: ['alert'], float: true }
]

const WHERES: Readonly<Record<string, readonly string[]>> = {
  logs: [
    'pid > 20000', 'namespace IS NULL', "pod_name IN ('pod-a', 'pod-x')", "operation = 'File'", "uid = 0 OR result = 'Passed'",
    "\"timestamp\" >= '2026-03-20 00:00:00'", "\"timestamp\" BETWEEN '2026-03-05' AND '2026-03-12'", 'pid < 0',
    "coalesce(cluster_name, '') LIKE 'edge-%'", '"timestamp" > now() - 20 days', "pod_name LIKE 'pod-%' AND pid IS NOT NULL"
  ],
  alert: ['severity >= 5', "action = 'Block'", 'severity IS NULL OR uid = 0', '"timestamp" < now() - 2 weeks', 'pid < 0', "policy_name <> 'audit-etc'"]
}

const HAVINGS: readonly string[] = ['count(*) > 5', 'sum(pid) > 100000', 'min(pid) IS NOT NULL', 'count(DISTINCT namespace) >= 2', 'avg(pid) < 30000', 'count(*) < 3']

const PLAIN_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  logs: ['pod_name', 'namespace', 'pid', '"timestamp"', 'pid + 1 AS p1', 'upper(process_name) AS proc', 'uid', 'operation', "coalesce(result, '?') AS res", 'epoch("timestamp") AS secs'],
  alert: ['pod_name', 'severity', 'action', '"timestamp"', 'message', 'severity * 10 AS sev10', 'policy_name']
}
const LOW_CARDINALITY: Readonly<Record<string, readonly string[]>> = {
  logs: ['pod_name', 'namespace', 'operation', 'uid', 'result', 'cluster_name'],
  alert: ['severity', 'action', 'pod_name', 'policy_name']
}
const HIDDEN_SORT_KEYS: Readonly<Record<string, readonly string[]>> = {
  logs: ['"timestamp" DESC', 'pid', 'length(process_name) DESC NULLS FIRST', 'ppid NULLS FIRST'],
  alert: ['"timestamp"', 'severity DESC', 'pid']
}

export function generateQueries (seed: number, count: number): GeneratedQuery[] {
  const rnd = random(seed)
  return Array.from({ length: count }, () => rnd() < 0.7 ? aggregateQuery(rnd) : plainQuery(rnd))
}

function some<T> (rnd: Random, values: readonly T[], min: number, max: number): T[] {
  const n = min + Math.floor(rnd() * (max - min + 1))
  const pool = [...values]
  const out: T[] = []
  while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(rnd() * pool.length), 1)[0] as T)
  return out
}

/** ORDER BY every output (1-based), the `last` ones after the others, in random order and directions. */
function orderBy (rnd: Random, outputs: number, hidden: readonly string[] = [], last: ReadonlySet<number> = new Set()): string {
  const shuffled = some(rnd, Array.from({ length: outputs }, (_, i) => i + 1), outputs, outputs)
  const positions = [...shuffled.filter(p => !last.has(p)), ...shuffled.filter(p => last.has(p))]
  const terms = positions.map(p => `${p}${pick(rnd, ['', ' ASC', ' DESC'])}${pick(rnd, ['', '', ' NULLS FIRST', ' NULLS LAST'])}`)
  return ` ORDER BY ${[...hidden, ...terms].join(', ')}`
}

function limit (rnd: Random): string {
  const r = rnd()
  if (r < 0.5) return ''
  return ` LIMIT ${1 + Math.floor(rnd() * 8)}${r < 0.75 ? '' : ` OFFSET ${Math.floor(rnd() * 5)}`}`
}

function aggregateQuery (rnd: Random): GeneratedQuery {
  const table = rnd() < 0.7 ? 'logs' : 'alert'
  const keys = some(rnd, KEYS[table] as string[], 0, 2)
  const aggregates = some(rnd, AGGREGATES.filter(a => a.tables === undefined || a.tables.includes(table)), 1, 4)
  const style = pick(rnd, ['exprs', 'ordinals', 'aliases', 'all'] as const)
  const keyItems = keys.map((k, i) => style === 'aliases' ? `${k} AS k${i}` : k)
  const aggItems = aggregates.map((a, i) => rnd() < 0.3 ? `${a.sql} AS a${i}` : a.sql)
  const refItems = aggregates.map((a, i) => {
    const named = aggItems[i] as string
    if (a.reference === undefined) return named
    return named.endsWith(` AS a${i}`) ? `${a.reference} AS a${i}` : `${a.reference} AS "${a.sql.replace(/"/g, '')}"`
  })
  const where = rnd() < 0.5 ? '' : ` WHERE ${pick(rnd, WHERES[table] as string[])}`
  let groupBy = ''
  if (keys.length > 0 || rnd() < 0.1) {
    groupBy = style === 'all' ? ' GROUP BY ALL'
      : style === 'ordinals' ? ` GROUP BY ${keys.map((_, i) => i + 1).join(', ')}`
        : style === 'aliases' ? ` GROUP BY ${keys.map((_, i) => `k${i}`).join(', ')}`
          : ` GROUP BY ${keys.join(', ')}`
    if (keys.length === 0) groupBy = style === 'all' ? ' GROUP BY ALL' : ''
  }
  const having = rnd() < 0.25 ? ` HAVING ${pick(rnd, HAVINGS)}` : ''
  const distinct = rnd() < 0.1 ? 'DISTINCT ' : ''
  const outputs = keys.length + aggregates.length
  const ordered = rnd() < 0.6
  const hidden = ordered && distinct === '' && rnd() < 0.2 ? [pick(rnd, ['count(*) DESC', 'sum(pid)', 'min(pid) NULLS FIRST'])] : []
  // a DOUBLE aggregate may tie with another in value but not in its last bits: it never decides the order
  const floats = new Set(aggregates.flatMap((a, i) => a.float === true ? [keys.length + i + 1] : []))
  const tail = ordered ? orderBy(rnd, outputs, hidden, floats) + limit(rnd) : ''
  const build = (items: readonly string[]): string => `SELECT ${distinct}${[...keyItems, ...items].join(', ')} FROM ${table}${where}${groupBy}${having}${tail}`
  return { sql: build(aggItems), reference: build(refItems), ordered }
}

function plainQuery (rnd: Random): GeneratedQuery {
  const table = rnd() < 0.7 ? 'logs' : 'alert'
  const where = rnd() < 0.4 ? '' : ` WHERE ${pick(rnd, WHERES[table] as string[])}`
  if (rnd() < 0.1) {
    const sql = `SELECT * FROM ${table}${where}${rnd() < 0.5 ? ' ORDER BY "timestamp" NULLS LAST, pid, ppid, host_pid' + limit(rnd) : ''}`
    return { sql, reference: sql, ordered: sql.includes('ORDER BY') }
  }
  const distinct = rnd() < 0.2
  const columns = some(rnd, (distinct ? LOW_CARDINALITY[table] : PLAIN_COLUMNS[table]) as string[], 1, 4)
  const ordered = rnd() < 0.6
  const hidden = ordered && !distinct && rnd() < 0.4 ? [pick(rnd, HIDDEN_SORT_KEYS[table] as string[])] : []
  const tail = ordered ? orderBy(rnd, columns.length, hidden) + limit(rnd) : ''
  const sql = `SELECT ${distinct ? 'DISTINCT ' : ''}${columns.join(', ')} FROM ${table}${where}${tail}`
  return { sql, reference: sql, ordered }
}
