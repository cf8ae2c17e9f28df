/**
 * OperatorStorage whose DuckDB runs in a worker thread (storage-worker.ts): the operator role's storage.
 *
 * Why: on the main thread, ingest paid gRPC receive + decode + mapping AND the appender's synchronous work
 * (building chunks, appender flushes) in one thread, so one source could never use the second core. Here the
 * main thread hands over finished column batches (a structured clone of typed arrays and a short string list,
 * see column-batch.ts) and keeps receiving while the worker appends and commits.
 *
 * Same contract as createDuckDbStorage: appends are atomic and resolve once committed, queries see committed
 * rows, errors are the same FedlakeErrors (code, message, details; the stack is the worker's). One worker per
 * storage; every database file it opens is claimed in this (the main) thread's process-wide set first.
 */
import { resolve } from 'node:path'
import type { Worker } from 'node:worker_threads'
import { FedlakeError, isFedlakeError, silentLogger } from '@fedlake/core'
import type { Logger, QueryResult, TableSchema } from '@fedlake/core'
import { STORAGE_ERRORS } from '../errors-storage.js'
import type { ParsedSql, ResultField, ResultStream } from '@fedlake/sql'
import { collectResult } from './collect-result.js'
import { StreamReceiver } from './threaded-result-stream.js'
import { columnBatchFromRows } from './column-batch.js'
import type { ColumnBatch } from './column-batch.js'
import { processPathGuard } from './open-paths.js'
import { assertRowWidths } from './row-widths.js'
import type { ColumnarStorage, DuckDbStorageInit, StorageQueryOptions, StorageValue } from './types.js'
import { takeEarlyStorageWorker } from './early-worker.js'
import { startStorageWorker } from './worker-entry.js'
import { deserializeError, serializeError } from './worker-protocol.js'
import type { FromWorker, StorageWorkerData, ToWorker, WorkerMethod } from './worker-protocol.js'

interface Pending { resolve: (value: unknown) => void, reject: (err: Error) => void }

export function createThreadedDuckDbStorage (init: DuckDbStorageInit): ColumnarStorage {
  const logger = init.logger ?? silentLogger
  const loggers = new Map<string, Logger>()
  const { logger: _omit, ...workerInit } = init
  const claimed = new Set<string>()
  const pending = new Map<number, Pending>()
  const receivers = new Map<number, StreamReceiver>()
  let nextId = 1
  let worker: Worker | undefined
  let state: 'new' | 'starting' | 'started' | 'stopping' | 'stopped' = 'new'
  let starting: Promise<void> | undefined
  let exited: Promise<void> = Promise.resolve()

  const loggerAt = (path: readonly string[]): Logger => {
    const key = path.join('.')
    let found = loggers.get(key)
    if (found === undefined) {
      found = path.reduce((l, name) => l.child(name), logger)
      loggers.set(key, found)
    }
    return found
  }

  const failAll = (err: Error): void => {
    for (const [id, p] of pending) { pending.delete(id); p.reject(err) }
    for (const receiver of receivers.values()) receiver.fail(err)
  }

  /** Only calls and query streams in progress keep the process alive (like the in-thread storage, which holds no handle). */
  const unrefWhenIdle = (): void => { if (pending.size === 0 && receivers.size === 0) worker?.unref() }
  const settled = (id: number): Pending | undefined => {
    const p = pending.get(id)
    pending.delete(id)
    unrefWhenIdle()
    return p
  }

  const onMessage = (message: FromWorker): void => {
    switch (message.kind) {
      case 'result':
        settled(message.id)?.resolve(message.value)
        return
      case 'error':
        settled(message.id)?.reject(deserializeError(message.error))
        return
      case 'batch':
        receivers.get(message.id)?.batch(message.batch)
        return
      case 'end':
        receivers.get(message.id)?.end()
        return
      case 'stream-error':
        receivers.get(message.id)?.fail(deserializeError(message.error))
        return
      case 'log':
        loggerAt(message.path)[message.level](message.msg, message.fields)
        return
      case 'claim':
        processPathGuard.claim(message.path).then(
          () => { claimed.add(message.path); send({ kind: 'claimed', id: message.id }) },
          (err: unknown) => { send({ kind: 'claimed', id: message.id, error: serializeError(err) }) })
        return
      case 'release':
        if (claimed.delete(message.path)) processPathGuard.release(message.path)
        return
      case 'ready':
    }
  }

  const send = (message: ToWorker): void => { worker?.postMessage(message) }

  const call = async <T>(method: WorkerMethod, args: readonly unknown[], beforeSend?: (id: number) => void): Promise<T> => {
    if (worker === undefined) throw notStarted()
    const id = nextId++
    return await new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      if (pending.size === 1) worker?.ref()
      beforeSend?.(id)
      send({ kind: 'call', id, method, args })
    })
  }

  const notStarted = (): FedlakeError =>
    new FedlakeError(STORAGE_ERRORS.STORAGE_NOT_STARTED, `storage is ${state === 'new' || state === 'starting' ? 'not started' : 'stopped'}`)

  const assertStarted = (): void => {
    if (state !== 'started') throw notStarted()
  }

  const spawn = async (): Promise<void> => {
    const data: StorageWorkerData = { init: { ...workerInit, dataDir: resolve(init.dataDir) } }
    const early = takeEarlyStorageWorker()
    const w = early ?? startStorageWorker(data)
    if (early !== undefined) early.postMessage({ kind: 'init', init: data.init } satisfies ToWorker)
    worker = w
    let settleExit: () => void = () => {}
    exited = new Promise(resolve => { settleExit = resolve })
    w.on('message', onMessage)
    w.on('error', (err: Error) => {
      logger.error('storage worker failed', { code: STORAGE_ERRORS.STORAGE_WRITE_FAILED, err })
      failAll(new FedlakeError(STORAGE_ERRORS.STORAGE_WRITE_FAILED, `storage worker failed: ${err.message}`, {}, { cause: err }))
    })
    w.on('exit', code => {
      if (worker === w) worker = undefined
      // a worker that died cannot release what it claimed
      for (const path of claimed) processPathGuard.release(path)
      claimed.clear()
      failAll(new FedlakeError(STORAGE_ERRORS.STORAGE_WRITE_FAILED, `storage worker exited (${code})`))
      if (state === 'started') state = 'stopped'
      settleExit()
    })
    await new Promise<void>((resolve, reject) => {
      const onReady = (message: FromWorker): void => {
        if (message.kind !== 'ready') return
        w.off('message', onReady)
        w.off('exit', onExit)
        resolve()
      }
      const onExit = (code: number): void => { reject(new FedlakeError(STORAGE_ERRORS.STORAGE_WRITE_FAILED, `storage worker exited (${code}) while starting`)) }
      w.on('message', onReady)
      w.once('exit', onExit)
    })
    await call('start', [])
  }

  return {
    async start () {
      if (state === 'started') return
      if (starting !== undefined) { await starting; return }
      state = 'starting'
      starting = spawn()
      try {
        await starting
        state = 'started'
      } catch (err) {
        state = 'new'
        await worker?.terminate()
        throw err
      } finally {
        starting = undefined
      }
    },

    async stop () {
      if (state !== 'started') return
      state = 'stopping'
      try {
        await call('stop', [])
      } finally {
        state = 'stopped'
        await worker?.terminate()
        await exited
      }
    },

    async ensureTable (schema: TableSchema): Promise<boolean> {
      assertStarted()
      return await call<boolean>('ensureTable', [schema])
    },

    async appendRows (schema: TableSchema, rows: readonly (readonly StorageValue[])[]): Promise<void> {
      assertStarted()
      if (rows.length === 0) return
      assertRowWidths(schema, rows)
      await call('appendColumns', [schema, columnBatchFromRows(schema.columns.map(c => c.type), rows)])
    },

    async appendColumns (schema: TableSchema, batch: ColumnBatch): Promise<void> {
      assertStarted()
      await call('appendColumns', [schema, batch])
    },

    async ensureTableAndAppendRows (schema: TableSchema, rows: readonly (readonly StorageValue[])[]): Promise<boolean> {
      assertStarted()
      assertRowWidths(schema, rows)
      return await call<boolean>('ensureTableAndAppendColumns', [schema, columnBatchFromRows(schema.columns.map(c => c.type), rows)])
    },

    async ensureTableAndAppendColumns (schema: TableSchema, batch: ColumnBatch): Promise<boolean> {
      assertStarted()
      return await call<boolean>('ensureTableAndAppendColumns', [schema, batch])
    },

    async openQuery (dbms: string, sql: string, options: StorageQueryOptions = {}): Promise<ResultStream> {
      assertStarted()
      const { signal } = options
      let receiver: StreamReceiver | undefined
      let onAbort: (() => void) | undefined
      const detach = (): void => { if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort) }
      try {
        const { fields } = await call<{ fields: ResultField[] }>('openQuery', [dbms, sql, { aborted: signal?.aborted === true }], id => {
          const opened = new StreamReceiver({
            pull: () => { send({ kind: 'pull', id }) },
            abort: () => { send({ kind: 'abort', id }) },
            onClosed: () => { receivers.delete(id); detach(); unrefWhenIdle() }
          })
          receiver = opened
          receivers.set(id, opened)
          if (signal === undefined || signal.aborted) return
          onAbort = () => { opened.cancel(signal.reason) }
          signal.addEventListener('abort', onAbort, { once: true })
        })
        return (receiver as StreamReceiver).stream(fields)
      } catch (err) {
        receiver?.cancel(err)
        // the worker only knows it was aborted; the caller's deadline says why
        throw signal?.aborted === true && isFedlakeError(signal.reason) ? signal.reason : err
      }
    },

    async query (dbms: string, sql: string, options: StorageQueryOptions = {}): Promise<QueryResult> {
      return await collectResult(await this.openQuery(dbms, sql, options), options.maxRows)
    },

    isOpen: () => state === 'started' && worker !== undefined,

    async listDatabases () {
      assertStarted()
      return await call<string[]>('listDatabases', [])
    },

    async listTables (dbms: string) {
      assertStarted()
      return await call<TableSchema[]>('listTables', [dbms])
    },

    async tableSchema (dbms: string, table: string) {
      assertStarted()
      return await call<TableSchema | undefined>('tableSchema', [dbms, table])
    },

    async parseSql (sql: string) {
      assertStarted()
      return await call<ParsedSql>('parseSql', [sql])
    }
  }
}
