/**
 * Parsing and evaluating the EdgeLake metadata query language: `where` conditions over policy
 * attributes (`name = x`, `[operator][name] == x`, `table[dbms] = d`, `k with v`, `k contains v`,
 * joined by `and`/`or`) and key paths used by `bring`.
 */
import { CORE_ERRORS, FedlakeError } from '@fedlake/core'
import type { JsonValue } from '@fedlake/core'
import type { PolicyRecord } from '../policy.js'

export type TokenKind = 'word' | 'str' | 'op'

export interface Token {
  readonly kind: TokenKind
  readonly text: string
}

const OPS = ['==', '!=', '<>', '<=', '>=', '=', '<', '>']

export function syntaxError (message: string): FedlakeError {
  return new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, message)
}

/** Splits a command into words, quoted strings and comparison operators. */
export function tokenize (text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const ch = text[i] as string
    if (/\s/.test(ch)) { i++; continue }
    if (ch === '"' || ch === "'" || ch === '`') {
      const end = text.indexOf(ch, i + 1)
      if (end < 0) throw syntaxError(`unterminated quote at offset ${i}`)
      tokens.push({ kind: 'str', text: text.slice(i + 1, end) })
      i = end + 1
      continue
    }
    const op = OPS.find(o => text.startsWith(o, i))
    if (op !== undefined) { tokens.push({ kind: 'op', text: op }); i += op.length; continue }
    let j = i
    let depth = 0
    while (j < text.length) {
      const c = text[j] as string
      if (c === '[') depth++
      else if (c === ']') depth--
      else if (depth <= 0 && (/\s/.test(c) || c === '"' || c === "'" || OPS.some(o => text.startsWith(o, j)))) break
      j++
    }
    tokens.push({ kind: 'word', text: text.slice(i, j) })
    i = j
  }
  return tokens
}

export function isWord (token: Token | undefined, ...words: string[]): boolean {
  return token !== undefined && token.kind === 'word' && words.includes(token.text.toLowerCase())
}

// ---- key paths ------------------------------------------------------------------------------

/**
 * Resolves a key against a policy. `[a][b]` starts at the root (`*` = the policy type), `a[b]`
 * and `a` start inside the body. Lists along the way are mapped, so the result may hold several
 * values. `[]` alone gives the policy type.
 */
export function resolveKey (record: PolicyRecord, key: string): JsonValue[] {
  const root = record.policy as unknown as JsonValue
  let path: string[]
  let start: JsonValue
  if (key === '[]' || key === '[*]') return [record.type]
  if (key.startsWith('[')) {
    path = bracketParts(key)
    if (path[0] === '*') path[0] = record.type
    start = root
  } else {
    const open = key.indexOf('[')
    path = open < 0 ? [key] : [key.slice(0, open), ...bracketParts(key.slice(open))]
    start = (record.policy[record.type] ?? {}) as JsonValue
  }
  let values: JsonValue[] = [start]
  for (const part of path) {
    const next: JsonValue[] = []
    for (const v of values) {
      if (Array.isArray(v)) {
        for (const el of v) if (el !== null && typeof el === 'object' && !Array.isArray(el) && part in el) next.push(el[part] as JsonValue)
      } else if (v !== null && typeof v === 'object' && part in v) {
        next.push(v[part] as JsonValue)
      }
    }
    values = next
  }
  return values
}

function bracketParts (text: string): string[] {
  const parts: string[] = []
  const re = /\[([^\]]*)\]/g
  let m: RegExpExecArray | null
  while ((m = re.exec(text)) !== null) parts.push((m[1] as string).trim().replace(/^['"]|['"]$/g, ''))
  return parts
}

/** The column name a key produces in bring.json/bring.table: its last component. */
export function keyName (key: string): string {
  if (key === '[]' || key === '[*]') return 'policy'
  const parts = key.startsWith('[') ? bracketParts(key) : [key.replace(/\[.*$/, ''), ...bracketParts(key.replace(/^[^[]*/, ''))]
  return parts[parts.length - 1] ?? key
}

// ---- where conditions -----------------------------------------------------------------------

export interface Condition {
  readonly key: string
  readonly op: string
  readonly value: string
}

/** Disjunction of conjunctions: `a and b or c` = (a and b) or c. */
export type WhereExpr = Condition[][]

/** Parses `k op v [and|or ...]` from tokens[start] until a token for which stop() holds. Returns the expression and the next index. */
export function parseWhere (tokens: readonly Token[], start: number, stop: (t: Token) => boolean): { expr: WhereExpr, next: number } {
  const expr: WhereExpr = [[]]
  let i = start
  for (;;) {
    const key = tokens[i]
    const op = tokens[i + 1]
    const value = tokens[i + 2]
    if (key === undefined || key.kind === 'op' || op === undefined || value === undefined) throw syntaxError('expected `key = value` after where')
    const opText = op.kind === 'op' ? op.text : op.text.toLowerCase()
    if (op.kind !== 'op' && opText !== 'with' && opText !== 'contains') throw syntaxError(`unknown comparison '${op.text}'`)
    ;(expr[expr.length - 1] as Condition[]).push({ key: key.text, op: opText, value: value.text })
    i += 3
    const joiner = tokens[i]
    if (joiner === undefined || stop(joiner)) break
    if (isWord(joiner, 'and')) { i++; continue }
    if (isWord(joiner, 'or')) { expr.push([]); i++; continue }
    throw syntaxError(`expected and/or after a condition, got '${joiner.text}'`)
  }
  return { expr, next: i }
}

function numeric (v: string): number | undefined {
  if (v.trim() === '') return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : undefined
}

function scalarText (v: JsonValue): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)
}

function compare (actual: JsonValue, op: string, expected: string): boolean {
  if (op === 'with') return Array.isArray(actual) ? actual.some(a => scalarText(a) === expected) : scalarText(actual) === expected
  if (op === 'contains') return scalarText(actual).toLowerCase().includes(expected.toLowerCase())
  if (Array.isArray(actual)) return actual.some(a => compare(a, op, expected))
  const text = scalarText(actual)
  const a = numeric(text)
  const b = numeric(expected)
  const cmp = a !== undefined && b !== undefined ? a - b : text < expected ? -1 : text > expected ? 1 : 0
  switch (op) {
    case '=': case '==': return cmp === 0
    case '!=': case '<>': return cmp !== 0
    case '<': return cmp < 0
    case '>': return cmp > 0
    case '<=': return cmp <= 0
    case '>=': return cmp >= 0
    default: return false
  }
}

export function matchesCondition (record: PolicyRecord, c: Condition): boolean {
  const values = resolveKey(record, c.key)
  if (c.op === '!=' || c.op === '<>') return values.length === 0 || values.every(v => compare(v, c.op, c.value))
  return values.some(v => compare(v, c.op, c.value))
}

export function matchesWhere (record: PolicyRecord, expr: WhereExpr): boolean {
  return expr.some(conj => conj.every(c => matchesCondition(record, c)))
}

/** Simple `k = v and k2 = v2` options of the get commands, keys lower-cased. */
export function parseOptions (tokens: readonly Token[], start: number): Map<string, string> {
  const options = new Map<string, string>()
  if (tokens.length <= start) return options
  if (!isWord(tokens[start], 'where')) throw syntaxError(`expected where, got '${tokens[start]?.text ?? ''}'`)
  const { expr } = parseWhere(tokens, start + 1, () => false)
  for (const c of expr.flat()) options.set(c.key.toLowerCase(), c.value)
  return options
}
