/**
 * Edits a dashboard's SELECT as text, the way EdgeLake's Grafana connector does, but on tokens: a condition
 * joins the top-level WHERE clause (or becomes one, before GROUP BY / ORDER BY / LIMIT), a LIMIT is added
 * only when the statement has none, and an `increments(...)` call can be swapped. Strings, quoted
 * identifiers, comments and parentheses are skipped, so `extract(year from ts)` or a `'where'` literal are
 * never taken for clauses. The result is validated by the query node like any other SQL.
 */

interface Token {
  readonly kind: 'word' | 'string' | 'identifier' | 'open' | 'close' | 'semicolon' | 'other'
  /** Lower case for words. */
  readonly text: string
  readonly start: number
  readonly end: number
  /** Parenthesis depth the token sits at (an opening parenthesis at the depth outside it). */
  readonly depth: number
}

interface Tokens extends Array<Token> {
  /** The text ends inside a `--` comment: whatever is appended needs a new line first. */
  endsInLineComment?: boolean
}

function tokenize (sql: string): Tokens {
  const tokens: Tokens = []
  let endsInLineComment = false
  let depth = 0
  let at = 0
  while (at < sql.length) {
    const ch = sql[at] as string
    if (/\s/.test(ch)) { at++; continue }
    if (ch === '-' && sql[at + 1] === '-') {
      const eol = sql.indexOf('\n', at)
      at = eol < 0 ? sql.length : eol + 1
      if (eol < 0) endsInLineComment = true
      continue
    }
    if (ch === '/' && sql[at + 1] === '*') {
      const close = sql.indexOf('*/', at + 2)
      at = close < 0 ? sql.length : close + 2
      continue
    }
    if (ch === "'" || ch === '"') {
      const end = quotedEnd(sql, at, ch)
      tokens.push({ kind: ch === "'" ? 'string' : 'identifier', text: sql.slice(at, end), start: at, end, depth })
      at = end
      continue
    }
    if (ch === '(') { tokens.push({ kind: 'open', text: ch, start: at, end: at + 1, depth }); depth++; at++; continue }
    if (ch === ')') { depth = Math.max(0, depth - 1); tokens.push({ kind: 'close', text: ch, start: at, end: at + 1, depth }); at++; continue }
    if (ch === ';') { tokens.push({ kind: 'semicolon', text: ch, start: at, end: at + 1, depth }); at++; continue }
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(at, at + 64))
    if (word !== null) {
      tokens.push({ kind: 'word', text: word[0].toLowerCase(), start: at, end: at + word[0].length, depth })
      at += word[0].length
      continue
    }
    tokens.push({ kind: 'other', text: ch, start: at, end: at + 1, depth })
    at++
  }
  tokens.endsInLineComment = endsInLineComment
  return tokens
}

/** `text` then `more`, on a new line when `text` ends in a `--` comment that would swallow it. */
export function appendSql (text: string, more: string, separator = ' '): string {
  return `${text}${tokenize(text).endsInLineComment === true ? '\n' : separator}${more}`
}

/** End of a quoted run starting at `start` (a doubled quote inside is an escaped one); unterminated: the end. */
function quotedEnd (sql: string, start: number, quote: string): number {
  let at = start + 1
  while (at < sql.length) {
    if (sql[at] === quote) {
      if (sql[at + 1] === quote) { at += 2; continue }
      return at + 1
    }
    at++
  }
  return sql.length
}

/** Keywords that end a WHERE clause at the top level. */
const AFTER_WHERE = new Set(['group', 'having', 'qualify', 'window', 'order', 'limit', 'offset', 'union', 'intersect', 'except', 'fetch'])

function topLevel (tokens: readonly Token[], word: string, from = 0): number {
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i] as Token
    if (t.depth === 0 && t.kind === 'word' && t.text === word) return i
  }
  return -1
}

function firstTopLevel (tokens: readonly Token[], words: ReadonlySet<string>, from: number): number {
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i] as Token
    if (t.depth === 0 && (t.kind === 'semicolon' || (t.kind === 'word' && words.has(t.text)))) return i
  }
  return -1
}

/** The statement without trailing semicolons and spaces. */
export function withoutTrailingSemicolons (sql: string): string {
  return sql.replace(/[\s;]+$/, '')
}

/** Does the text start with SELECT (after spaces and comments)? */
export function isSelect (sql: string): boolean {
  const first = tokenize(sql)[0]
  return first?.kind === 'word' && first.text === 'select'
}

/**
 * Adds `condition` to the statement's top-level WHERE: `where (<condition>) and (<existing>)`, or a new
 * `where <condition>` after FROM's table when there is none.
 */
export function withCondition (sql: string, condition: string): string {
  const tokens = tokenize(sql)
  const from = topLevel(tokens, 'from')
  const where = topLevel(tokens, 'where', from < 0 ? 0 : from)
  if (where >= 0) {
    const whereToken = tokens[where] as Token
    const endIndex = firstTopLevel(tokens, AFTER_WHERE, where + 1)
    const bodyEnd = endIndex < 0 ? sql.length : (tokens[endIndex] as Token).start
    const body = sql.slice(whereToken.end, bodyEnd).trim()
    return appendSql(`${sql.slice(0, whereToken.end)} (${condition}) and (${appendSql(body, ')', '')}`, sql.slice(bodyEnd)).trimEnd()
  }
  const endIndex = firstTopLevel(tokens, AFTER_WHERE, from < 0 ? 0 : from + 1)
  const at = endIndex < 0 ? sql.length : (tokens[endIndex] as Token).start
  return appendSql(appendSql(sql.slice(0, at).trimEnd(), `where ${condition}`), sql.slice(at)).trimEnd()
}

export function hasLimit (sql: string): boolean {
  return topLevel(tokenize(sql), 'limit') >= 0
}

/** The first table named after the top-level FROM (`alert`, or `alert` of `kubearmor.alert`), lower case. */
export function fromTable (sql: string): string | undefined {
  const tokens = tokenize(sql)
  const from = topLevel(tokens, 'from')
  if (from < 0) return undefined
  let name: string | undefined
  for (let i = from + 1; ; i += 2) {
    const t = tokens[i]
    if (t?.kind === 'word') name = t.text
    else if (t?.kind === 'identifier') name = t.text.slice(1, -1).replace(/""/g, '"')
    else break
    const dot = tokens[i + 1]
    if (dot?.kind !== 'other' || dot.text !== '.') break
  }
  return name?.toLowerCase()
}

/** Where the top-level `increments(...)` call of the select list is: [start, end) of its text. */
export function incrementsCall (sql: string): { readonly start: number, readonly end: number, readonly empty: boolean } | undefined {
  const tokens = tokenize(sql)
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token
    if (t.depth !== 0 || t.kind !== 'word' || t.text !== 'increments' || tokens[i + 1]?.kind !== 'open') continue
    for (let j = i + 2; j < tokens.length; j++) {
      const close = tokens[j] as Token
      if (close.kind === 'close' && close.depth === 0) return { start: t.start, end: close.end, empty: j === i + 2 }
    }
    return undefined
  }
  return undefined
}

/** A SQL string literal. */
export function sqlString (value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

/** A SQL identifier, quoted. */
export function sqlIdentifier (name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}
