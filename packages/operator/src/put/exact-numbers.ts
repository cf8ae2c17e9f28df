/**
 * Number tokens JSON.parse would round or overflow (found by json-scan.ts) cross JSON.parse as marked strings
 * and are turned back into exact values afterwards: integers beyond 2^53 become bigints (refused beyond 128
 * bits), numbers beyond a double's range are refused. Node 20's JSON.parse gives a reviver no source text,
 * hence the detour.
 *
 * A mark is U+007F (a character JSON strings may hold unescaped) and a random nonce
 * chosen per body: a client cannot write a string that is mistaken for one, because it cannot know the nonce.
 */
import { randomBytes } from 'node:crypto'
import { FedlakeError } from '@fedlake/core'
import { PUT_ERRORS } from '../errors-storage.js'
import type { PutRow, PutValue } from './put-value.js'

const INT128_MIN = -(2n ** 127n)
const INT128_MAX = 2n ** 127n - 1n
const INT128_DIGITS = 39
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const INTEGER_TOKEN = /^-?\d+$/

const MARK_START = 0x7f

export type NumberMark = string

export function newNumberMark (): NumberMark {
  return `\u007f${randomBytes(12).toString('hex')}:`
}

/**
 * Text [start, end) of the body with the inexact number tokens inside it written as marked strings.
 * `tokens` are flattened [start, end) pairs in text order; `first` is the index of the first one at or after start.
 */
export function markedText (text: string, start: number, end: number, tokens: readonly number[], first: number, mark: NumberMark): string {
  let out = ''
  let from = start
  for (let t = first; t < tokens.length && (tokens[t] as number) < end; t += 2) {
    const tokenStart = tokens[t] as number
    const tokenEnd = tokens[t + 1] as number
    out += text.slice(from, tokenStart)
    out += '"'
    out += mark
    out += text.slice(tokenStart, tokenEnd)
    out += '"'
    from = tokenEnd
  }
  return out + text.slice(from, end)
}

/**
 * Replaces the `count` marked strings in `rows` (in place) with exact numbers; refuses those no column type can
 * hold, naming the row and key.
 */
export function restoreExactNumbers (rows: PutRow[], mark: NumberMark, count: number): void {
  let left = count
  const restore = (value: PutValue, row: number, path: string): PutValue => {
    if (typeof value === 'string') {
      if (value.charCodeAt(0) !== MARK_START || !value.startsWith(mark)) return value
      left--
      return exactNumber(value.slice(mark.length), row, path)
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = restore(value[i] as PutValue, row, `${path}[${i}]`)
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) value[key] = restore(value[key] as PutValue, row, `${path}.${key}`)
    }
    return value
  }
  for (let r = 0; r < rows.length && left > 0; r++) {
    const row = rows[r] as PutRow
    for (const key in row) row[key] = restore(row[key] as PutValue, r, key)
  }
}

function exactNumber (token: string, row: number, key: string): number | bigint {
  if (!INTEGER_TOKEN.test(token)) throw refused(row, key, token, 'is not a finite number (beyond the range of a double)')
  const digits = token.startsWith('-') ? token.length - 1 : token.length
  if (digits > INT128_DIGITS) throw refused(row, key, token, 'does not fit a 128-bit integer (HUGEINT)')
  const value = BigInt(token)
  if (value < INT128_MIN || value > INT128_MAX) throw refused(row, key, token, 'does not fit a 128-bit integer (HUGEINT)')
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value
}

function refused (row: number, key: string, token: string, reason: string): FedlakeError {
  const shown = token.length > 60 ? `${token.slice(0, 20)}...(${token.length} characters)` : token
  return new FedlakeError(PUT_ERRORS.PUT_TYPE_MISMATCH, `row ${row}, key ${key}: ${shown} ${reason}`, { row, key })
}
