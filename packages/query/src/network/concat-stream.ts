/**
 * The rows of a plain SELECT without ORDER BY, as they come from the operators (there is no order to keep):
 * `offset` rows skipped, then at most `limit` rows, after which the operators are cancelled.
 */
import { isFedlakeError } from '@fedlake/core'
import type { SourcedBatch } from '@fedlake/duckdb'
import type { ResultBatch, ResultField, ResultStream, ResultVector } from '@fedlake/sql'

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
        batch = slice(batch, dropped, batch.rowCount)
      }
      if (batch.rowCount > left) batch = slice(batch, 0, left)
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

/** Rows [start, end) of a batch. */
export function slice (batch: ResultBatch, start: number, end: number): ResultBatch {
  if (start === 0 && end === batch.rowCount) return batch
  const vectors = batch.vectors.map((v): ResultVector => {
    const valid = v.valid === null ? null : v.valid.slice(start, end)
    switch (v.kind) {
      case 'bool': return { kind: v.kind, values: v.values.slice(start, end), valid }
      case 'f64': return { kind: v.kind, values: v.values.slice(start, end), valid }
      case 'i64': return { kind: v.kind, values: v.values.slice(start, end), valid }
      case 'text': return { kind: v.kind, values: v.values.slice(start, end), valid }
      case 'json': return { kind: v.kind, values: v.values.slice(start, end), valid }
    }
  })
  return { rowCount: end - start, vectors }
}

export function isCancellation (err: unknown): boolean {
  return isFedlakeError(err) && (err.code === 'SQL_CANCELLED' || err.code === 'COMMAND_TIMEOUT' || err.code === 'CLIENT_GONE')
}
