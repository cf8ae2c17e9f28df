/**
 * @packageDocumentation
 * What every node needs to speak SQL with another, with no heavy dependency: the shape of DuckDB's parse
 * tree (json_serialize_sql), the read-only SELECT validator, and the SQL error codes.
 */
export { SQL_ERRORS } from './errors.js'
export type { ParsedSql, ParsedSqlError, ParsedSqlOk } from './ast.js'
export { NON_FINITE_MARKER, parsedSqlFromJson, printableAstJson, NUMBER_TOKEN_MARKER } from './ast.js'
export { cteNamesOf } from './cte-names.js'
export { isForbiddenFunction, namesDbms, parseFailure, validateSelect } from './validate.js'
export { MAX_GENERATED_SIZE } from './size-guard.js'
export type { SelectValidationContext, ValidatedSelect } from './validate.js'
export { isNull, sliceBatch, vectorKindOf } from './result-batch.js'
export { observed, settledWith } from './observed-stream.js'
export type { StreamObserver } from './observed-stream.js'
export type {
  BoolVector, F64Vector, I64Vector, JsonVector, ResultBatch, ResultField, ResultStream, ResultVector, ResultVectorKind, TextVector
} from './result-batch.js'
export { formatDateDays, formatTimestampMicros, resolveTimeZone, UTC } from './timestamps.js'
export type { TimeZone } from './timestamps.js'
export { jsonTextEncoder, jsonTextEncoders, jsonValueDecoder, jsonValueDecoders } from './result-values.js'
export type { JsonTextEncoder, JsonValueDecoder, ValueFormatOptions } from './result-values.js'
export { batchFromValues } from './batch-from-values.js'
export type { BatchValue } from './batch-from-values.js'
export { decodeBatch, encodeBatch } from './batch-codec.js'
export { decodeFrame, encodeBatchFrame, encodeBatchFrames, encodeControl, protocolError, SUBQUERY_PROTOCOL } from './subquery-protocol.js'
export type { SerializedSubqueryError, SubqueryFrame, SubqueryReply, SubqueryRequest } from './subquery-protocol.js'
