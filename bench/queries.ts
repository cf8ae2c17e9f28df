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
