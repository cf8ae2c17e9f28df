import type { TableSchema } from '@fedlake/core'
import { FedlakeError } from '@fedlake/core'
import { STORAGE_ERRORS } from '../errors-storage.js'
import type { StorageValue } from './types.js'

/** Rows handed to storage must have exactly one value per schema column. */
export function assertRowWidths (schema: TableSchema, rows: readonly (readonly StorageValue[])[]): void {
  for (let r = 0; r < rows.length; r++) {
    if (rows[r]?.length !== schema.columns.length) {
      throw new FedlakeError(STORAGE_ERRORS.STORAGE_INVALID_VALUE, `row ${r} has ${rows[r]?.length ?? 0} values for ${schema.columns.length} columns`, { row: r })
    }
  }
}
