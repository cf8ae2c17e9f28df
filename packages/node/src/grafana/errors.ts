/**
 * Error codes of the Grafana JSON datasource (docs/grafana.md). Grafana shows a failed request's `message`;
 * `code` names the failure for scripts and logs.
 */
import { defineErrors } from '@fedlake/core'

export const GRAFANA_ERRORS = defineErrors({
  /** The request body is not the JSON object the endpoint takes (not JSON, wrong field types). */
  GRAFANA_BAD_REQUEST: { status: 400, edgelakeCode: 2, text: 'Error Command Structure' },
  /** A target's payload is malformed: an unknown type, SQL that is not a SELECT, a bad interval or timezone. */
  GRAFANA_BAD_PAYLOAD: { status: 400, edgelakeCode: 2, text: 'Error Command Structure' },
  /** An EdgeLake payload feature fedlake does not serve (type aggregations or map, servers). */
  GRAFANA_UNSUPPORTED: { status: 400, edgelakeCode: 18, text: 'SQL stmt not supported' },
  /** A time series, increments or period needs a timestamp column and none was named or found. */
  GRAFANA_NO_TIME_COLUMN: { status: 400, edgelakeCode: 46, text: 'Failed to parse SQL statement' },
  /** increments or period without SQL needs a numeric value column and none was named or found. */
  GRAFANA_NO_VALUE_COLUMN: { status: 400, edgelakeCode: 46, text: 'Failed to parse SQL statement' }
})
