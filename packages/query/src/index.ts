/**
 * @packageDocumentation
 * The query side of fedlake: EdgeLake's `sql` command grammar and its reply formats (shared by local and
 * network queries), and the network query planner and executor.
 */
export { parseSqlCommand, SQL_FORMATS, SQL_OPTION_KEYS } from './sql-command.js'
export type { SqlCommand, SqlFormat } from './sql-command.js'
export { formatElapsed, formatSqlReply, JSON_CONTENT_TYPE, NDJSON_CONTENT_TYPE, TEXT_CONTENT_TYPE } from './reply.js'
export type { NodeCount, SqlReplyOptions } from './reply.js'
