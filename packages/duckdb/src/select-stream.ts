/**
 * One validated SELECT running on a DuckDB connection, read as a ResultStream: each `next()` fetches one
 * DuckDB chunk (at most 2048 rows), so nothing is materialised and a consumer that stops pulling stops
 * DuckDB (its streaming result blocks once its small buffer is full).
 *
 * Cancellation (the signal, `cancel()`, or the consumer leaving the loop) answers the consumer at once and
 * interrupts DuckDB until the call in progress settles. Some work cannot be interrupted (a scalar function
 * building a huge list runs to its end); the connection is closed and `onSettled` fires only after DuckDB has
 * really let go, so the storage's query slots count the work that is still burning CPU.
 */
import { FedlakeError, isFedlakeError } from '@fedlake/core'
import { createResultReader } from './result-reader.js'
import type { ResultReader } from './result-reader.js'
import { sqlErrorFromDuckDb } from './errors.js'
import type { DuckDBConnection, DuckDBResult } from '@duckdb/node-api'
import { SQL_ERRORS } from '@fedlake/sql'
import type { ResultBatch, ResultField, ResultStream } from '@fedlake/sql'

const INTERRUPT_REPEAT_MS = 50

export interface SelectStreamInit {
  readonly connection: DuckDBConnection
  readonly sql: string
  readonly dbms: string
  readonly signal?: AbortSignal
  /** Called once DuckDB no longer uses the connection; `reusable` is false after an error or a cancel. */
  readonly onSettled: (connection: DuckDBConnection, reusable: boolean) => void
  /** Names DuckDB gives columns, as replies show them. */
  readonly columnName?: (name: string) => string
}

/** Starts the query; resolves once DuckDB has bound it and the first chunk can be fetched. */
export async function openSelectStream (init: SelectStreamInit): Promise<ResultStream> {
  const run = new SelectRun(init)
  const result = await run.call(async () => await init.connection.stream(init.sql))
  const names = result.columnNames().map(name => init.columnName?.(name) ?? name)
  return run.stream(result, createResultReader(names, result.columnTypes()))
}

class SelectRun {
  /** Settles when DuckDB is done with the call in progress; undefined when none is. */
  private current: Promise<void> | undefined
  private stopped: unknown
  private finished = false
  private settled = false
  private rejectCall: ((err: FedlakeError) => void) | undefined
  private readonly onAbort = (): void => { this.stop(this.init.signal?.reason) }

  constructor (private readonly init: SelectStreamInit) {
    if (init.signal?.aborted === true) this.stop(init.signal.reason)
    else init.signal?.addEventListener('abort', this.onAbort, { once: true })
  }

  /** Runs one DuckDB call; rejects at once (the signal's reason or SQL_CANCELLED) when the run is stopped meanwhile. */
  async call<T> (work: () => Promise<T>): Promise<T> {
    if (this.stopped !== undefined) throw this.cancelledError()
    const running = work()
    const idle = running.then(() => undefined, () => undefined)
    this.current = idle
    void idle.then(() => { if (this.current === idle) this.current = undefined })
    const stoppedMeanwhile = new Promise<never>((_resolve, reject) => { this.rejectCall = reject })
    stoppedMeanwhile.catch(() => undefined)
    try {
      return await Promise.race([running, stoppedMeanwhile])
    } catch (err) {
      if (isFedlakeError(err)) throw err
      const error = sqlErrorFromDuckDb(err, this.init.dbms)
      this.stop(error)
      throw error
    } finally {
      this.rejectCall = undefined
    }
  }

  stream (result: DuckDBResult, reader: ResultReader): ResultStream {
    const fields: readonly ResultField[] = reader.fields
    const next = async (): Promise<IteratorResult<ResultBatch>> => {
      if (this.finished) return { done: true, value: undefined }
      const chunk = await this.call(async () => await result.fetchChunk())
      if (chunk === null || chunk.rowCount === 0) {
        this.finished = true
        this.settle()
        return { done: true, value: undefined }
      }
      return { done: false, value: reader.read(chunk) }
    }
    const cancel = (reason?: unknown): void => { this.stop(reason ?? new FedlakeError(SQL_ERRORS.SQL_CANCELLED, 'query cancelled', { dbms: this.init.dbms })) }
    return {
      fields,
      cancel,
      [Symbol.asyncIterator]: () => ({
        next,
        return: async () => { cancel(); return { done: true, value: undefined } }
      })
    }
  }

  /** Stops the run: answers a pending call now, interrupts DuckDB until it lets go, then settles. */
  private stop (reason: unknown): void {
    if (this.stopped !== undefined || this.finished) return
    this.stopped = reason ?? new FedlakeError(SQL_ERRORS.SQL_CANCELLED, 'query cancelled', { dbms: this.init.dbms })
    this.rejectCall?.(this.cancelledError())
    void this.interruptUntilIdle().then(() => { this.settle() })
  }

  private async interruptUntilIdle (): Promise<void> {
    // An interrupt that arrives before DuckDB has begun executing can be lost (the flag is reset when the
    // query starts), so it is repeated until the call in progress has settled.
    while (this.current !== undefined) {
      this.init.connection.interrupt()
      await Promise.race([this.current, new Promise(resolve => setTimeout(resolve, INTERRUPT_REPEAT_MS))])
    }
  }

  private settle (): void {
    if (this.settled) return
    this.settled = true
    this.init.signal?.removeEventListener('abort', this.onAbort)
    this.init.onSettled(this.init.connection, this.finished && this.stopped === undefined)
  }

  private cancelledError (): FedlakeError {
    const reason = this.stopped
    if (isFedlakeError(reason)) return reason
    return new FedlakeError(SQL_ERRORS.SQL_CANCELLED, 'query cancelled', { dbms: this.init.dbms }, reason instanceof Error ? { cause: reason } : undefined)
  }
}
