/**
 * One pass over a PUT body before JSON.parse, for what JSON.parse cannot be asked:
 * - where each top-level value ({...} or [...]) starts and ends (NDJSON and concatenated JSON);
 * - how deep values nest: beyond MAX_DEPTH the body is refused (deep nesting overflowed the stack later on);
 * - which number tokens JSON.parse would not keep: integers of more than 15 digits (a double holds every
 *   integer up to 15 digits exactly, not all of 16) and numbers beyond a double's range (1e400 → Infinity).
 * Validating JSON stays JSON.parse's job: the scan tracks strings, brackets and number tokens only. A token
 * is reported only where JSON allows a number (a value position) and only when it is a valid JSON number,
 * so writing it as a string (exact-numbers.ts) never makes invalid JSON valid, nor the reverse.
 */
import { malformed } from './body-errors.js'

export const MAX_DEPTH = 64
/** Integers with at most this many digits are exact as doubles. */
const EXACT_DIGITS = 15
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

export interface JsonScan {
  /** Top-level values as [start, end) offsets, flattened: start0, end0, start1, end1, ... */
  readonly values: readonly number[]
  /** Number tokens JSON.parse would round or overflow, as [start, end) offsets, flattened, in text order. */
  readonly inexactNumbers: readonly number[]
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COLON = 0x3a
const COMMA = 0x2c
const MINUS = 0x2d
const PLUS = 0x2b
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39
const LOWER_E = 0x65
const UPPER_E = 0x45

function isDigit (c: number): boolean {
  return c >= ZERO && c <= NINE
}

function isSpace (c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09
}

export function scanJsonText (text: string): JsonScan {
  const values: number[] = []
  const inexactNumbers: number[] = []
  // the bracket that opened each level: an object's numbers after '{' or ',' would be keys, not values
  const openers = new Uint8Array(MAX_DEPTH + 1)
  const n = text.length
  let depth = 0
  let valueStart = 0
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (depth === 0) {
      if (isSpace(c)) { i++; continue }
      if (c !== OPEN_BRACE && c !== OPEN_BRACKET) throw malformed(`unexpected ${JSON.stringify(text[i])}: expected a JSON object`, text, i)
      valueStart = i
      openers[++depth] = c
      i++
    } else if (c === QUOTE) {
      i = afterString(text, i)
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > MAX_DEPTH) throw malformed(`nested deeper than ${MAX_DEPTH} levels`, text, i)
      openers[depth] = c
      i++
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) values.push(valueStart, i + 1)
      i++
    } else if (isDigit(c) || c === MINUS) {
      const start = i
      i = afterNumber(text, i)
      if (isInexact(text, start, i) && isValuePosition(text, start, openers[depth] as number)) inexactNumbers.push(start, i)
    } else {
      i++
    }
  }
  if (depth !== 0) throw malformed('unterminated JSON value', text, valueStart)
  return { values, inexactNumbers }
}

/** Offset after the string opening at `open` (text.length when unterminated). */
function afterString (text: string, open: number): number {
  let from = open + 1
  for (;;) {
    const quote = text.indexOf('"', from)
    if (quote < 0) return text.length
    let backslashes = 0
    for (let b = quote - 1; b > open && text.charCodeAt(b) === BACKSLASH; b--) backslashes++
    if (backslashes % 2 === 0) return quote + 1
    from = quote + 1
  }
}

/** Offset after the number-like token starting at `start` (digits, signs, dots, exponents). */
function afterNumber (text: string, start: number): number {
  let i = start + 1
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (!isDigit(c) && c !== DOT && c !== LOWER_E && c !== UPPER_E && c !== PLUS && c !== MINUS) break
  }
  return i
}

/** A valid JSON number that JSON.parse would round (an integer of 16+ digits) or overflow to ±Infinity. */
function isInexact (text: string, start: number, end: number): boolean {
  let exponent = false
  let fraction = false
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c === LOWER_E || c === UPPER_E) exponent = true
    else if (c === DOT) fraction = true
  }
  const length = text.charCodeAt(start) === MINUS ? end - start - 1 : end - start
  if (!exponent && !fraction) return length > EXACT_DIGITS && JSON_NUMBER.test(text.slice(start, end))
  // only an exponent or a mantissa of 309+ digits leaves a double's range
  if (!exponent && length < 300) return false
  const token = text.slice(start, end)
  return JSON_NUMBER.test(token) && !Number.isFinite(Number(token))
}

/** True when the token at `start` follows ':' or, in an array, '[' or ','. */
function isValuePosition (text: string, start: number, opener: number): boolean {
  let p = start - 1
  while (p >= 0 && isSpace(text.charCodeAt(p))) p--
  const before = text.charCodeAt(p)
  return before === COLON || (opener === OPEN_BRACKET && (before === OPEN_BRACKET || before === COMMA))
}
