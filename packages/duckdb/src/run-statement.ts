/**
 * Runs a statement without a thread spinning while DuckDB works: for transaction statements (BEGIN, COMMIT,
 * ROLLBACK) and other statements whose own tasks are short, since those run on the calling thread.
 *
 * `connection.run` hands the statement to a libuv thread, which loops in DuckDB's
 * `PendingQueryResult::ExecuteInternal` until the result is ready. When one of DuckDB's own threads has taken
 * the statement's task, as it usually does, that loop finds no task and spins on the scheduler's mutex: for a
 * COMMIT that checkpoints (~1 s at a 128 MB WAL) a whole core is burnt doing nothing. Measured during ingest:
 * 3-5 µs of CPU per event, 20-30 % of the storage side.
 *
 * Here the calling thread executes the statement's tasks itself when it can and, when another DuckDB thread
 * holds them, sleeps 1 ms between checks instead of spinning. A commit whose task another thread runs costs at
 * most 1 ms more latency; group commit keeps the appender busy meanwhile. The price: when the calling thread
 * takes a COMMIT's task itself and that commit checkpoints, the checkpoint blocks this thread (the storage
 * worker) until done. DuckDB's own thread usually takes it first: in a 400k-event run the checkpoint ran there and
 * the longest task this thread ran took 47 ms.
 */
import type { DuckDBConnection } from '@duckdb/node-api'
import { DuckDBPendingResultState } from '@duckdb/node-api'

const POLL_MS = 1

export async function runStatementWithoutSpinning (connection: DuckDBConnection, sql: string): Promise<void> {
  const pending = await connection.start(sql)
  // runTask throws DuckDB's error (e.g. a failed commit) as an Error
  for (let state = pending.runTask(); state !== DuckDBPendingResultState.RESULT_READY; state = pending.runTask()) {
    if (state === DuckDBPendingResultState.NO_TASKS_AVAILABLE) await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
  await pending.getResult()
}
