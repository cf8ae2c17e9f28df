export { createDuckDbStorage } from './duckdb-storage.js'
export type { DuckDbStorageInit, OperatorStorage, StorageQueryOptions, StorageValue } from './types.js'
export { formatTimestampMicros, formatDateDays } from './result-values.js'
export { isValidDbmsName, quoteIdent } from './identifiers.js'
