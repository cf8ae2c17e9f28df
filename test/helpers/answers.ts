/** The shapes the differential tests compare: a cell of test data, a row, and a query's answer. */
export type Cell = null | boolean | number | bigint | string
export type Row = readonly Cell[]

export interface QueryAnswer {
  readonly columns: readonly string[]
  readonly types: readonly string[]
  readonly rows: readonly (readonly unknown[])[]
}
