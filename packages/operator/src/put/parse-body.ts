/**
 * PUT bodies: one JSON object, a JSON array of objects, or a sequence of objects (NDJSON, where blank lines
 * are ignored and an object may span lines). Anything malformed refuses the whole body with one
 * PUT_MALFORMED_BODY error naming the line and column, so nothing is written.
 *
 * A scan first (json-scan.ts) splits the values, bounds their nesting and finds the numbers JSON.parse would
 * not keep; then JSON.parse reads each value (a single-value body in one call on the body itself). Integers
 * beyond 2^53 come back as bigints (exact-numbers.ts); numbers beyond a double's range are refused.
 */
import { FedlakeError } from '@fedlake/core'
import { PUT_ERRORS } from '../errors-storage.js'
import { malformed } from './body-errors.js'
import { markedText, newNumberMark, restoreExactNumbers } from './exact-numbers.js'
import { scanJsonText } from './json-scan.js'
import type { PutRow } from './put-value.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })

export function parsePutBody (body: string | Buffer | Uint8Array): PutRow[] {
  const text = decode(body)
  if (text.trim() === '') throw malformed('the body is empty', text, 0)
  const { values, inexactNumbers: tokens } = scanJsonText(text)
  const mark = tokens.length > 0 ? newNumberMark() : undefined
  const rows: PutRow[] = []
  if (values.length === 2 && mark === undefined) {
    rowsOf(parseValue(text, text, 0), text, values[0] as number, rows)
    return rows
  }
  let token = 0
  for (let v = 0; v < values.length; v += 2) {
    const start = values[v] as number
    const end = values[v + 1] as number
    while (token < tokens.length && (tokens[token] as number) < start) token += 2
    const marked = mark !== undefined && token < tokens.length && (tokens[token] as number) < end
    const valueText = marked ? markedText(text, start, end, tokens, token, mark) : text.slice(start, end)
    rowsOf(parseValue(valueText, text, start, marked ? end : undefined), text, start, rows)
  }
  if (mark !== undefined) restoreExactNumbers(rows, mark, tokens.length / 2)
  return rows
}

function decode (body: string | Buffer | Uint8Array): string {
  let text: string
  if (typeof body === 'string') {
    text = body
  } else {
    try { text = utf8.decode(body) } catch { throw new FedlakeError(PUT_ERRORS.PUT_MALFORMED_BODY, 'the body is not valid UTF-8') }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/**
 * JSON.parse of `valueText`, which starts at `start` in the body; the error names the line and column. A text
 * with marked numbers (`markedEnd` given) has shifted positions: the unmarked value [start, markedEnd) is parsed
 * again for them (marking never turns valid JSON invalid or the reverse, see json-scan.ts).
 */
function parseValue (valueText: string, text: string, start: number, markedEnd?: number): unknown {
  try {
    return JSON.parse(valueText)
  } catch (err) {
    if (markedEnd !== undefined) {
      parseValue(text.slice(start, markedEnd), text, start)
      throw malformed(`invalid JSON: ${(err as Error).message}`, text, start)
    }
    throw malformed(`invalid JSON: ${(err as Error).message}`, text, start + errorOffset(err))
  }
}

/** Adds the rows of one top-level value to `rows`: an object, or an array of objects. */
function rowsOf (value: unknown, text: string, at: number, rows: PutRow[]): void {
  if (isObject(value)) { rows.push(value); return }
  if (Array.isArray(value)) {
    if (value.length === 0) throw malformed('the JSON array is empty', text, at)
    value.forEach((item, i) => {
      if (!isObject(item)) throw malformed(`element ${i} of the JSON array is ${describe(item)}, not an object`, text, at)
      rows.push(item)
    })
    return
  }
  throw malformed(`expected a JSON object or array, found ${describe(value)}`, text, at)
}

function isObject (value: unknown): value is PutRow {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

/** Node's JSON.parse messages carry "position N"; without one, point at the value's start. */
function errorOffset (err: unknown): number {
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : '')
  return m?.[1] !== undefined ? Number(m[1]) : 0
}
