/**
 * A storage worker started before the node's own modules load. The worker spends most of its start-up loading
 * DuckDB (the native library and its bindings, ~0.4-0.7 s here); started by the operator's storage, it began
 * only after the main thread had loaded libp2p, fastify and the rest (~1 s), so the two ran one after the other.
 * `fedlake node` starts it as soon as its config says the node is an operator, so both load at once on the two
 * cores; the storage then takes it and sends its init. Unused (the node failed to start), it holds nothing: it is
 * unref'd until taken and has opened no file.
 */
import type { Worker } from 'node:worker_threads'
import { startStorageWorker } from './worker-entry.js'

let early: Worker | undefined

/** Starts the storage worker now; the first storage started in this process takes it. */
export function startStorageWorkerEarly (): void {
  if (early !== undefined) return
  const worker = startStorageWorker()
  worker.unref()
  // a worker that could not load is not taken: the storage starts its own and reports why
  worker.once('error', () => { if (early === worker) early = undefined })
  worker.once('exit', () => { if (early === worker) early = undefined })
  early = worker
}

/** The worker startStorageWorkerEarly started, once (ref'd again: it is the storage's now); else undefined. */
export function takeEarlyStorageWorker (): Worker | undefined {
  const worker = early
  early = undefined
  worker?.ref()
  return worker
}
