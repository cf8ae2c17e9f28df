/**
 * The cap on what operators send a query node for one merged network query: rows and bytes counted as batches
 * arrive, over every fragment, before they reach the merge DuckDB. Passing it fails the query with
 * NETWORK_MERGE_TOO_LARGE (naming the cap, what had arrived, and how to raise it) instead of filling memory and
 * disk; DuckDB spills what exceeds its memory_limit below the cap.
 */
import { FedlakeError, CORE_ERRORS } from '@fedlake/core'
import type { LimitsConfig } from '@fedlake/core'
import type { SourcedBatch } from '@fedlake/duckdb'
import type { ResultBatch } from '@fedlake/sql'
import { QUERY_ERRORS } from '../errors.js'
import type { SqlCommand } from '../sql-command.js'

export interface MergeCap {
  readonly rows: number
  readonly bytes: number
  readonly nodeRows: number
  readonly nodeBytes: number
}

/** The query's caps: its max_merge_rows / max_merge_bytes, at most the node's limits. */
export function mergeCap (command: SqlCommand, limits: LimitsConfig): MergeCap {
  const nodeRows = limits.maxMergeRows
  const nodeBytes = limits.maxMergeBytes
  for (const [asked, node, option, key] of [[command.maxMergeRows, nodeRows, 'max_merge_rows', 'maxMergeRows'], [command.maxMergeBytes, nodeBytes, 'max_merge_bytes', 'maxMergeBytes']] as const) {
    if (asked !== undefined && asked > node) {
      throw new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, `Error Command Structure: ${option} = ${asked} is over this node's limit of ${node} (limits.${key})`, { command: 'sql' })
    }
  }
  return { rows: command.maxMergeRows ?? nodeRows, bytes: command.maxMergeBytes ?? nodeBytes, nodeRows, nodeBytes }
}

/** Counts what arrives for one query, over all its fragments. */
export class MergeBudget {
  private rows = 0
  private bytes = 0

  constructor (private readonly cap: MergeCap) {}

  /** The batches of one fragment, counted; the one that passes the cap throws instead of being handed on. */
  counted (batches: AsyncIterable<SourcedBatch>): AsyncIterable<SourcedBatch> {
    return {
      [Symbol.asyncIterator]: () => {
        const inner = batches[Symbol.asyncIterator]()
        return {
          next: async () => {
            const next = await inner.next()
            if (next.done !== true) this.add(next.value.batch)
            return next
          },
          return: async () => await (inner.return?.() ?? Promise.resolve({ done: true as const, value: undefined }))
        }
      }
    }
  }

  private add (batch: ResultBatch): void {
    this.rows += batch.rowCount
    this.bytes += batchBytes(batch)
    const overRows = this.rows > this.cap.rows
    if (!overRows && this.bytes <= this.cap.bytes) return
    const [what, cap, node, option, key] = overRows
      ? ['rows', this.cap.rows, this.cap.nodeRows, 'max_merge_rows', 'maxMergeRows']
      : ['bytes', this.cap.bytes, this.cap.nodeBytes, 'max_merge_bytes', 'maxMergeBytes']
    const raise = cap < node
      ? `ask for up to ${node} with the sql option ${option} = <n>, or raise limits.${key} in the query node's configuration`
      : `raise limits.${key} in the query node's configuration (the sql option ${option} may only lower it)`
    throw new FedlakeError(QUERY_ERRORS.NETWORK_MERGE_TOO_LARGE,
      `the operators sent more than the ${cap} ${what} this query may merge on the query node (${option}${cap < node ? '' : ` / limits.${key}`}): ` +
      `${this.rows} rows, ${this.bytes} bytes had arrived when it stopped. Narrow the query (a WHERE on the tables read, fewer columns), or ${raise}`,
      { cap, what, rows: this.rows, bytes: this.bytes })
  }
}

/** Bytes of a batch as received: 8 per number, 1 per boolean, each string's length. */
export function batchBytes (batch: ResultBatch): number {
  let bytes = 0
  for (const vector of batch.vectors) {
    switch (vector.kind) {
      case 'bool': bytes += batch.rowCount; break
      case 'f64': case 'i64': bytes += 8 * batch.rowCount; break
      case 'text': case 'json': for (const v of vector.values) bytes += v === null ? 1 : v.length; break
    }
  }
  return bytes
}
