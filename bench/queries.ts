/** The benchmark's query mix over KubeArmor's logs table: bench:query times it, bench:load runs it concurrently. */
export interface BenchQuery {
  readonly name: string
  /** What users send (EdgeLake's dialect). */
  readonly network: string
  /** The same answer in plain DuckDB SQL, for the baseline. */
  readonly duckdb: string
}

export const QUERIES: readonly BenchQuery[] = [
  { name: 'count(*)', network: 'select count(*) from logs', duckdb: 'select count(*) from logs' },
  { name: 'group by pod_name', network: 'select pod_name, count(*) from logs group by pod_name', duckdb: 'select pod_name, count(*) from logs group by pod_name' },
  {
    name: 'group by 3 columns',
    network: 'select namespace, pod_name, operation, count(*), max(pid) from logs group by namespace, pod_name, operation',
    duckdb: 'select namespace, pod_name, operation, count(*), max(pid) from logs group by namespace, pod_name, operation'
  },
  {
    name: 'increments(hour) + where',
    network: "select increments(hour, 1, updated_timestamp), result, min(updated_timestamp) as min_ts, max(updated_timestamp) as max_ts, count(*) as row_count from logs where operation = 'File' group by result order by min_ts",
    duckdb: "select result, min(updated_timestamp) as min_ts, max(updated_timestamp) as max_ts, count(*) as row_count from logs where operation = 'File' group by date_trunc('hour', updated_timestamp), result order by min_ts"
  },
  {
    name: 'period(day) count(*)',
    network: 'select count(*) from logs where period(day, 1, now(), updated_timestamp)',
    duckdb: 'select count(*) from logs where updated_timestamp > (select max(updated_timestamp) from logs where updated_timestamp <= now()) - interval 1 day and updated_timestamp <= (select max(updated_timestamp) from logs where updated_timestamp <= now())'
  },
  {
    name: 'top-10 pods',
    network: 'select pod_name, count(*) as n from logs group by pod_name order by n desc, pod_name limit 10',
    duckdb: 'select pod_name, count(*) as n from logs group by pod_name order by n desc, pod_name limit 10'
  },
  { name: 'select 10,000 rows', network: 'select * from logs limit 10000', duckdb: 'select * from logs limit 10000' }
]

/**
 * Queries only the query node can finish (their rows or value counts travel to its merge DuckDB): bench:query times
 * them beside one DuckDB; bench:load leaves them out of its mix.
 */
export const MERGED_QUERIES: readonly BenchQuery[] = [
  {
    name: 'median by group',
    network: 'select pod_name, median(ppid), quantile_disc(ppid, 0.9) from logs group by pod_name',
    duckdb: 'select pod_name, median(ppid), quantile_disc(ppid, 0.9) from logs group by pod_name'
  },
  {
    name: 'join: logs of the 3 busiest pods',
    network: 'select l.operation, count(*) as n from logs l join (select pod_name from logs group by pod_name order by count(*) desc, pod_name limit 3) t using (pod_name) group by l.operation',
    duckdb: 'select l.operation, count(*) as n from logs l join (select pod_name from logs group by pod_name order by count(*) desc, pod_name limit 3) t using (pod_name) group by l.operation'
  },
  {
    name: 'window: last 3 events per pod',
    network: 'select pod_name, updated_timestamp, pid from logs qualify row_number() over (partition by pod_name order by updated_timestamp desc, pid) <= 3',
    duckdb: 'select pod_name, updated_timestamp, pid from logs qualify row_number() over (partition by pod_name order by updated_timestamp desc, pid) <= 3'
  }
]
