/**
 * EdgeLake mapping conditions: `if [Key] == value`, `[A][B] != 'x'`, `[PID] > 100`, joined by
 * `and` or by `or` (not mixed). Values are quoted text, numbers or bare words. Numbers compare
 * numerically when both sides are numeric, everything else compares as text; an absent field is ''.
 */
import { parseBring, compileGetter } from './path.js'

type Op = '==' | '!=' | '>' | '<' | '>=' | '<='
export type RecordPredicate = (record: Readonly<Record<string, unknown>>) => boolean

const CLAUSE = /^\s*((?:\[[^[\]]+\])+)\s*(==|!=|>=|<=|>|<|=)\s*(.*?)\s*$/

function literal (text: string): string {
  const quoted = /^'(.*)'$|^"(.*)"$/.exec(text)
  return quoted !== null ? (quoted[1] ?? quoted[2] ?? '') : text
}

function compare (left: unknown, op: Op, right: string, rightNumber: number | undefined): boolean {
  const l = left === undefined || left === null ? '' : left
  let cmp: number
  const ln = typeof l === 'number' ? l : (typeof l === 'string' && l.trim() !== '' ? Number(l) : Number.NaN)
  if (rightNumber !== undefined && !Number.isNaN(ln)) cmp = ln - rightNumber
  else {
    const ls = typeof l === 'string' ? l : Array.isArray(l) ? l.join(',') : typeof l === 'object' ? JSON.stringify(l) : String(l)
    cmp = ls < right ? -1 : ls > right ? 1 : 0
  }
  switch (op) {
    case '==': return cmp === 0
    case '!=': return cmp !== 0
    case '>': return cmp > 0
    case '<': return cmp < 0
    case '>=': return cmp >= 0
    case '<=': return cmp <= 0
  }
}

/** Compiles a condition; throws Error with a readable message when it cannot be parsed. */
export function compileCondition (text: string): RecordPredicate {
  const body = text.trim().replace(/^if\s+/i, '')
  const hasAnd = /\s+and\s+/i.test(body)
  const hasOr = /\s+or\s+/i.test(body)
  if (hasAnd && hasOr) throw new Error(`condition '${text}' mixes 'and' and 'or'`)
  const parts = body.split(hasOr ? /\s+or\s+/i : /\s+and\s+/i)
  const clauses = parts.map(part => {
    const m = CLAUSE.exec(part)
    if (m === null) throw new Error(`cannot parse condition '${part.trim()}' (expected [Key] == value)`)
    const get = compileGetter(parseBring(m[1] as string))
    const op = (m[2] === '=' ? '==' : m[2]) as Op
    const right = literal(m[3] as string)
    const rightNumber = right.trim() !== '' && !Number.isNaN(Number(right)) ? Number(right) : undefined
    return (record: Readonly<Record<string, unknown>>): boolean => compare(get(record), op, right, rightNumber)
  })
  if (clauses.length === 1) return clauses[0] as RecordPredicate
  return hasOr
    ? record => clauses.some(c => c(record))
    : record => clauses.every(c => c(record))
}
