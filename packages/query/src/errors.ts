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
  DATE_EXPRESSION_INVALID: { status: 400, edgelakeCode: 134, text: 'Error in SQL Select statement' }
})
