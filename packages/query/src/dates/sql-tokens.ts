/**
 * A lexer for DuckDB SQL text that is just precise enough for textual rewrites: it knows where string
 * literals ('..' with '' escapes, E'..' with backslash escapes, $tag$..$tag$), quoted identifiers ("..")
 * and comments (-- and nested /* *\/) start and end, so nothing inside them is ever rewritten.
 * Concatenating the tokens' text gives back the input exactly.
 */
export type SqlTokenKind = 'space' | 'comment' | 'string' | 'quoted' | 'word' | 'number' | 'open' | 'close' | 'comma' | 'op'

export interface SqlToken {
  readonly kind: SqlTokenKind
  readonly text: string
  readonly start: number
}

const MULTI_CHAR_OPERATORS = ['->>', '<=', '>=', '<>', '!=', '==', '::', '||', '->', '//', '**']

export function scanSql (sql: string): SqlToken[] {
  const tokens: SqlToken[] = []
  let i = 0
  const push = (kind: SqlTokenKind, end: number): void => {
    tokens.push({ kind, text: sql.slice(i, end), start: i })
    i = end
  }
  while (i < sql.length) {
    const c = sql[i] as string
    const next = sql[i + 1]
    if (/\s/.test(c)) push('space', scanWhile(sql, i, ch => /\s/.test(ch)))
    else if (c === '-' && next === '-') push('comment', lineEnd(sql, i))
    else if (c === '/' && next === '*') push('comment', blockCommentEnd(sql, i))
    else if (c === "'") push('string', quotedEnd(sql, i, "'", false))
    else if ((c === 'e' || c === 'E') && next === "'") push('string', quotedEnd(sql, i + 1, "'", true))
    else if (c === '"') push('quoted', quotedEnd(sql, i, '"', false))
    else if (c === '$' && dollarTag(sql, i) !== undefined) push('string', dollarStringEnd(sql, i, dollarTag(sql, i) as string))
    else if (/[0-9]/.test(c) || (c === '.' && next !== undefined && /[0-9]/.test(next))) push('number', numberEnd(sql, i))
    else if (/[A-Za-z_\u0080-\uffff]/.test(c)) push('word', scanWhile(sql, i, ch => /[A-Za-z0-9_$\u0080-\uffff]/.test(ch)))
    else if (c === '(') push('open', i + 1)
    else if (c === ')') push('close', i + 1)
    else if (c === ',') push('comma', i + 1)
    else push('op', i + (MULTI_CHAR_OPERATORS.find(op => sql.startsWith(op, i))?.length ?? 1))
  }
  return tokens
}

function scanWhile (sql: string, from: number, ok: (ch: string) => boolean): number {
  let end = from
  while (end < sql.length && ok(sql[end] as string)) end++
  return end
}

function lineEnd (sql: string, from: number): number {
  const nl = sql.indexOf('\n', from)
  return nl < 0 ? sql.length : nl
}

/** DuckDB (like PostgreSQL) nests block comments. An unterminated one runs to the end. */
function blockCommentEnd (sql: string, from: number): number {
  let depth = 0
  for (let i = from; i < sql.length - 1; i++) {
    if (sql[i] === '/' && sql[i + 1] === '*') { depth++; i++ } else if (sql[i] === '*' && sql[i + 1] === '/') {
      i++
      if (--depth === 0) return i + 1
    }
  }
  return sql.length
}

/** End of a quoted run starting at `from` (the opening quote); a doubled quote is an escaped one. */
function quotedEnd (sql: string, from: number, quote: string, backslashEscapes: boolean): number {
  for (let i = from + 1; i < sql.length; i++) {
    const c = sql[i]
    if (backslashEscapes && c === '\\') { i++; continue }
    if (c === quote) {
      if (sql[i + 1] === quote) { i++; continue }
      return i + 1
    }
  }
  return sql.length
}

function dollarTag (sql: string, from: number): string | undefined {
  return /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(from, from + 64))?.[0]
}

function dollarStringEnd (sql: string, from: number, tag: string): number {
  const close = sql.indexOf(tag, from + tag.length)
  return close < 0 ? sql.length : close + tag.length
}

/** `12`, `1.5`, `.5`, `1e5`, `1e-5`; `3d` stops before the `d` (an exponent needs digits after the `e`). */
function numberEnd (sql: string, from: number): number {
  const m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(from, from + 400))
  return from + (m?.[0].length ?? 1)
}

/** The significant tokens (no spaces or comments) with their index in `tokens`. */
export function significantIndexes (tokens: readonly SqlToken[]): number[] {
  const out: number[] = []
  tokens.forEach((t, i) => { if (t.kind !== 'space' && t.kind !== 'comment') out.push(i) })
  return out
}

/** The SQL text of a string token ('it''s' → it's). */
export function stringValue (token: SqlToken): string {
  if (token.text.startsWith('$')) {
    const tag = dollarTag(token.text, 0) as string
    return token.text.slice(tag.length, token.text.length - tag.length)
  }
  if (token.text.startsWith('E') || token.text.startsWith('e')) return token.text.slice(2, -1).replace(/\\(.)/g, '$1').replace(/''/g, "'")
  return token.text.slice(1, -1).replace(/''/g, "'")
}

/** A SQL string literal for `value`. */
export function sqlString (value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}
