/**
 * The payload form of the datasource's builder mode (simpod >= 0.6): `POST /metrics` lists each table with the
 * payload fields it takes, and `POST /metric-payload-options` fills the choices of a select field (the table's
 * timestamp columns for time_column, its numeric columns for value_column).
 */
import type { JsonValue } from '@fedlake/core'
import { PAYLOAD_TYPES, SERIES_FUNCTIONS } from './payload.js'
import { numericColumns, timestampColumns } from './table-columns.js'
import type { GrafanaCatalog } from './table-columns.js'

export interface MetricPayloadField {
  readonly name: string
  readonly label: string
  readonly type: 'input' | 'select' | 'multi-select' | 'textarea'
  readonly placeholder?: string
  readonly width?: number
  readonly options?: readonly { readonly label: string, readonly value: string }[]
}

const choices = (values: readonly string[]): { label: string, value: string }[] => values.map(value => ({ label: value, value }))

/** Fields whose options are fixed; time_column and value_column are asked for per table. */
const FIXED_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  type: PAYLOAD_TYPES,
  functions: SERIES_FUNCTIONS,
  time_range: ['true', 'false'],
  format_as: ['table', 'timeseries']
}

export const METRIC_PAYLOAD_FIELDS: readonly MetricPayloadField[] = [
  { name: 'type', label: 'Type', type: 'select', options: choices(PAYLOAD_TYPES) },
  { name: 'sql', label: 'SQL', type: 'textarea', placeholder: 'select pod_name, count(*) from alert group by pod_name' },
  { name: 'time_column', label: 'Time column', type: 'select' },
  { name: 'value_column', label: 'Value columns', type: 'multi-select' },
  { name: 'functions', label: 'Functions', type: 'multi-select', options: choices(SERIES_FUNCTIONS) },
  { name: 'interval', label: 'Interval', type: 'input', placeholder: 'dashboard, or e.g. 10 minutes' },
  { name: 'where', label: 'Where', type: 'input', placeholder: "namespace = 'default'" },
  { name: 'time_range', label: 'Time range', type: 'select', options: choices(['true', 'false']) },
  { name: 'format_as', label: 'Format as', type: 'select', options: choices(['table', 'timeseries']) },
  { name: 'details', label: 'Command (info)', type: 'input', placeholder: 'get data nodes where format = json' }
]

/** The choices of one payload field of a metric (`dbms.table`, or a table of `defaultDbms`). */
export function payloadFieldOptions (catalog: GrafanaCatalog, metric: string, field: string, defaultDbms: string | undefined): JsonValue[] {
  const fixed = FIXED_OPTIONS[field]
  if (fixed !== undefined) return choices(fixed)
  if (field !== 'time_column' && field !== 'value_column') return []
  const dot = metric.indexOf('.')
  const dbms = dot < 0 ? defaultDbms : metric.slice(0, dot)
  const schema = dbms === undefined ? undefined : catalog.schema(dbms, dot < 0 ? metric : metric.slice(dot + 1))
  if (schema === undefined) return []
  return choices(field === 'time_column' ? timestampColumns(schema) : numericColumns(schema))
}
