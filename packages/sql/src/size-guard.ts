/**
 * Functions that build a value whose size an argument sets (range(50000000), repeat('x', 500000000),
 * list_resize([1], n), lpad('', n), printf('%500000000d', 1)) allocate it outside DuckDB's memory limit and
 * cannot be interrupted while they run: measured here, such one-liners held 1-4.5 GB for 40-90 s whatever the
 * limit. So their size arguments must be constants within a bound, and their value arguments must not hold
 * another such call (sizes multiply). Every other value is built by DuckDB within its memory limit.
 */
import { FedlakeError } from '@fedlake/core'
import { NON_FINITE_MARKER } from './ast.js'
import { SQL_ERRORS } from './errors.js'

/** The largest list (elements) or string (characters) one call may build. */
export const MAX_GENERATED_SIZE = 100_000

type Node = Record<string, unknown>

interface SizedFunction {
  /** The size one call builds, from its arguments; undefined when the size is not a constant. */
  size(args: readonly Node[]): number | undefined
  /** Arguments that are values being sized (they may not contain another sized call). */
  readonly valueArgs: readonly number[]
}

const rangeSize = (args: readonly Node[]): number | undefined => {
  if (args.length === 3) {
    const from = constantInstantMicros(args[0])
    const to = constantInstantMicros(args[1])
    if (from !== undefined && to !== undefined) {
      const step = constantIntervalMicros(args[2])
      return step === undefined ? undefined : step === 0 ? 0 : Math.abs((to - from) / step)
    }
  }
  const [a, b, step] = args.map(constantNumber)
  if (args.length === 1) return a
  if (a === undefined || b === undefined) return undefined
  if (args.length === 2) return Math.abs(b - a)
  if (step === undefined) return undefined
  return step === 0 ? 0 : Math.abs((b - a) / step)
}

const SIZED: Readonly<Record<string, SizedFunction>> = {
  range: { size: rangeSize, valueArgs: [] },
  generate_series: { size: rangeSize, valueArgs: [] },
  repeat: { size: args => { const n = constantNumber(args[1]); const unit = constantLength(args[0]); return n === undefined ? undefined : n * Math.max(1, unit ?? 1) }, valueArgs: [0] },
  lpad: { size: args => constantNumber(args[1]), valueArgs: [0, 2] },
  rpad: { size: args => constantNumber(args[1]), valueArgs: [0, 2] },
  list_resize: { size: args => constantNumber(args[1]), valueArgs: [0, 2] },
  array_resize: { size: args => constantNumber(args[1]), valueArgs: [0, 2] },
  printf: { size: args => formatWidth(args[0]), valueArgs: [] },
  format: { size: args => formatWidth(args[0]), valueArgs: [] }
}

/** Throws SQL_RESOURCE_LIMIT when a sized call's size is not a constant within MAX_GENERATED_SIZE. */
export function checkSizedCall (name: string, children: readonly Node[]): void {
  const sized = SIZED[name.toLowerCase()]
  if (sized === undefined) return
  const size = sized.size(children)
  if (size === undefined || !Number.isFinite(size)) {
    throw limit(name, `${name}() builds a value whose size comes from its arguments; give it constant sizes (at most ${MAX_GENERATED_SIZE})`)
  }
  if (size > MAX_GENERATED_SIZE) {
    throw limit(name, `${name}() would build ${Math.round(size)} elements or characters, over the limit of ${MAX_GENERATED_SIZE} per call`)
  }
  for (const at of sized.valueArgs) {
    const arg = children[at]
    if (arg !== undefined && containsSizedCall(arg)) throw limit(name, `${name}() of another sized call (${name}(repeat(...), ...)) multiplies sizes; not allowed`)
  }
}

function limit (name: string, message: string): FedlakeError {
  return new FedlakeError(SQL_ERRORS.SQL_RESOURCE_LIMIT,
    `${message}: DuckDB builds such values outside the node's memory budget and cannot stop them once started`, { function: name, max: MAX_GENERATED_SIZE })
}

function containsSizedCall (value: unknown): boolean {
  if (Array.isArray(value)) return value.some(containsSizedCall)
  if (value === null || typeof value !== 'object') return false
  const node = value as Node
  if (node.class === 'FUNCTION' && typeof node.function_name === 'string' && SIZED[node.function_name.toLowerCase()] !== undefined) return true
  return Object.values(node).some(child => child !== null && typeof child === 'object' && containsSizedCall(child))
}

/** The number a constant expression (a literal, a cast of one, a negated one) stands for. */
function constantNumber (node: Node | undefined): number | undefined {
  if (node === undefined) return undefined
  if (node.class === 'CONSTANT') {
    const value = (node.value as { is_null?: boolean, value?: unknown } | undefined)
    if (value === undefined || value.is_null === true) return undefined
    const raw = value.value
    if (typeof raw === 'number') return raw
    if (typeof raw === 'string') {
      if (raw.startsWith(NON_FINITE_MARKER)) return Infinity
      const n = Number(raw)
      return Number.isNaN(n) ? undefined : n
    }
    return undefined
  }
  if (node.class === 'CAST') return constantNumber(node.child as Node | undefined)
  const [only, ...more] = node.class === 'FUNCTION' && Array.isArray(node.children) ? node.children as Node[] : []
  if (only !== undefined && more.length === 0) {
    // DuckDB's parser writes `INTERVAL 2 HOUR` as to_hours(CAST(trunc(CAST(2 AS DOUBLE)) AS BIGINT))
    const n = node.function_name === '-' || node.function_name === 'trunc' ? constantNumber(only) : undefined
    if (n !== undefined) return node.function_name === '-' ? -n : Math.trunc(n)
  }
  return undefined
}

/** The text of a string constant. */
function constantText (node: Node | undefined): string | undefined {
  const raw = node?.class === 'CONSTANT' ? (node.value as { value?: unknown } | undefined)?.value : undefined
  return typeof raw === 'string' ? raw : undefined
}

const INSTANT_TYPES = new Set(['DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS'])
const INSTANT_TEXT = /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?)?\s*(Z|[+-]\d\d(?::?\d\d)?)?$/i

/** Microseconds since 1970 of a constant date or timestamp (TIMESTAMP '2026-03-01 10:00', '2026-03-01'::date). */
function constantInstantMicros (node: Node | undefined): number | undefined {
  if (node?.class !== 'CAST' || !INSTANT_TYPES.has(String((node.cast_type as { id?: unknown } | undefined)?.id))) return undefined
  const m = INSTANT_TEXT.exec(constantText(node.child as Node | undefined)?.trim() ?? '')
  if (m === null) return undefined
  const [, y, mo, d, h, mi, sec, fraction, zone] = m
  const utcMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(sec ?? 0))
  const zm = /^([+-])(\d\d):?(\d\d)?$/.exec(zone ?? '')
  const offsetMs = zm === null ? 0 : (zm[1] === '-' ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3] ?? 0)) * 60_000
  return (utcMs - offsetMs) * 1000 + Math.round(Number(fraction ?? 0) * 1e6)
}

const MICROS_PER_DAY = 86_400_000_000
/**
 * Microseconds of each interval unit; a month counts as 28 days and a year as 365, so a series stepping by months
 * is never sized below what it builds.
 */
const INTERVAL_UNIT_MICROS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(us|usecs?|microseconds?)$/, 1], [/^(ms|msecs?|milliseconds?)$/, 1000], [/^(s|secs?|seconds?)$/, 1e6],
  [/^(m|mins?|minutes?)$/, 60e6], [/^(h|hrs?|hours?)$/, 3600e6], [/^(d|days?)$/, MICROS_PER_DAY],
  [/^(w|weeks?)$/, 7 * MICROS_PER_DAY], [/^(mons?|months?)$/, 28 * MICROS_PER_DAY], [/^(y|years?)$/, 365 * MICROS_PER_DAY],
  [/^(decades?)$/, 3650 * MICROS_PER_DAY], [/^(centuries|century)$/, 36500 * MICROS_PER_DAY]
]
const TO_INTERVAL: Readonly<Record<string, string>> = {
  to_microseconds: 'us', to_milliseconds: 'ms', to_seconds: 's', to_minutes: 'm', to_hours: 'h', to_days: 'd',
  to_weeks: 'w', to_months: 'months', to_years: 'y', to_decades: 'decades', to_centuries: 'centuries'
}

function unitMicros (unit: string): number | undefined {
  return INTERVAL_UNIT_MICROS.find(([pattern]) => pattern.test(unit.toLowerCase()))?.[1]
}

/** Microseconds of a constant interval (INTERVAL 1 HOUR, INTERVAL '15 minutes', their sum); undefined otherwise. */
function constantIntervalMicros (node: Node | undefined): number | undefined {
  if (node === undefined) return undefined
  if (node.class === 'CAST' && (node.cast_type as { id?: unknown } | undefined)?.id === 'INTERVAL') {
    const text = constantText(node.child as Node | undefined)?.trim().toLowerCase()
    if (text === undefined) return undefined
    const clock = /^(\d+):(\d\d)(?::(\d\d(?:\.\d+)?))?$/.exec(text)
    if (clock !== null) return ((Number(clock[1]) * 60 + Number(clock[2])) * 60 + Number(clock[3] ?? 0)) * 1e6
    const parts = [...text.matchAll(/(-?\d+(?:\.\d+)?)\s*([a-z]+)/g)]
    if (parts.length === 0 || parts.map(p => p[0]).join(' ') !== text.replace(/\s+/g, ' ')) return undefined
    let micros = 0
    for (const [, n, unit] of parts) {
      const each = unitMicros(unit ?? '')
      if (each === undefined) return undefined
      micros += Number(n) * each
    }
    return micros
  }
  if (node.class !== 'FUNCTION' || !Array.isArray(node.children)) return undefined
  const children = node.children as Node[]
  const unit = TO_INTERVAL[String(node.function_name)]
  if (unit !== undefined && children.length === 1) {
    const n = constantNumber(children[0])
    return n === undefined ? undefined : n * (unitMicros(unit) ?? 0)
  }
  if (node.function_name === '+' && children.length === 2) {
    const [a, b] = children.map(constantIntervalMicros)
    return a === undefined || b === undefined ? undefined : a + b
  }
  return undefined
}

function constantLength (node: Node | undefined): number | undefined {
  return constantText(node)?.length
}

/** The widest field a constant printf/format string asks for (0 when none); undefined when not a constant. */
function formatWidth (node: Node | undefined): number | undefined {
  const raw = constantText(node)
  if (raw === undefined) return undefined
  let widest = 0
  for (const m of raw.matchAll(/\d+/g)) widest = Math.max(widest, Number(m[0]))
  return widest
}
