/**
 * PUT bodies: one JSON object, a JSON array of objects, or a sequence of objects (NDJSON, where blank lines
 * are ignored and an object may span lines). Anything malformed refuses the whole body with one
 * PUT_MALFORMED_BODY error naming the line and column, so nothing is written.
 */
import type { JsonValue } from '@fedlake/core'
import { FedlakeError } from '@fedlake/core'
import { PUT_ERRORS } from '../errors-storage.js'

export type PutRow = Record<string, JsonValue>

const utf8 = new TextDecoder('utf-8', { fatal: true })

export function parsePutBody (body: string | Buffer | Uint8Array): PutRow[] {
  const text = decode(body)
  if (text.trim() === '') throw malformed('the body is empty', text, 0)
  // Fast path: a single document (object or array).
  let whole: unknown
  let wholeParsed = false
  try { whole = JSON.parse(text); wholeParsed = true } catch { /* NDJSON or malformed: scanned below */ }
  if (wholeParsed) return rowsOf(whole, text, firstNonSpace(text))
  const rows: PutRow[] = []
  for (const { start, end } of topLevelValues(text)) {
    let value: unknown
    try {
      value = JSON.parse(text.slice(start, end))
    } catch (err) {
      throw malformed(`invalid JSON: ${(err as Error).message}`, text, start + errorOffset(err))
    }
    rows.push(...rowsOf(value, text, start))
  }
  if (rows.length === 0) throw malformed('the body holds no rows', text, 0)
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

function rowsOf (value: unknown, text: string, at: number): PutRow[] {
  if (isObject(value)) return [value]
  if (Array.isArray(value)) {
    if (value.length === 0) throw malformed('the JSON array is empty', text, at)
    value.forEach((item, i) => {
      if (!isObject(item)) throw malformed(`element ${i} of the JSON array is ${describe(item)}, not an object`, text, at)
    })
    return value as PutRow[]
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

/**
 * Splits `text` into its top-level JSON values ({...} or [...]) separated by whitespace, tracking strings
 * and escapes so braces inside strings do not count. Refuses anything between values.
 */
function topLevelValues (text: string): { start: number, end: number }[] {
  const values: { start: number, end: number }[] = []
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) { i++; continue }
    if (c !== 0x7b && c !== 0x5b) throw malformed(`unexpected ${JSON.stringify(text[i])}: expected a JSON object`, text, i)
    const start = i
    let depth = 0
    let inString = false
    for (; i < n; i++) {
      const ch = text.charCodeAt(i)
      if (inString) {
        if (ch === 0x5c) i++ // skip the escaped character
        else if (ch === 0x22) inString = false
      } else if (ch === 0x22) {
        inString = true
      } else if (ch === 0x7b || ch === 0x5b) {
        depth++
      } else if ((ch === 0x7d || ch === 0x5d) && --depth === 0) {
        i++
        break
      }
    }
    if (depth !== 0) throw malformed('unterminated JSON value', text, start)
    values.push({ start, end: i })
  }
  return values
}

/** Node's JSON.parse messages carry "position N"; without one, point at the value's start. */
function errorOffset (err: unknown): number {
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : '')
  return m?.[1] !== undefined ? Number(m[1]) : 0
}

function firstNonSpace (text: string): number {
  const m = /\S/.exec(text)
  return m?.index ?? 0
}

function malformed (reason: string, text: string, offset: number): FedlakeError {
  const { line, column } = lineColumn(text, offset)
  return new FedlakeError(PUT_ERRORS.PUT_MALFORMED_BODY, `malformed body at line ${line}, column ${column}: ${reason}`, { line, column })
}

function lineColumn (text: string, offset: number): { line: number, column: number } {
  let line = 1
  let lineStart = 0
  const end = Math.min(offset, text.length)
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 0x0a) { line++; lineStart = i + 1 }
  }
  return { line, column: end - lineStart + 1 }
}
