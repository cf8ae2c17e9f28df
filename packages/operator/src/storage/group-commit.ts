/**
 * Group commit: appends to one table that queue up while a transaction on that table is running are
 * committed together in the next transaction. Each call still resolves only once its own rows are committed,
 * and each call stays atomic (all of its rows are in one transaction). A commit's fixed cost (WAL write +
 * fsync + merge) is then paid once per group instead of once per call.
 *
 * If a group fails, its calls are retried one by one, so one bad batch never takes other callers' rows down.
 */
import type { TableSchema } from '@fedlake/core'
import type { ColumnBatch } from './column-batch.js'
import type { KeyedQueue } from './keyed-queue.js'

export interface AppendRequest {
  readonly schema: TableSchema
  readonly batch: ColumnBatch
}

interface Pending extends AppendRequest {
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

export type CommitGroup = (group: readonly AppendRequest[]) => Promise<void>

export class GroupCommitter {
  private readonly pending = new Map<string, Pending[]>()

  constructor (
    private readonly queue: KeyedQueue,
    private readonly commit: CommitGroup,
    /** A group stops growing once it holds this many rows (a single bigger call is still one transaction). */
    private readonly maxGroupRows: number,
    /** The queue a table's commits run in (several tables may share one). @default the table's own key */
    private readonly queueKeyOf: (key: string) => string = key => key
  ) {}

  /** Resolves when `request`'s rows are committed. `key` names the table; requests are grouped per table. */
  submit (key: string, request: AppendRequest): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiting = this.pending.get(key)
      const entry: Pending = { ...request, resolve, reject }
      if (waiting !== undefined) { waiting.push(entry); return }
      this.pending.set(key, [entry])
      void this.queue.run(this.queueKeyOf(key), async () => { await this.drain(key) })
    })
  }

  private async drain (key: string): Promise<void> {
    const requests = this.pending.get(key) ?? []
    this.pending.delete(key)
    for (const group of groupsOf(requests, this.maxGroupRows)) {
      try {
        await this.commit(group)
        for (const request of group) request.resolve()
      } catch (err) {
        if (group.length === 1) { group[0]?.reject(err); continue }
        for (const request of group) {
          try {
            await this.commit([request])
            request.resolve()
          } catch (single) {
            request.reject(single)
          }
        }
      }
    }
  }
}

function groupsOf (requests: readonly Pending[], maxRows: number): Pending[][] {
  const groups: Pending[][] = []
  let current: Pending[] = []
  let rows = 0
  for (const request of requests) {
    if (current.length > 0 && rows + request.batch.rowCount > maxRows) {
      groups.push(current)
      current = []
      rows = 0
    }
    current.push(request)
    rows += request.batch.rowCount
  }
  if (current.length > 0) groups.push(current)
  return groups
}
