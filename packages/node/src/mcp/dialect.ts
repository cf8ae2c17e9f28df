/** What the tool descriptions teach a model about fedlake's SQL (docs/sql.md, shortened). */

export const SERVER_INSTRUCTIONS = `fedlake is a federated query network for edge telemetry (KubeArmor security events). Operator nodes keep
their data in local DuckDB databases; any query node answers SQL over all of them as if they were one database.
Explore first: list_databases, list_tables, describe_table (columns and types), show_network (nodes, clusters,
which operator holds which table, liveness). Then run read-only SQL with query, and see how a query is split
over the operators with explain_query. get_grpc_client_status shows what an operator node ingests from KubeArmor.`

export const KUBEARMOR_TABLES = `KubeArmor tables (dbms kubearmor):
- logs: every process, file and network event (timestamp, updated_timestamp, cluster_name, hostname, namespace,
  pod_name, container_name, container_image, labels, process_name, parent_process_name, pid, ppid, uid,
  type, source, operation [Process|File|Network|Syscall|Capabilities], resource, data, result [Passed, or the
  error such as Permission denied], cwd, user_name, ...)
- alert: events that matched a KubeArmor policy: the logs columns plus policy_name, severity, tag, atag, message,
  enforcer, action [Allow|Audit|Block]
- message: KubeArmor's own messages (timestamp, hostname, host_ip, type, level, message)
- rejects: records that could not be decoded or mapped (time, source, stream, error, raw)
Timestamps are UTC TIMESTAMP columns; updated_timestamp has microseconds.`

export const SQL_DIALECT = `SQL: one read-only SELECT in DuckDB's dialect, over the tables of one dbms (write table names without the dbms).
EdgeLake's additions, resolved before DuckDB sees the statement:
- Date expressions: now(), date(), now() - 3 days, now() - 2 hours, date() + 1 week; a bare shift after a comparison
  is from now: timestamp > -4t (4 minutes; units s, t = minute, h, d, w, m = month, y or their names);
  '2026-01-01 10:00:00' is local time of the timezone argument (default: the query node's), '2026-01-01T10:00:00Z' is UTC;
  date('now', 'start of month', '-1 day'). DuckDB's own forms work too: now() - INTERVAL 3 DAY, interval '90 minutes'.
- increments(unit, n, column) in the select list groups rows in calendar-aligned time buckets (unit second, minute,
  hour, day, week, month, year); the bucket is not a column of the answer, add min(column) to see it; GROUP BY lists
  only the other keys. Example: select increments(minute, 5, updated_timestamp), min(updated_timestamp) as bucket_start,
  operation, count(*) as events from logs where updated_timestamp > now() - 1 hour group by operation order by bucket_start
- period(unit, n, date, column) in WHERE keeps the n units before the latest row at or before date (over the whole
  network). Example: select count(*) as alerts, max(timestamp) as latest from alert where period(hour, 6, now(), timestamp)
- range(x) is max(x) - min(x).
Over the network the query node splits the query: aggregates (count, sum, avg, min, max, stddev, count(distinct x),
arg_max, median, quantile_cont/quantile_disc, mode, string_agg/list with ORDER BY, ... with FILTER), GROUP BY, HAVING,
ORDER BY, LIMIT, DISTINCT, CASE and expressions over them are exact.
Refused for now with PLAN_UNSUPPORTED (the message names the construct): joins, UNION, WITH, subqueries over tables,
window functions, QUALIFY, first/last. Run two queries instead, or aggregate first.
Examples:
- select operation, result, count(*) as n from logs group by all order by n desc limit 10
- select pod_name, count(*) as blocked from alert where action = 'Block' and timestamp > now() - 1 day group by pod_name order by blocked desc limit 5
- select hostname, count(distinct pod_name) as pods, max(updated_timestamp) as last_seen from logs group by hostname`
