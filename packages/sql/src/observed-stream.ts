import type { ResultBatch, ResultStream } from './result-batch.js'

/** What an observer of a ResultStream hears: each batch, and how the stream finished. */
export interface StreamObserver {
  readonly batch?: (batch: ResultBatch) => void
  readonly ended?: () => void
  readonly failed?: (err: unknown) => void
  /** The consumer stopped reading before the end. */
  readonly left?: () => void
  readonly cancelled?: () => void
}

/** The same stream, telling `observer` what happens to it. */
export function observed (stream: ResultStream, observer: StreamObserver): ResultStream {
  return {
    fields: stream.fields,
    cancel: reason => { observer.cancelled?.(); stream.cancel(reason) },
    [Symbol.asyncIterator]: () => {
      const inner = stream[Symbol.asyncIterator]()
      return {
        next: async () => {
          try {
            const next = await inner.next()
            if (next.done === true) observer.ended?.()
            else observer.batch?.(next.value)
            return next
          } catch (err) {
            observer.failed?.(err)
            throw err
          }
        },
        return: async () => { observer.left?.(); return await (inner.return?.() ?? Promise.resolve({ done: true as const, value: undefined })) }
      }
    }
  }
}

/** The same stream, calling `done` once when it has ended, failed, been left early or been cancelled. */
export function settledWith (stream: ResultStream, done: () => void): ResultStream {
  let settled = false
  const once = (): void => {
    if (settled) return
    settled = true
    done()
  }
  return observed(stream, { ended: once, failed: once, left: once, cancelled: once })
}
