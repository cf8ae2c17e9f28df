/**
 * The rows of a plain SELECT without ORDER BY, as they come from the operators (there is no order to keep):
 * `offset` rows skipped, then at most `limit` rows, after which the operators are cancelled.
 */
import { isFedlakeError } from '@fedlake/core'
import type { SourcedBatch } from '@fedlake/duckdb'
import { sliceBatch } from '@fedlake/sql'
import type { ResultBatch, ResultField, ResultStream } from '@fedlake/sql'

export interface ConcatOptions {
  readonly offset: number
  readonly limit: number | null
  /** Stops the operators (the limit is reached, or the consumer left). */
  readonly cancel: () => void
}

export function concatStream (fields: readonly ResultField[], batches: AsyncIterable<SourcedBatch>, options: ConcatOptions): ResultStream {
  let skip = options.offset
  let left = options.limit ?? Infinity
  let iterator: AsyncIterator<SourcedBatch> | undefined
  let stopped: unknown
  const next = async (): Promise<IteratorResult<ResultBatch>> => {
    if (stopped !== undefined) throw stopped
    iterator ??= batches[Symbol.asyncIterator]()
    for (;;) {
      if (left <= 0) {
        options.cancel()
        return { done: true, value: undefined }
      }
      const item = await iterator.next()
      if (item.done === true) return { done: true, value: undefined }
      let batch = item.value.batch
      if (skip > 0) {
        const dropped = Math.min(skip, batch.rowCount)
        skip -= dropped
        batch = sliceBatch(batch, dropped, batch.rowCount)
      }
      if (batch.rowCount > left) batch = sliceBatch(batch, 0, left)
      if (batch.rowCount === 0) continue
      left -= batch.rowCount
      return { done: false, value: batch }
    }
  }
  return {
    fields,
    cancel: reason => { stopped ??= reason ?? new Error('cancelled'); options.cancel() },
    [Symbol.asyncIterator]: () => ({
      next,
      return: async () => { options.cancel(); await iterator?.return?.(); return { done: true, value: undefined } }
    })
  }
}

export function isCancellation (err: unknown): boolean {
  return isFedlakeError(err) && (err.code === 'SQL_CANCELLED' || err.code === 'COMMAND_TIMEOUT' || err.code === 'CLIENT_GONE')
}
