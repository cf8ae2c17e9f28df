/**
 * A ResultStream read whole into a QueryResult (JSON values): for callers that want a small result at once
 * (tests, internal lookups). Replies never use it: they encode batches as they arrive.
 */
import { FedlakeError } from '@fedlake/core'
import type { JsonValue, QueryResult } from '@fedlake/core'
import { columnTypeOfName } from '@fedlake/duckdb'
import { jsonValueDecoders, SQL_ERRORS } from '@fedlake/sql'
import type { ResultStream } from '@fedlake/sql'

export async function collectResult (stream: ResultStream, maxRows?: number): Promise<QueryResult> {
  const decoders = jsonValueDecoders(stream.fields)
  const rows: JsonValue[][] = []
  try {
    for await (const batch of stream) {
      if (maxRows !== undefined && rows.length + batch.rowCount > maxRows) {
        throw new FedlakeError(SQL_ERRORS.SQL_TOO_MANY_ROWS, `the result has more than ${maxRows} rows`, { maxRows })
      }
      for (let r = 0; r < batch.rowCount; r++) rows.push(decoders.map((decode, c) => decode(batch.vectors[c] as never, r)))
    }
  } finally {
    stream.cancel()
  }
  return { columns: stream.fields.map(f => ({ name: f.name, type: columnTypeOfName(f.type) })), rows }
}
