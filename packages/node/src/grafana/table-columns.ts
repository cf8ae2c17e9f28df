/**
 * What the datasource needs of the network's metadata (tables and their schemas), and EdgeLake's rules for
 * guessing a table's time and value columns when a payload names none (`member_cmd.get_time_value_columns`).
 */
import type { ColumnSchema, TableRef, TableSchema } from '@fedlake/core'

export interface GrafanaCatalog {
  /** Tables known to the network (of one dbms, or all), sorted. */
  tables(dbms?: string): TableRef[]
  schema(dbms: string, table: string): TableSchema | undefined
}

const NUMERIC_TYPES = new Set(['BIGINT', 'HUGEINT', 'INTEGER', 'DOUBLE'])

export function isNumericColumn (column: ColumnSchema): boolean {
  return NUMERIC_TYPES.has(column.type)
}

export function timestampColumns (schema: TableSchema): string[] {
  return schema.columns.filter(c => c.type === 'TIMESTAMP').map(c => c.name)
}

export function numericColumns (schema: TableSchema): string[] {
  return schema.columns.filter(isNumericColumn).map(c => c.name)
}

export function textColumns (schema: TableSchema): string[] {
  return schema.columns.filter(c => c.type === 'VARCHAR').map(c => c.name)
}

/** A timestamp column named `timestamp...`, else one containing `timestamp`, else `time`, else the first. */
export function guessTimeColumn (schema: TableSchema | undefined): string | undefined {
  if (schema === undefined) return undefined
  const names = timestampColumns(schema)
  const lower = (n: string): string => n.toLowerCase()
  return names.find(n => lower(n).startsWith('timestamp')) ?? names.find(n => lower(n).includes('timestamp')) ??
    names.find(n => lower(n).includes('time')) ?? names[0]
}

/** A numeric column named `value...`, else one containing `value`, else the first numeric column. */
export function guessValueColumn (schema: TableSchema | undefined): string | undefined {
  if (schema === undefined) return undefined
  const names = numericColumns(schema)
  const lower = (n: string): string => n.toLowerCase()
  return names.find(n => lower(n).startsWith('value')) ?? names.find(n => lower(n).includes('value')) ?? names[0]
}

/** The schema's own spelling of a column, matched without regard to case. */
export function columnOf (schema: TableSchema | undefined, name: string): ColumnSchema | undefined {
  return schema?.columns.find(c => c.name.toLowerCase() === name.toLowerCase())
}
