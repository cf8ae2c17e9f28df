/**
 * @packageDocumentation
 * The query side of fedlake: EdgeLake's `sql` command grammar and its reply formats (shared by local and
 * network queries), and the network query planner and executor.
 */
export { QUERY_ERRORS } from './errors.js'
export { parseSqlCommand, SQL_FORMATS, SQL_OPTION_KEYS } from './sql-command.js'
export type { ExtendColumn, SqlCommand, SqlFormat } from './sql-command.js'
export { parseRunClient } from './run-client.js'
export type { RunClientCommand, RunClientTargets } from './run-client.js'
export {
  createReplyEncoder, errorRecord, formatElapsed, replyColumnNames, JSON_CONTENT_TYPE, NDJSON_CONTENT_TYPE, TEXT_CONTENT_TYPE
} from './reply.js'
export type { NodeCount, ReplyEncoder, ReplyOptions, ReplyStatistics } from './reply.js'
export { replyFromStream } from './reply-stream.js'
export { bindNow, containsNow, NOW_MARKER, NOW_SQL, resolveDateExpressions, resolveTimeZone, edgeLakeDateToUtc, TIME_UNITS, timeUnitOf } from './dates/index.js'
export type { DateExpressionOptions, EdgeLakeDate, TimeUnit } from './dates/index.js'
export { bindableStatement, planNetworkQuery, PERIOD_PROBE_COLUMN } from './planner/index.js'
export type { EmptyPlan, Fragment, Merge, NetworkPlan, OrderKey, PeriodPlan, PlanCatalog, PlanOptions, QueryPlan } from './planner/index.js'
export { createNetworkExecutor } from './network/executor.js'
export type { NetworkAnswer, NetworkExecutor, NetworkExecutorInit, NetworkQuery } from './network/executor.js'
export { QUERY_DURATION_BUCKETS_SECONDS } from './network/query-log.js'
export type { QueryEntry, QueryOutcome, QueryTotals, SubqueryEntry, SubqueryTotals } from './network/query-log.js'
