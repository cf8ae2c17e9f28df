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
  if (node.class === 'FUNCTION' && node.function_name === '-' && Array.isArray(node.children) && node.children.length === 1) {
    const n = constantNumber(node.children[0] as Node)
    return n === undefined ? undefined : -n
  }
  return undefined
}

function constantLength (node: Node | undefined): number | undefined {
  if (node?.class !== 'CONSTANT') return undefined
  const raw = (node.value as { value?: unknown } | undefined)?.value
  return typeof raw === 'string' ? raw.length : undefined
}

/** The widest field a constant printf/format string asks for (0 when none); undefined when not a constant. */
function formatWidth (node: Node | undefined): number | undefined {
  if (node?.class !== 'CONSTANT') return undefined
  const raw = (node.value as { value?: unknown } | undefined)?.value
  if (typeof raw !== 'string') return undefined
  let widest = 0
  for (const m of raw.matchAll(/\d+/g)) widest = Math.max(widest, Number(m[0]))
  return widest
}
