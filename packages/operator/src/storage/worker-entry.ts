/**
 * Where the storage worker's module is and how a worker thread loads it, from dist or from the TypeScript sources.
 */
import { Worker } from 'node:worker_threads'
import type { StorageWorkerData } from './worker-protocol.js'

/** The worker's module follows this file's own: storage-worker.ts from sources, storage-worker.js from dist. */
const FROM_SOURCE = import.meta.url.endsWith('.ts')
const WORKER_ENTRY = FROM_SOURCE ? new URL('./storage-worker.ts', import.meta.url) : new URL('./storage-worker.js', import.meta.url)

/** Adds the "source" export condition, as `node --conditions=source` would (the same hook as packages/cli/bin/fedlake.js). */
const SOURCE_CONDITION = 'data:text/javascript,' + encodeURIComponent(
  'export async function resolve (specifier, context, next) {' +
  ' return await next(specifier, context.conditions.includes("source") ? context : { ...context, conditions: [...context.conditions, "source"] }) }')

/**
 * Run from dist (as `fedlake` is after `npm install`), the worker imports storage-worker.js and nothing else.
 * Run from TypeScript sources (tests, benchmarks, FEDLAKE_FROM_SOURCE=1), it first registers tsx, since a worker
 * does not inherit the tsx loader of its parent (neither `--import tsx` nor tsx's `register()`), and a hook adding
 * the "source" condition, so its @fedlake/* imports resolve to sources too (a Worker's execArgv cannot carry
 * `--conditions` when the parent runs with V8 flags). Source maps for stack traces are on in the worker when they
 * are in this thread.
 */
function bootstrapSource (entry: URL): string {
  let tsx: string | undefined
  if (FROM_SOURCE) {
    try { tsx = import.meta.resolve('tsx/esm/api') } catch { tsx = undefined }
  }
  const load = `import(${JSON.stringify(entry.href)})`
  const maps = process.sourceMapsEnabled ? 'process.setSourceMapsEnabled(true); ' : ''
  return maps + (tsx === undefined
    ? load
    : `import(${JSON.stringify(tsx)}).then(tsx => { tsx.register(); return import('node:module') })` +
      `.then(m => { m.register(${JSON.stringify(SOURCE_CONDITION)}); return ${load} })`)
}

/**
 * A storage worker thread, loading its modules (DuckDB's among them) from now on. With `data` it starts its
 * storage as soon as they are loaded; without, it waits for an `init` message first (see early-worker.ts).
 */
export function startStorageWorker (data?: StorageWorkerData): Worker {
  return new Worker(bootstrapSource(WORKER_ENTRY), { eval: true, workerData: data ?? null })
}
