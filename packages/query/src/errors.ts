/**
 * Error codes of the query node's planner and of EdgeLake's date expressions.
 * EdgeLake numbers and texts come from its process_status.py (reference/edgelake.md §1.8).
 */
import { defineErrors } from '@fedlake/core'

export const QUERY_ERRORS = defineErrors({
  /** A construct the network planner cannot yet answer exactly (median, window functions, joins, ...); the message names it. */
  PLAN_UNSUPPORTED: { status: 400, edgelakeCode: 18, text: 'SQL stmt not supported' },
  /** increments()/period() with a bad unit, count or column, or used where they have no meaning. */
  PLAN_INVALID_ARGUMENT: { status: 400, edgelakeCode: 46, text: 'Failed to parse SQL statement' },
  /** An EdgeLake date expression that cannot be resolved (`date('now', 'start of fortnight')`, `'2026-13-01'`). */
  DATE_EXPRESSION_INVALID: { status: 400, edgelakeCode: 134, text: 'Error in SQL Select statement' },
  /** A network query names a dbms or table no table policy of the network describes. */
  NETWORK_UNKNOWN_TABLE: { status: 404, edgelakeCode: 45, text: 'Failed to load table metadata from blockchain' },
  /** A cluster holds the table but no operator of it can be reached by the metadata's node policies. */
  NETWORK_NO_OPERATOR: { status: 503, edgelakeCode: 203, text: 'Operator not available' },
  /** Operators still had not answered when the query's deadline came (the message names them). */
  NETWORK_OPERATOR_TIMEOUT: { status: 504, edgelakeCode: 26, text: 'Time Out' },
  /**
   * The rows the operators send for a query merged on the query node (a join, a window, a holistic aggregate...)
   * passed the node's limits.maxMergeRows / maxMergeBytes or the query's max_merge_rows / max_merge_bytes; the
   * message names the cap, what had arrived and how to raise it. The node goes on serving.
   */
  NETWORK_MERGE_TOO_LARGE: { status: 422, edgelakeCode: 77, text: 'Query data volume above limit' },
  /** An operator the liveness view has lost (no sign of life for longer than `metadata.unreachableAfterMs`) did not answer a short probe. */
  NETWORK_OPERATOR_UNREACHABLE: { status: 503, edgelakeCode: 203, text: 'Operator not available' },
  /** Operators returned different columns for the same sub-query (their tables differ). */
  NETWORK_SCHEMA_MISMATCH: { status: 502, edgelakeCode: 217, text: 'Inconsistent schema' }
})
