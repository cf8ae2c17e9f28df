/**
 * What the ingest pipeline needs from storage: the append half of OperatorStorage, so tests can
 * pass a small in-memory fake and the real DuckDB store fits as it is.
 */
import type { ColumnarStorage, OperatorStorage, StorageValue } from '../storage/index.js'

/** A stored value; TIMESTAMP is epoch microseconds as number. */
export type IngestValue = StorageValue

export type IngestRow = readonly IngestValue[]

/**
 * ensureTable: true when this call created the table; appendRows: atomic, resolves when committed.
 * A sink with appendColumns gets the pipeline's column batches as they are (no rows rebuilt).
 */
export type IngestSink = Pick<OperatorStorage, 'ensureTable' | 'appendRows'> & Partial<Pick<ColumnarStorage, 'appendColumns'>>
