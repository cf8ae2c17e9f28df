/**
 * Messages between the threaded storage (main thread, threaded-storage.ts) and the storage worker
 * (storage-worker.ts). Everything is structured-clone data: column batches cross as typed arrays and a
 * short string list, errors as their code, message and details.
 */
import { FedlakeError, isFedlakeError } from '@fedlake/core'
import type { LogLevel } from '@fedlake/core'
import type { ResultBatch } from '@fedlake/sql'
import type { DuckDbStorageInit } from './types.js'

/** The storage calls the worker serves (OperatorStorage + appendColumns, without start/stop/query options). */
export type WorkerMethod =
  'start' | 'stop' | 'ensureTable' | 'appendColumns' | 'ensureTableAndAppendColumns' | 'openQuery' | 'listDatabases' | 'listTables' | 'tableSchema' | 'parseSql'

export type ToWorker =
  /** The storage's init, to a worker started without workerData (early-worker.ts); sent once, first. */
  | { readonly kind: 'init', readonly init: StorageWorkerData['init'] }
  | { readonly kind: 'call', readonly id: number, readonly method: WorkerMethod, readonly args: readonly unknown[] }
  /** Aborts the query of call `id`. */
  | { readonly kind: 'abort', readonly id: number }
  /** The consumer of query `id` took a batch: the worker may send one more. */
  | { readonly kind: 'pull', readonly id: number }
  /** Answer to a `claim`: the database file may be opened (error: it is open elsewhere in this process). */
  | { readonly kind: 'claimed', readonly id: number, readonly error?: SerializedError }

export type FromWorker =
  | { readonly kind: 'ready' }
  | { readonly kind: 'result', readonly id: number, readonly value: unknown }
  | { readonly kind: 'error', readonly id: number, readonly error: SerializedError }
  /** The next batch of the query opened by call `id` (its typed arrays are transferred). */
  | { readonly kind: 'batch', readonly id: number, readonly batch: ResultBatch }
  /** The query opened by call `id` has no more rows. */
  | { readonly kind: 'end', readonly id: number }
  | { readonly kind: 'stream-error', readonly id: number, readonly error: SerializedError }
  | { readonly kind: 'log', readonly level: Exclude<LogLevel, 'silent'>, readonly path: readonly string[], readonly msg: string, readonly fields?: Record<string, unknown> }
  /** Asks the main thread for the process-wide right to open a database file. */
  | { readonly kind: 'claim', readonly id: number, readonly path: string }
  | { readonly kind: 'release', readonly path: string }

/** What the worker is started with (workerData). */
export interface StorageWorkerData {
  readonly init: Omit<DuckDbStorageInit, 'logger'>
}

export interface SerializedError {
  readonly code?: string
  readonly name: string
  readonly message: string
  readonly details?: Record<string, unknown>
}

export function serializeError (err: unknown): SerializedError {
  if (isFedlakeError(err)) return { code: err.code, name: err.name, message: err.message, details: cloneable(err.details) }
  if (err instanceof Error) return { name: err.name, message: err.message }
  return { name: 'Error', message: String(err) }
}

export function deserializeError (error: SerializedError): Error {
  if (error.code !== undefined) return new FedlakeError(error.code, error.message, error.details ?? {})
  const out = new Error(error.message)
  out.name = error.name
  return out
}

/** Details and log fields as plain data (Errors keep name, message and code; anything exotic becomes text). */
export function cloneable (value: Record<string, unknown>): Record<string, unknown> {
  try {
    structuredClone(value)
    return value
  } catch {
    return JSON.parse(JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString()
      if (v instanceof Error) return { name: v.name, message: v.message, code: (v as { code?: unknown }).code }
      return v
    })) as Record<string, unknown>
  }
}
