/**
 * Compiles a mapping policy once into a row builder (row-builder.ts): per column it fetches the
 * value (`bring`), applies the column condition and `apply`, falls back to `default`/NULL and
 * converts to the column type. A row is an array aligned with the policy's TableSchema columns.
 *
 * Missing values: undefined, null, and '' for non-text columns (proto3 and Go JSON omit empty
 * fields, KubeArmor's Severity is '' when unset) take the column default; with no default an
 * `optional` column gets NULL and any other column rejects the record.
 */
import { FedlakeError } from '@fedlake/core'
import type { ColumnSchema, ColumnType, KubeArmorStream, TableSchema } from '@fedlake/core'
import { INGEST_ERRORS } from '../errors-ingest.js'
import type { IngestValue } from '../ingest/sink.js'
import { ConversionFailure, converterFor, epochToMicros, microsToIso, toJsonText, toText } from './coerce.js'
import { compileCondition } from './condition.js'
import type { RecordPredicate } from './condition.js'
import { parseBring } from './path.js'
import type { ColumnSpec, MappingPolicy } from './policy.js'
import { generateRowBuilder } from './row-builder.js'
import type { Absent, ColumnPlan } from './row-builder.js'

/** A record that could not be mapped: a value handed to the rejects table, never thrown. */
export class MappingError {
  readonly code = INGEST_ERRORS.MAPPING_FAILED
  readonly policyId: string
  readonly column: string | undefined
  readonly message: string
  /** The record as received. */
  readonly record: unknown

  constructor (policyId: string, message: string, column: string | undefined, record: unknown) {
    this.policyId = policyId
    this.message = message
    this.column = column
    this.record = record
  }
}

export interface CompiledMapping {
  readonly id: string
  /** The KubeArmor stream this policy maps, when it says so. */
  readonly stream: KubeArmorStream | undefined
  readonly schema: TableSchema
  readonly policy: MappingPolicy
  /**
   * Rows for one record: usually one; none when the policy condition does not hold; one per
   * entry with `readings`. The returned arrays belong to the caller.
   */
  map(record: unknown): IngestValue[][] | MappingError
}

export interface CompileOptions {
  /** dbms for policies that name none. @default 'kubearmor' */
  defaultDbms?: string
}

const TYPE_NAMES: Readonly<Record<string, ColumnType>> = {
  string: 'VARCHAR', str: 'VARCHAR', varchar: 'VARCHAR', char: 'VARCHAR', text: 'VARCHAR', character: 'VARCHAR',
  int: 'INTEGER', integer: 'INTEGER', int4: 'INTEGER', smallint: 'INTEGER',
  bigint: 'BIGINT', int8: 'BIGINT', long: 'BIGINT', hugeint: 'HUGEINT', int128: 'HUGEINT',
  float: 'DOUBLE', double: 'DOUBLE', decimal: 'DOUBLE', numeric: 'DOUBLE', real: 'DOUBLE',
  timestamp: 'TIMESTAMP', datetime: 'TIMESTAMP',
  bool: 'BOOLEAN', boolean: 'BOOLEAN'
}

/** Maps a mapping type name (`string`, `char(5)`, `decimal(10,2)`, `timestamp`, ...) to a column type. */
export function columnTypeOf (typeName: string): ColumnType | undefined {
  const base = typeName.trim().toLowerCase().replace(/\s*\(.*\)\s*$/, '').replace(/\s+(without|with) time zone$/, '')
  return TYPE_NAMES[base === 'double precision' ? 'double' : base]
}

const EPOCH_APPLIES: Readonly<Record<string, number>> = {
  epoch_to_datetime: 1_000_000,
  epoch_ms_to_datetime: 1000,
  epoch_us_to_datetime: 1
}

const VALUE_APPLIES: Readonly<Record<string, (value: unknown) => unknown>> = {
  // EdgeLake (Python json.dumps) would quote plain strings; keeping them as they are keeps
  // `where resource = '/etc/passwd'` working. Objects and arrays become JSON text.
  json_dump: value => typeof value === 'object' && value !== null ? toJsonText(value) : value,
  lower: value => toText(value).toLowerCase(),
  upper: value => toText(value).toUpperCase(),
  trim: value => toText(value).trim(),
  base64decoding: value => Buffer.from(toText(value), 'base64').toString('utf8')
}

export const SUPPORTED_APPLIES: readonly string[] = [...Object.keys(EPOCH_APPLIES), ...Object.keys(VALUE_APPLIES)]

function invalid (policy: MappingPolicy, message: string): FedlakeError {
  return new FedlakeError(INGEST_ERRORS.MAPPING_INVALID, `mapping policy '${policy.mapping.id}': ${message}`, { policy: policy.mapping.id })
}

function stripQuotes (text: string): string {
  const m = /^'(.*)'$|^"(.*)"$/.exec(text.trim())
  return m !== null ? (m[1] ?? m[2] ?? '') : text
}

function compileColumn (policy: MappingPolicy, name: string, spec: ColumnSpec): ColumnPlan {
  const type = columnTypeOf(spec.type)
  if (type === undefined) throw invalid(policy, `column '${name}' has unknown type '${spec.type}'`)
  const fail = (message: string): never => { throw invalid(policy, `column '${name}': ${message}`) }

  let keys: string[] | undefined
  if (spec.bring !== undefined) {
    try { keys = parseBring(spec.bring) } catch (err) { fail((err as Error).message) }
  }
  let condition: RecordPredicate | undefined
  if (spec.condition !== undefined) {
    try { condition = compileCondition(spec.condition) } catch (err) { fail((err as Error).message) }
  }

  let convert = converterFor(type)
  let transform: ((value: unknown) => unknown) | undefined
  if (spec.apply !== undefined) {
    const apply = spec.apply.trim().toLowerCase()
    const unit = EPOCH_APPLIES[apply]
    if (unit !== undefined) {
      if (type === 'TIMESTAMP') convert = value => epochToMicros(value, unit)
      else if (type === 'VARCHAR') convert = value => microsToIso(epochToMicros(value, unit))
      else fail(`apply '${spec.apply}' needs a timestamp or string column, not ${type}`)
    } else {
      transform = VALUE_APPLIES[apply]
      if (transform === undefined) fail(`unknown apply '${spec.apply}' (supported: ${SUPPORTED_APPLIES.join(', ')})`)
    }
  }

  // What an absent value becomes: a constant, the current time, NULL, or a rejection.
  let absent: Absent
  const def = spec.default
  if (def !== undefined && def !== null) {
    if (typeof def === 'string' && def.trim().toLowerCase() === 'now()') {
      if (type !== 'TIMESTAMP') fail(`default now() needs a timestamp column, not ${type}`)
      absent = { now: true }
    } else {
      const raw = typeof def === 'string' ? stripQuotes(def) : def
      let value: IngestValue = null
      if (raw === '' && type !== 'VARCHAR') fail(`default '' is not a valid ${type}`)
      try {
        value = converterFor(type)(raw)
      } catch (err) {
        if (!(err instanceof ConversionFailure)) throw err
        fail(`default ${JSON.stringify(def)}: ${err.message}`)
      }
      absent = { value }
    }
  } else if (spec.optional === true || def === null) {
    absent = { value: null }
  } else {
    absent = { missing: `required value ${spec.bring ?? name} is missing` }
  }

  return {
    column: { name, type },
    ...(keys !== undefined ? { keys } : {}),
    ...(condition !== undefined ? { condition } : {}),
    ...(transform !== undefined ? { transform } : {}),
    convert,
    absent
  }
}

/** Compiles a validated policy. Throws MAPPING_INVALID when a column cannot be compiled. */
export function compileMapping (policy: MappingPolicy, options: CompileOptions = {}): CompiledMapping {
  const m = policy.mapping
  const plans = Object.entries(m.schema).map(([name, spec]) => compileColumn(policy, name, spec))
  const columns: ColumnSchema[] = plans.map(p => p.column)
  const schema: TableSchema = Object.freeze({ dbms: m.dbms ?? options.defaultDbms ?? 'kubearmor', table: m.table, columns: Object.freeze(columns) })
  let condition: RecordPredicate | undefined
  if (m.condition !== undefined) {
    try { condition = compileCondition(m.condition) } catch (err) { throw invalid(policy, (err as Error).message) }
  }
  const build = generateRowBuilder(plans)

  const buildRow = (record: Readonly<Record<string, unknown>>, original: unknown): IngestValue[] | MappingError => {
    try {
      return build(record)
    } catch (err) {
      if (!(err instanceof ConversionFailure)) throw err
      const column = err.column !== undefined ? columns[err.column]?.name : undefined
      return new MappingError(m.id, `column ${column ?? '?'}: ${err.message}`, column, original)
    }
  }

  const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
    typeof value === 'object' && value !== null && !Array.isArray(value)

  const readings = m.readings
  return {
    id: m.id,
    stream: m.stream,
    schema,
    policy,
    map (record) {
      if (!isObject(record)) return new MappingError(m.id, 'record is not a JSON object', undefined, record)
      if (condition !== undefined && !condition(record)) return []
      if (readings === undefined) {
        const row = buildRow(record, record)
        return row instanceof MappingError ? row : [row]
      }
      const list = record[readings]
      if (!Array.isArray(list)) return new MappingError(m.id, `readings key [${readings}] is not a list`, undefined, record)
      const rows: IngestValue[][] = []
      for (const item of list) {
        if (!isObject(item)) return new MappingError(m.id, `an entry of [${readings}] is not a JSON object`, undefined, record)
        // a reading sees its own keys and the record's top-level ones (its own win)
        const row = buildRow({ ...record, ...item }, record)
        if (row instanceof MappingError) return row
        rows.push(row)
      }
      return rows
    }
  }
}
