/**
 * The main thread's end of a query streamed from the storage worker. The worker sends a batch only when it
 * holds a credit: it starts with INITIAL_CREDITS and gets one back each time the consumer takes a batch, so a
 * consumer that stops pulling (a slow HTTP client) stops the worker, which stops fetching from DuckDB.
 */
import { FedlakeError, isFedlakeError } from '@fedlake/core'
import { SQL_ERRORS } from '@fedlake/sql'
import type { ResultBatch, ResultField, ResultStream } from '@fedlake/sql'

/** Batches the worker may send ahead of the consumer. */
export const INITIAL_CREDITS = 2

export interface StreamReceiverInit {
  /** Gives the worker one more credit. */
  readonly pull: () => void
  /** Tells the worker to stop the query. */
  readonly abort: () => void
  /** Called once, when the stream ends for any reason. */
  readonly onClosed: () => void
}

export class StreamReceiver {
  private readonly queue: ResultBatch[] = []
  private ended = false
  private failure: unknown
  private closed = false
  private wake: (() => void) | undefined

  constructor (private readonly init: StreamReceiverInit) {}

  batch (batch: ResultBatch): void {
    if (this.closed) return
    this.queue.push(batch)
    this.notify()
  }

  end (): void {
    if (this.closed) return
    this.ended = true
    this.notify()
  }

  fail (error: unknown): void {
    if (this.closed || this.failure !== undefined) return
    this.failure = error
    this.notify()
  }

  /** Stops the query: pending and later reads reject with `reason`. */
  cancel (reason?: unknown): void {
    if (this.closed) return
    if (!this.ended) this.init.abort()
    this.fail(isFedlakeError(reason) ? reason : new FedlakeError(SQL_ERRORS.SQL_CANCELLED, 'query cancelled', {}, reason instanceof Error ? { cause: reason } : undefined))
    this.close()
  }

  stream (fields: readonly ResultField[]): ResultStream {
    const next = async (): Promise<IteratorResult<ResultBatch>> => {
      for (;;) {
        if (this.failure !== undefined) { this.close(); throw this.failure }
        const batch = this.queue.shift()
        if (batch !== undefined) {
          if (!this.ended) this.init.pull()
          return { done: false, value: batch }
        }
        if (this.ended) { this.close(); return { done: true, value: undefined } }
        await new Promise<void>(resolve => { this.wake = resolve })
      }
    }
    return {
      fields,
      cancel: reason => { this.cancel(reason) },
      [Symbol.asyncIterator]: () => ({
        next,
        return: async () => { this.cancel(); return { done: true, value: undefined } }
      })
    }
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private close (): void {
    if (this.closed) return
    this.closed = true
    this.queue.length = 0
    this.init.onClosed()
  }
}
