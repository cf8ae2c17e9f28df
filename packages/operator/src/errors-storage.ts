/**
 * Error codes of the operator's storage and PUT ingestion (SQL errors live in @fedlake/sql).
 * EdgeLake numbers and texts come from its process_status.py (reference/edgelake.md §1.8).
 */
import { defineErrors } from '@fedlake/core'

export const STORAGE_ERRORS = defineErrors({
  STORAGE_NOT_STARTED: { status: 503, edgelakeCode: 10, text: 'DBMS not open' },
  STORAGE_INVALID_NAME: { status: 400, edgelakeCode: 5, text: 'Wrong DBMS Name or DBMS not connected' },
  /** A dbms name DuckDB's catalog resolves specially (system, temp, main, memory, information_schema, pg_catalog). */
  STORAGE_RESERVED_DBMS: { status: 400, edgelakeCode: 5, text: 'Wrong DBMS Name or DBMS not connected' },
  STORAGE_ALREADY_OPEN: { status: 500, edgelakeCode: 49, text: 'DBMS connection error' },
  STORAGE_SCHEMA_INVALID: { status: 400, edgelakeCode: 66, text: 'Table structure not available' },
  STORAGE_SCHEMA_MISMATCH: { status: 500, edgelakeCode: 217, text: 'Inconsistent schema' },
  STORAGE_INVALID_VALUE: { status: 400, edgelakeCode: 194, text: 'Casting failure' },
  STORAGE_WRITE_FAILED: { status: 500, edgelakeCode: 52, text: 'Insert new row failed' }
})

export const PUT_ERRORS = defineErrors({
  PUT_MALFORMED_BODY: { status: 400, edgelakeCode: 6, text: 'Error in JSON Structure' },
  PUT_INVALID_NAME: { status: 400, edgelakeCode: 28, text: 'Wrong table name' },
  PUT_TYPE_MISMATCH: { status: 400, edgelakeCode: 27, text: 'Failed to map JSON to SQL insert' },
  /** Two keys of one row map to the same column once lower-cased and sanitised (e.g. "Value" and "value"). */
  PUT_DUPLICATE_COLUMN: { status: 400, edgelakeCode: 27, text: 'Failed to map JSON to SQL insert' },
  /** The dbms is fed by a connector (KubeArmor) or listed in ingest.putReadOnlyDbms. */
  PUT_READ_ONLY_DBMS: { status: 403, edgelakeCode: 27, text: 'DBMS does not accept PUT' }
})
