/**
 * Several operators' batch streams as one ResultStream, batches taken as they arrive (a plain SELECT without
 * ORDER BY has no order to keep). At most `capacity` batches wait for the consumer; the producers wait
 * otherwise, so a slow client slows the operators. `offset`/`limit` are applied on the way: once the limit is
 * reached the operators are cancelled.
 */
import { isFedlakeError } from '@fedlake/core'
import type { ResultBatch, ResultField, ResultStream, ResultVector } from '@fedlake/sql'

export interface ConcatSource {
  readonly batches: AsyncIterable<ResultBatch>
  cancel(): void
}

export interface ConcatOptions {
  readonly offset: number
  readonly limit: number | null
  /** Called when a source fails: return true to drop it and go on (subset), false to fail the stream. */
  readonly onSourceError: (index: number, error: unknown) => boolean
  readonly signal?: AbortSignal
  readonly capacity?: number
}

export function concatStreams (fields: readonly ResultField[], sources: readonly ConcatSource[], options: ConcatOptions): ResultStream {
  const capacity = options.capacity ?? 4
  const queue: ResultBatch[] = []
  let failure: unknown
  let active = sources.length
  let stopped = false
  let skip = options.offset
  let left = options.limit ?? Infinity
  let wakeConsumer: (() => void) | undefined
  const wakeProducers: (() => void)[] = []

  const notify = (): void => { const w = wakeConsumer; wakeConsumer = undefined; w?.() }
  const stopAll = (): void => {
    if (stopped) return
    stopped = true
    for (const source of sources) source.cancel()
    for (const w of wakeProducers.splice(0)) w()
    notify()
  }
  const onAbort = (): void => { failure ??= options.signal?.reason; stopAll() }
  options.signal?.addEventListener('abort', onAbort, { once: true })

  const pump = async (source: ConcatSource, index: number): Promise<void> => {
    try {
      for await (const batch of source.batches) {
        if (stopped) return
        let taken = batch
        if (skip > 0) {
          const dropped = Math.min(skip, taken.rowCount)
          skip -= dropped
          taken = slice(taken, dropped, taken.rowCount)
        }
        if (taken.rowCount > left) taken = slice(taken, 0, left)
        if (taken.rowCount > 0) {
          left -= taken.rowCount
          queue.push(taken)
          notify()
        }
        if (left === 0) { stopAll(); return }
        while (!stopped && queue.length >= capacity) await new Promise<void>(resolve => { wakeProducers.push(resolve) })
      }
    } catch (err) {
      if (stopped) return
      if (!options.onSourceError(index, err)) {
        failure ??= err
        stopAll()
      }
    } finally {
      active--
      notify()
    }
  }
  sources.forEach((source, i) => { void pump(source, i) })

  const next = async (): Promise<IteratorResult<ResultBatch>> => {
    for (;;) {
      const batch = queue.shift()
      if (batch !== undefined) {
        for (const w of wakeProducers.splice(0)) w()
        return { done: false, value: batch }
      }
      if (failure !== undefined) throw failure
      if (active === 0 || (stopped && left === 0)) {
        options.signal?.removeEventListener('abort', onAbort)
        return { done: true, value: undefined }
      }
      await new Promise<void>(resolve => { wakeConsumer = resolve })
    }
  }
  return {
    fields,
    cancel: reason => { failure ??= reason ?? new Error('cancelled'); stopAll() },
    [Symbol.asyncIterator]: () => ({
      next,
      return: async () => { stopAll(); return { done: true, value: undefined } }
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
