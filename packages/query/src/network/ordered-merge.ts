/**
 * A plain SELECT ... ORDER BY over the network without a merge DuckDB: every operator sends its rows sorted, and
 * the query node merges the sorted streams (k-way, a heap of the streams' current rows), so the answer streams
 * as it is merged and the query node holds a batch or two per operator whatever the answer's size. Runs of
 * rows from one stream that come before every other stream's current row are found by binary search and
 * copied as slices. `offset` rows are skipped, and after `limit` rows the operators are cancelled.
 */
import type { ResultBatch, ResultField, ResultStream, ResultVector } from '@fedlake/sql'
import type { OrderKey } from '../planner/index.js'
import { rowComparator } from './row-order.js'
import type { RowComparator } from './row-order.js'

export interface OrderedMergeOptions {
  readonly keys: readonly OrderKey[]
  /** The answer's columns: the first `columns` of the operators' (the rest are hidden ORDER BY keys). */
  readonly columns: number
  readonly offset: number
  readonly limit: number | null
  /** Stops the operators (the limit is reached, or the consumer left). */
  readonly cancel: () => void
}

const BATCH_ROWS = 2048

interface Cursor {
  readonly iterator: AsyncIterator<ResultBatch>
  batch: ResultBatch
  row: number
}

/**
 * @param operatorFields the fields of the operators' rows (output columns, then hidden keys)
 * @param fields the answer's fields (the first `columns`, named as the query names them)
 * @param sources each operator's (cluster's) rows, sorted by `keys`
 */
export function orderedMergeStream (operatorFields: readonly ResultField[], fields: readonly ResultField[], sources: readonly AsyncIterable<ResultBatch>[], options: OrderedMergeOptions): ResultStream {
  const compare = rowComparator(operatorFields, options.keys)
  let heap: Cursor[] | undefined
  let iterators: AsyncIterator<ResultBatch>[] = []
  let skip = options.offset
  let left = options.limit ?? Infinity
  let stopped: unknown

  const before = (p: Cursor, q: Cursor): boolean => compare(p.batch, p.row, q.batch, q.row) < 0

  const open = async (): Promise<Cursor[]> => {
    iterators = sources.map(s => s[Symbol.asyncIterator]())
    const first = await Promise.all(iterators.map(async iterator => await advance(iterator)))
    const cursors: Cursor[] = []
    first.forEach((batch, i) => { if (batch !== undefined) cursors.push({ iterator: iterators[i] as AsyncIterator<ResultBatch>, batch, row: 0 }) })
    for (let i = (cursors.length >> 1) - 1; i >= 0; i--) siftDown(cursors, i, before)
    return cursors
  }

  const next = async (): Promise<IteratorResult<ResultBatch>> => {
    if (stopped !== undefined) throw stopped
    heap ??= await open()
    const pieces: Piece[] = []
    let rows = 0
    while (rows < BATCH_ROWS && left > 0 && heap.length > 0) {
      const top = heap[0] as Cursor
      const runner = heap.length === 1 ? undefined : secondBest(heap, before)
      let end = runner === undefined ? top.batch.rowCount : runEnd(top, runner, compare)
      end = Math.min(end, top.row + (BATCH_ROWS - rows))
      let start = top.row
      if (skip > 0) {
        const skipped = Math.min(skip, end - start)
        skip -= skipped
        start += skipped
      }
      end = Math.min(end, start + left)
      if (end > start) {
        pieces.push({ batch: top.batch, start, end })
        rows += end - start
        left -= end - start
      }
      top.row = end
      if (top.row >= top.batch.rowCount) {
        const batch = await advance(top.iterator)
        if (batch === undefined) {
          const last = heap.pop() as Cursor
          if (heap.length > 0) { heap[0] = last; siftDown(heap, 0, before) }
          continue
        }
        top.batch = batch
        top.row = 0
      }
      siftDown(heap, 0, before)
    }
    if (left <= 0) options.cancel()
    if (rows === 0) return { done: true, value: undefined }
    return { done: false, value: joined(pieces, options.columns) }
  }

  return {
    fields,
    cancel: reason => { stopped ??= reason ?? new Error('cancelled'); options.cancel() },
    [Symbol.asyncIterator]: () => ({
      next,
      return: async () => {
        options.cancel()
        await Promise.all(iterators.map(async i => await i.return?.()))
        return { done: true, value: undefined }
      }
    })
  }
}

/** The next batch with rows, or undefined at the end. */
async function advance (iterator: AsyncIterator<ResultBatch>): Promise<ResultBatch | undefined> {
  for (;;) {
    const next = await iterator.next()
    if (next.done === true) return undefined
    if (next.value.rowCount > 0) return next.value
  }
}

/** The heap's second smallest cursor: the smaller child of the root. */
function secondBest (heap: readonly Cursor[], before: (p: Cursor, q: Cursor) => boolean): Cursor {
  const left = heap[1] as Cursor
  const right = heap[2]
  return right !== undefined && before(right, left) ? right : left
}

/** One past the last row of top's batch that does not come after runner's current row (top's rows are sorted). */
function runEnd (top: Cursor, runner: Cursor, compare: RowComparator): number {
  let lo = top.row + 1
  let hi = top.batch.rowCount
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compare(top.batch, mid, runner.batch, runner.row) <= 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

function siftDown (heap: Cursor[], at: number, before: (p: Cursor, q: Cursor) => boolean): void {
  const n = heap.length
  let i = at
  for (;;) {
    const l = 2 * i + 1
    const r = l + 1
    let smallest = i
    if (l < n && before(heap[l] as Cursor, heap[smallest] as Cursor)) smallest = l
    if (r < n && before(heap[r] as Cursor, heap[smallest] as Cursor)) smallest = r
    if (smallest === i) return
    const t = heap[i] as Cursor
    heap[i] = heap[smallest] as Cursor
    heap[smallest] = t
    i = smallest
  }
}

interface Piece {
  readonly batch: ResultBatch
  readonly start: number
  readonly end: number
}

/** Rows [start, end) of each piece, one after the other, in the first `columns` columns. */
function joined (pieces: readonly Piece[], columns: number): ResultBatch {
  const rowCount = pieces.reduce((n, p) => n + p.end - p.start, 0)
  const vectors = Array.from({ length: columns }, (_, c): ResultVector => {
    const first = (pieces[0] as Piece).batch.vectors[c] as ResultVector
    const valid = pieces.some(p => (p.batch.vectors[c] as ResultVector).valid !== null) ? new Uint8Array(rowCount).fill(1) : null
    let at = 0
    const each = (copy: (v: ResultVector, p: Piece, at: number) => void): void => {
      at = 0
      for (const p of pieces) {
        const v = p.batch.vectors[c] as ResultVector
        if (valid !== null && v.valid !== null) valid.set(v.valid.subarray(p.start, p.end), at)
        copy(v, p, at)
        at += p.end - p.start
      }
    }
    switch (first.kind) {
      case 'f64': { const values = new Float64Array(rowCount); each((v, p, o) => { values.set((v.values as Float64Array).subarray(p.start, p.end), o) }); return { kind: 'f64', values, valid } }
      case 'i64': { const values = new BigInt64Array(rowCount); each((v, p, o) => { values.set((v.values as BigInt64Array).subarray(p.start, p.end), o) }); return { kind: 'i64', values, valid } }
      case 'bool': { const values = new Uint8Array(rowCount); each((v, p, o) => { values.set((v.values as Uint8Array).subarray(p.start, p.end), o) }); return { kind: 'bool', values, valid } }
      case 'text':
      case 'json': {
        const values: (string | null)[] = []
        each((v, p) => { for (let r = p.start; r < p.end; r++) values.push((v.values as readonly (string | null)[])[r] ?? null) })
        return { kind: first.kind, values, valid }
      }
    }
  })
  return { rowCount, vectors }
}
