import type { ResultBatch, ResultStream } from '@fedlake/sql'

/**
 * The same result stream, calling `onEnd` once when it ends: read to the end, failed, left early (`return`) or
 * cancelled.
 */
export function onStreamEnd (stream: ResultStream, onEnd: () => void): ResultStream {
  let ended = false
  const end = (): void => {
    if (ended) return
    ended = true
    onEnd()
  }
  return {
    fields: stream.fields,
    cancel (reason) {
      try { stream.cancel(reason) } finally { end() }
    },
    [Symbol.asyncIterator] (): AsyncIterator<ResultBatch> {
      const batches = stream[Symbol.asyncIterator]()
      return {
        async next () {
          try {
            const step = await batches.next()
            if (step.done === true) end()
            return step
          } catch (err) {
            end()
            throw err
          }
        },
        async return (value?: unknown) {
          try {
            return await (batches.return?.(value) ?? Promise.resolve({ done: true as const, value: undefined }))
          } finally {
            end()
          }
        }
      }
    }
  }
}
