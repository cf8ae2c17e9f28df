/**
 * Column-oriented batches of rows: what the ingest pipeline accumulates and what storage appends.
 *
 * Ingest rows repeat a few hundred distinct strings per column (hosts, pods, images, processes), so
 * strings are dictionary-encoded per batch (one Int32Array of ids per column); numbers sit in a
 * Float64Array. A row array therefore dies young once it is added (holding rows until the flush made them
 * survive scavenges: GC was a large part of ingest), the hand-off to the storage thread is a structured
 * clone of a few typed arrays and a short string list, and the chunk writer encodes each distinct string
 * once per chunk instead of once per value.
 *
 * A column switches to plain `values` as soon as a value is not of its expected JS type (a bigint in a
 * BIGINT column, a number in a VARCHAR column...), so a batch always gives back exactly the values added;
 * storage then converts and validates them as before. Plain data only: no classes, no methods.
 */
import type { ColumnType } from '@fedlake/core'
import type { StorageValue } from './types.js'

/** Dictionary-encoded strings; id -1 is NULL. */
export interface StringColumn {
  readonly kind: 'strings'
  readonly dict: readonly string[]
  readonly ids: Int32Array
}

/** JS numbers; `nulls[r] === 1` marks NULL (null when the column has none). */
export interface NumberColumn {
  readonly kind: 'numbers'
  readonly values: Float64Array
  readonly nulls: Uint8Array | null
}

export interface ValueColumn {
  readonly kind: 'values'
  readonly values: readonly StorageValue[]
}

export type BatchColumn = StringColumn | NumberColumn | ValueColumn

export interface ColumnBatch {
  readonly rowCount: number
  /** Aligned with the schema's columns. */
  readonly columns: readonly BatchColumn[]
}

export interface ColumnBatchBuilder {
  readonly rowCount: number
  /** Adds one row aligned with the column types; a missing value (short row) is NULL. */
  add(row: readonly StorageValue[]): void
  /** The rows added since the last build; the builder starts over empty. */
  build(): ColumnBatch
}

const MIN_CAPACITY = 64

interface ColumnBuilder {
  add(value: StorageValue | undefined, row: number): void
  grow(capacity: number): void
  build(rowCount: number): BatchColumn
}

class ValueColumnBuilder implements ColumnBuilder {
  values: StorageValue[]
  constructor (values: StorageValue[] = []) { this.values = values }
  add (value: StorageValue | undefined, row: number): void { this.values[row] = value ?? null }
  grow (): void {}
  build (rowCount: number): ValueColumn {
    if (this.values.length > rowCount) this.values.length = rowCount
    return { kind: 'values', values: this.values }
  }
}

/** Per string column: the last string seen of each length (mod 64), to skip hashing for repeated values. */
const RECENT_SLOTS = 64

class StringColumnBuilder implements ColumnBuilder {
  private dict: string[] = []
  private lookup = new Map<string, number>()
  private readonly recent: string[] = new Array<string>(RECENT_SLOTS).fill('')
  private readonly recentId = new Int32Array(RECENT_SLOTS).fill(-1)
  ids: Int32Array
  fallback: ValueColumnBuilder | undefined
  constructor (capacity: number) { this.ids = new Int32Array(capacity) }

  add (value: StorageValue | undefined, row: number): void {
    if (this.fallback !== undefined) { this.fallback.add(value, row); return }
    if (typeof value === 'string') {
      // most values repeat: comparing with the last string of the same length costs less than hashing a new one
      const slot = value.length & (RECENT_SLOTS - 1)
      if (value === this.recent[slot]) {
        const recent = this.recentId[slot] as number
        if (recent >= 0) { this.ids[row] = recent; return }
      }
      let id = this.lookup.get(value)
      if (id === undefined) {
        id = this.dict.length
        this.dict.push(value)
        this.lookup.set(value, id)
      }
      this.ids[row] = id
      this.recent[slot] = value
      this.recentId[slot] = id
    } else if (value === null || value === undefined) {
      this.ids[row] = -1
    } else {
      const values: StorageValue[] = new Array<StorageValue>(row)
      for (let r = 0; r < row; r++) { const id = this.ids[r] as number; values[r] = id < 0 ? null : this.dict[id] as string }
      this.fallback = new ValueColumnBuilder(values)
      this.fallback.add(value, row)
    }
  }

  grow (capacity: number): void {
    const ids = new Int32Array(capacity)
    ids.set(this.ids)
    this.ids = ids
  }

  build (rowCount: number): BatchColumn {
    if (this.fallback !== undefined) return this.fallback.build(rowCount)
    return { kind: 'strings', dict: this.dict, ids: this.ids.slice(0, rowCount) }
  }
}

class NumberColumnBuilder implements ColumnBuilder {
  values: Float64Array
  nulls: Uint8Array | null = null
  fallback: ValueColumnBuilder | undefined
  constructor (capacity: number) { this.values = new Float64Array(capacity) }

  add (value: StorageValue | undefined, row: number): void {
    if (this.fallback !== undefined) { this.fallback.add(value, row); return }
    if (typeof value === 'number') {
      this.values[row] = value
    } else if (value === null || value === undefined) {
      (this.nulls ??= new Uint8Array(this.values.length))[row] = 1
    } else {
      const values: StorageValue[] = new Array<StorageValue>(row)
      for (let r = 0; r < row; r++) values[r] = this.nulls?.[r] === 1 ? null : this.values[r] as number
      this.fallback = new ValueColumnBuilder(values)
      this.fallback.add(value, row)
    }
  }

  grow (capacity: number): void {
    const values = new Float64Array(capacity)
    values.set(this.values)
    this.values = values
    if (this.nulls !== null) {
      const nulls = new Uint8Array(capacity)
      nulls.set(this.nulls)
      this.nulls = nulls
    }
  }

  build (rowCount: number): BatchColumn {
    if (this.fallback !== undefined) return this.fallback.build(rowCount)
    return { kind: 'numbers', values: this.values.slice(0, rowCount), nulls: this.nulls?.slice(0, rowCount) ?? null }
  }
}

const NUMBER_TYPES: ReadonlySet<ColumnType> = new Set<ColumnType>(['TIMESTAMP', 'BIGINT', 'INTEGER', 'DOUBLE'])

export function createColumnBatchBuilder (types: readonly ColumnType[], initialCapacity = 1024): ColumnBatchBuilder {
  let capacity = Math.max(MIN_CAPACITY, initialCapacity)
  // one array per builder class, so each add() call site below sees a single class
  const stringAt: number[] = []
  const numberAt: number[] = []
  const valueAt: number[] = []
  types.forEach((t, c) => { (t === 'VARCHAR' ? stringAt : NUMBER_TYPES.has(t) ? numberAt : valueAt).push(c) })
  let strings: StringColumnBuilder[] = []
  let numbers: NumberColumnBuilder[] = []
  let values: ValueColumnBuilder[] = []
  const reset = (): void => {
    strings = stringAt.map(() => new StringColumnBuilder(capacity))
    numbers = numberAt.map(() => new NumberColumnBuilder(capacity))
    values = valueAt.map(() => new ValueColumnBuilder())
  }
  reset()
  let rowCount = 0
  return {
    get rowCount () { return rowCount },
    add (row) {
      const r = rowCount
      if (r === capacity) {
        capacity *= 2
        for (const b of strings) b.grow(capacity)
        for (const b of numbers) b.grow(capacity)
      }
      for (let i = 0; i < strings.length; i++) (strings[i] as StringColumnBuilder).add(row[stringAt[i] as number], r)
      for (let i = 0; i < numbers.length; i++) (numbers[i] as NumberColumnBuilder).add(row[numberAt[i] as number], r)
      for (let i = 0; i < values.length; i++) (values[i] as ValueColumnBuilder).add(row[valueAt[i] as number], r)
      rowCount = r + 1
    },
    build () {
      const columns: BatchColumn[] = new Array<BatchColumn>(types.length)
      strings.forEach((b, i) => { columns[stringAt[i] as number] = b.build(rowCount) })
      numbers.forEach((b, i) => { columns[numberAt[i] as number] = b.build(rowCount) })
      values.forEach((b, i) => { columns[valueAt[i] as number] = b.build(rowCount) })
      const batch: ColumnBatch = { rowCount, columns }
      // the next batch most likely has about as many rows: start there instead of doubling up again
      capacity = Math.max(MIN_CAPACITY, rowCount)
      reset()
      rowCount = 0
      return batch
    }
  }
}

export function columnBatchFromRows (types: readonly ColumnType[], rows: readonly (readonly StorageValue[])[]): ColumnBatch {
  const builder = createColumnBatchBuilder(types, rows.length)
  for (const row of rows) builder.add(row)
  return builder.build()
}

/** The value of row `row` of a column. */
export function columnValue (column: BatchColumn, row: number): StorageValue {
  switch (column.kind) {
    case 'strings': {
      const id = column.ids[row] as number
      return id < 0 ? null : column.dict[id] as string
    }
    case 'numbers': return column.nulls?.[row] === 1 ? null : column.values[row] as number
    case 'values': return column.values[row] ?? null
  }
}

/** The batch as row arrays (for sinks that take rows). */
export function columnBatchRows (batch: ColumnBatch): StorageValue[][] {
  const rows: StorageValue[][] = []
  for (let r = 0; r < batch.rowCount; r++) rows.push(batch.columns.map(column => columnValue(column, r)))
  return rows
}

/** True when `batch` is well-formed for `width` columns (what a batch received from elsewhere must be). */
export function isColumnBatch (batch: ColumnBatch, width: number): boolean {
  if (!Number.isSafeInteger(batch.rowCount) || batch.rowCount < 0 || batch.columns.length !== width) return false
  return batch.columns.every(column => {
    switch (column.kind) {
      case 'strings': return column.ids.length === batch.rowCount
      case 'numbers': return column.values.length === batch.rowCount && (column.nulls === null || column.nulls.length === batch.rowCount)
      case 'values': return column.values.length === batch.rowCount
      default: return false
    }
  })
}
