/**
 * Error codes of the operator's storage, SQL validation and PUT ingestion.
 * EdgeLake numbers and texts come from its process_status.py (reference/edgelake.md §1.8).
 */
import { defineErrors } from '@fedlake/core'

export const STORAGE_ERRORS = defineErrors({
  STORAGE_NOT_STARTED: { status: 503, edgelakeCode: 10, text: 'DBMS not open' },
  STORAGE_INVALID_NAME: { status: 400, edgelakeCode: 5, text: 'Wrong DBMS Name or DBMS not connected' },
  STORAGE_ALREADY_OPEN: { status: 500, edgelakeCode: 49, text: 'DBMS connection error' },
  STORAGE_SCHEMA_INVALID: { status: 400, edgelakeCode: 66, text: 'Table structure not available' },
  STORAGE_SCHEMA_MISMATCH: { status: 500, edgelakeCode: 217, text: 'Inconsistent schema' },
  STORAGE_INVALID_VALUE: { status: 400, edgelakeCode: 194, text: 'Casting failure' },
  STORAGE_WRITE_FAILED: { status: 500, edgelakeCode: 52, text: 'Insert new row failed' }
})

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
  SQL_TOO_MANY_ROWS: { status: 400, edgelakeCode: 77, text: 'Query data volume above limit' }
})

export const PUT_ERRORS = defineErrors({
  PUT_MALFORMED_BODY: { status: 400, edgelakeCode: 6, text: 'Error in JSON Structure' },
  PUT_INVALID_NAME: { status: 400, edgelakeCode: 28, text: 'Wrong table name' },
  PUT_TYPE_MISMATCH: { status: 400, edgelakeCode: 27, text: 'Failed to map JSON to SQL insert' },
  /** Two keys of one row map to the same column once lower-cased and sanitised (e.g. "Value" and "value"). */
  PUT_DUPLICATE_COLUMN: { status: 400, edgelakeCode: 27, text: 'Failed to map JSON to SQL insert' }
})
