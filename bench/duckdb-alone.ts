/**
 * Baseline (d) of bench:ingest: DuckDB inserting the same rows with no JavaScript per row. The rows (b) stored
 * are copied into an in-memory temporary table, then inserted into an empty table of the same schema with
 * `INSERT INTO … SELECT … WHERE rowid …`, one transaction per batch of the pipeline's size, in the same
 * database file with the storage's checkpoint threshold. What that costs is DuckDB's own work (appending,
 * string statistics, WAL, checkpoints with compression): the floor under (b) and (c).
 */
import { DuckDBInstance } from '@duckdb/node-api'
import { runStatementWithoutSpinning } from '@fedlake/duckdb'

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`

export interface DuckDbAlone {
  readonly rowsPerSecond: number
  /** CPU of this whole process (every DuckDB thread) per row inserted. */
  readonly cpuMicrosPerRow: number
}

/** How fast DuckDB alone inserts the rows of `tables` (in the database at `path`), `batchRows` per commit. */
export async function duckDbAlone (path: string, tables: readonly string[], batchRows: number, checkpointThreshold: string): Promise<DuckDbAlone> {
  const instance = await DuckDBInstance.create(path, { checkpoint_threshold: checkpointThreshold })
  const connection = await instance.connect()
  try {
    const sizes: Array<{ table: string, rows: number }> = []
    for (const table of tables) {
      await connection.run(`CREATE TEMP TABLE ${quote(`src_${table}`)} AS SELECT * FROM ${quote(table)}`)
      await connection.run(`CREATE TABLE ${quote(`copy_${table}`)} AS SELECT * FROM ${quote(table)} LIMIT 0`)
      const count = (await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM ${quote(table)}`)).getRows()[0]?.[0]
      sizes.push({ table, rows: Number(count) })
    }
    let rows = 0
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    for (const { table, rows: count } of sizes) {
      for (let start = 0; start < count; start += batchRows) {
        await runStatementWithoutSpinning(connection, `INSERT INTO ${quote(`copy_${table}`)} SELECT * FROM ${quote(`src_${table}`)} WHERE rowid >= ${start} AND rowid < ${start + batchRows}`)
      }
      rows += count
    }
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    return { rowsPerSecond: rows / seconds, cpuMicrosPerRow: (cpu.user + cpu.system) / rows }
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}
