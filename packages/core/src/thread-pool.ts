/**
 * libuv's thread pool, as this process got it. Every DuckDB call of @duckdb/node-api (a query's next chunk, an
 * appender flush, a COMMIT) holds one pool thread until it returns, and so do file-system calls. The pool reads
 * UV_THREADPOOL_SIZE once when it starts (the `fedlake` launcher sets it first: packages/cli/bin/fedlake.js).
 */

/** libuv's size when UV_THREADPOOL_SIZE is unset or not a number. */
export const LIBUV_DEFAULT_THREAD_POOL_SIZE = 4
/** Pool threads that queries never take: one for ingest commits, one for file-system calls. */
export const THREADS_KEPT_FROM_QUERIES = 2

/** The pool size libuv uses for this environment (its own parsing: unset or invalid gives 4, clamped to 1-1024). */
export function threadPoolSize (env: NodeJS.ProcessEnv = process.env): number {
  const value = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10)
  if (!Number.isFinite(value) || value <= 0) return LIBUV_DEFAULT_THREAD_POOL_SIZE
  return Math.min(value, 1024)
}

/**
 * How many storage queries may run at once so that they never hold every pool thread: `wanted`
 * (limits.maxConcurrentQueries), lowered to leave THREADS_KEPT_FROM_QUERIES threads free, and at least 1.
 */
export function queryThreadsAllowed (wanted: number, poolSize: number = threadPoolSize()): number {
  return Math.max(1, Math.min(wanted, poolSize - THREADS_KEPT_FROM_QUERIES))
}
