/**
 * The storage worker: runs the DuckDB storage (duckdb-storage.ts) in its own thread, so the appender's
 * synchronous work (chunk building, appender flushes) runs on the second core while the main thread keeps
 * receiving, and serves the calls of threaded-storage.ts. All DuckDB handles live in this thread only.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { Logger } from '@fedlake/core'
import type { ColumnBatch } from './column-batch.js'
import { createGuardedDuckDbStorage } from './duckdb-storage.js'
import type { PathGuard } from './open-paths.js'
import type { StorageQueryOptions } from './types.js'
import { cloneable, deserializeError, serializeError } from './worker-protocol.js'
import type { FromWorker, StorageWorkerData, ToWorker } from './worker-protocol.js'

if (parentPort === null) throw new Error('storage-worker.ts runs as a worker thread only')
const port = parentPort
const post = (message: FromWorker): void => { port.postMessage(message) }

/** Log records go to the main thread's logger, under the same component path. */
function workerLogger (path: readonly string[], base: Record<string, unknown>): Logger {
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>): void => {
    const all = { ...base, ...(fields ?? {}) }
    post({ kind: 'log', level, path, msg, ...(Object.keys(all).length > 0 ? { fields: cloneable(all) } : {}) })
  }
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (name, fields) => workerLogger([...path, name], { ...base, ...(fields ?? {}) })
  }
}

let nextClaim = 1
const claims = new Map<number, { resolve: () => void, reject: (err: Error) => void }>()
const guard: PathGuard = {
  async claim (path) {
    const id = nextClaim++
    await new Promise<void>((resolve, reject) => {
      claims.set(id, { resolve, reject })
      post({ kind: 'claim', id, path })
    })
  },
  release (path) { post({ kind: 'release', path }) }
}

const { init } = workerData as StorageWorkerData
// the storage names itself 'storage' below the logger it is given, as it does on the main thread
const storage = createGuardedDuckDbStorage({ ...init, logger: workerLogger([], {}) }, guard)
const aborts = new Map<number, AbortController>()

async function call (id: number, method: string, args: readonly unknown[]): Promise<unknown> {
  switch (method) {
    case 'start': return await storage.start()
    case 'stop': return await storage.stop()
    case 'ensureTable': return await storage.ensureTable(args[0] as never)
    case 'appendColumns': return await storage.appendColumns(args[0] as never, args[1] as ColumnBatch)
    case 'ensureTableAndAppendColumns': return await storage.ensureTableAndAppendColumns(args[0] as never, args[1] as ColumnBatch)
    case 'listDatabases': return await storage.listDatabases()
    case 'listTables': return await storage.listTables(args[0] as string)
    case 'tableSchema': return await storage.tableSchema(args[0] as string, args[1] as string)
    case 'parseSql': return await storage.parseSql(args[0] as string)
    case 'query': {
      const given = (args[2] ?? {}) as { maxRows?: number, signal?: boolean, aborted?: boolean }
      const options: StorageQueryOptions = given.maxRows !== undefined ? { maxRows: given.maxRows } : {}
      if (given.signal !== true) return await storage.query(args[0] as string, args[1] as string, options)
      const controller = new AbortController()
      if (given.aborted === true) controller.abort()
      aborts.set(id, controller)
      try {
        return await storage.query(args[0] as string, args[1] as string, { ...options, signal: controller.signal })
      } finally {
        aborts.delete(id)
      }
    }
    default: throw new Error(`unknown storage call ${method}`)
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'call':
      call(message.id, message.method, message.args).then(
        value => { post({ kind: 'result', id: message.id, value }) },
        (err: unknown) => { post({ kind: 'error', id: message.id, error: serializeError(err) }) })
      return
    case 'abort':
      aborts.get(message.id)?.abort()
      return
    case 'claimed': {
      const waiting = claims.get(message.id)
      claims.delete(message.id)
      if (message.error === undefined) waiting?.resolve()
      else waiting?.reject(deserializeError(message.error))
    }
  }
})

post({ kind: 'ready' })
