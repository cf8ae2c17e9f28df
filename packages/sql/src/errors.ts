/**
 * Error codes of SQL validation and execution, shared by every node that parses, plans or runs a SELECT.
 * EdgeLake numbers and texts come from its process_status.py (reference/edgelake.md §1.8).
 */
import { defineErrors } from '@fedlake/core'

export const SQL_ERRORS = defineErrors({
  SQL_SYNTAX: { status: 400, edgelakeCode: 134, text: 'Error in SQL Select statement' },
  /** Not exactly one SELECT (INSERT, PRAGMA, SET, DESCRIBE, two statements, ...). */
  SQL_NOT_READ_ONLY: { status: 400, edgelakeCode: 18, text: 'SQL stmt not supported' },
  /** A table function, or a file/system/settings function. */
  SQL_FORBIDDEN_FUNCTION: { status: 400, edgelakeCode: 18, text: 'SQL stmt not supported' },
  /** A qualified reference to another catalog or schema (information_schema.tables, system.main.x, ...). */
  SQL_FORBIDDEN_REFERENCE: { status: 400, edgelakeCode: 18, text: 'SQL stmt not supported' },
  SQL_UNKNOWN_TABLE: { status: 404, edgelakeCode: 29, text: 'No metadata info' },
  SQL_UNKNOWN_COLUMN: { status: 400, edgelakeCode: 46, text: 'Failed to parse SQL statement' },
  /** DuckDB refused the query for a reason that is the query's fault (binder, conversion, bad function args). */
  SQL_INVALID: { status: 400, edgelakeCode: 16, text: 'SQL Failure' },
  /** DuckDB failed for a reason that is not the query's fault (I/O, out of memory, internal). */
  SQL_EXECUTION: { status: 500, edgelakeCode: 16, text: 'SQL Failure' },
  SQL_CANCELLED: { status: 504, edgelakeCode: 26, text: 'Time Out' },
  /** A function asked to build a value bigger than a call may (range(50000000), repeat('x', 1e9), ...). */
  SQL_RESOURCE_LIMIT: { status: 400, edgelakeCode: 77, text: 'Query data volume above limit' },
  /** A peer sent frames the sub-query protocol does not allow. */
  SUBQUERY_PROTOCOL: { status: 502, edgelakeCode: 16, text: 'SQL Failure' },
  SQL_TOO_MANY_ROWS: { status: 400, edgelakeCode: 77, text: 'Query data volume above limit' },
  /** A one-document reply (json, json:list, table) over the node's byte or row cap: json:output streams instead. */
  SQL_RESULT_TOO_LARGE: { status: 422, edgelakeCode: 77, text: 'Query data volume above limit' },
  /** DuckDB needed more memory than the node's budget gives a database (limits.memoryBudgetMb), even spilling to disk. */
  SQL_OUT_OF_MEMORY: { status: 507, edgelakeCode: 77, text: 'Query data volume above limit' }
})
