/**
 * @packageDocumentation
 * The DuckDB seam: everything that talks to @duckdb/node-api and is shared by the operator's storage and the
 * query node's merge engine. Databases are opened locked down, statements run without spinning threads,
 * DuckDB's errors become SQL_* errors, and result values become JSON-safe values.
 */
export { lockedDownOptions } from './lockdown.js'
export type { DuckDbTuning } from './lockdown.js'
export { runStatementWithoutSpinning } from './run-statement.js'
export { duckDbErrorKind, sqlErrorFromDuckDb } from './errors.js'
export { bigintToJson, columnTypeOf, columnTypeOfName, converterFor, decimalToJson } from './values.js'
export { createResultReader, transferablesOf } from './result-reader.js'
export type { ResultReader } from './result-reader.js'
export type { ValueConverter } from './values.js'
export { assignString, rawVector, readVectorData, writeVectorData, writeVectorValidity } from './vectors.js'
export type { RawVector } from './vectors.js'
export { createSqlParser } from './sql-parser.js'
export type { SqlParser } from './sql-parser.js'
export { openSelectStream } from './select-stream.js'
export type { SelectStreamInit } from './select-stream.js'
export { appendBatch, stagingType, stagingView } from './batch-writer.js'
export { createMergeEngine } from './merge-engine.js'
export type { MergeEngine, MergeEngineInit, MergeFragment, SourcedBatch } from './merge-engine.js'
