/**
 * The storage worker: runs the DuckDB storage (duckdb-storage.ts) in its own thread, so the appender's
 * synchronous work (chunk building, appender flushes) runs on the second core while the main thread keeps
 * receiving, and serves the calls of threaded-storage.ts. All DuckDB handles live in this thread only.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { Logger } from '@fedlake/core'
import type { ColumnBatch } from './column-batch.js'
import { transferablesOf } from '@fedlake/duckdb'
import type { ResultBatch, ResultStream } from '@fedlake/sql'
import { createGuardedDuckDbStorage } from './duckdb-storage.js'
import { INITIAL_CREDITS } from './threaded-result-stream.js'
import type { PathGuard } from './open-paths.js'
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

/** From workerData, or for a worker started early (early-worker.ts) from its first message. */
async function storageInit (): Promise<StorageWorkerData['init']> {
  const data = workerData as StorageWorkerData | null
  if (data !== null) return data.init
  return await new Promise(resolve => {
    const onInit = (message: ToWorker): void => {
      if (message.kind !== 'init') return
      port.off('message', onInit)
      resolve(message.init)
    }
    port.on('message', onInit)
  })
}

const init = await storageInit()
// the storage names itself 'storage' below the logger it is given, as it does on the main thread
const storage = createGuardedDuckDbStorage({ ...init, logger: workerLogger([], {}) }, guard)
const aborts = new Map<number, AbortController>()

interface OpenStream {
  readonly stream: ResultStream
  readonly iterator: AsyncIterator<ResultBatch>
  credits: number
  pumping: boolean
}
const streams = new Map<number, OpenStream>()

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
    case 'openQuery': {
      const controller = new AbortController()
      if ((args[2] as { aborted?: boolean } | undefined)?.aborted === true) controller.abort()
      aborts.set(id, controller)
      try {
        const stream = await storage.openQuery(args[0] as string, args[1] as string, { signal: controller.signal })
        streams.set(id, { stream, iterator: stream[Symbol.asyncIterator](), credits: INITIAL_CREDITS, pumping: false })
        return { fields: stream.fields }
      } catch (err) {
        aborts.delete(id)
        throw err
      }
    }
    default: throw new Error(`unknown storage call ${method}`)
  }
}

/** Sends batches of query `id` while it holds credits. */
async function pump (id: number): Promise<void> {
  const open = streams.get(id)
  if (open === undefined || open.pumping) return
  open.pumping = true
  try {
    while (open.credits > 0 && streams.get(id) === open) {
      const next = await open.iterator.next()
      if (streams.get(id) !== open) return
      if (next.done === true) {
        closeStream(id)
        post({ kind: 'end', id })
        return
      }
      open.credits--
      port.postMessage({ kind: 'batch', id, batch: next.value } satisfies FromWorker, transferablesOf(next.value))
    }
  } catch (err) {
    if (streams.get(id) === open) {
      closeStream(id)
      post({ kind: 'stream-error', id, error: serializeError(err) })
    }
  } finally {
    open.pumping = false
  }
}

function closeStream (id: number): void {
  streams.get(id)?.stream.cancel()
  streams.delete(id)
  aborts.delete(id)
}

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'call':
      call(message.id, message.method, message.args).then(
        value => {
          post({ kind: 'result', id: message.id, value })
          if (message.method === 'openQuery') void pump(message.id)
        },
        (err: unknown) => { post({ kind: 'error', id: message.id, error: serializeError(err) }) })
      return
    case 'abort':
      aborts.get(message.id)?.abort()
      closeStream(message.id)
      return
    case 'pull': {
      const open = streams.get(message.id)
      if (open === undefined) return
      open.credits++
      void pump(message.id)
      return
    }
    case 'claimed': {
      const waiting = claims.get(message.id)
      claims.delete(message.id)
      if (message.error === undefined) waiting?.resolve()
      else waiting?.reject(deserializeError(message.error))
    }
  }
})

post({ kind: 'ready' })
