/**
 * `blockchain get|insert|delete`: EdgeLake's policy commands over the replicated store.
 */
import type { CommandReply, JsonValue } from '@fedlake/core'
import type { PolicyRecord } from '../policy.js'
import { isWord, keyName, matchesWhere, parseWhere, resolveKey, syntaxError, tokenize } from './parse.js'
import type { Token, WhereExpr } from './parse.js'

export interface BringSpec {
  readonly modifiers: ReadonlySet<string>
  /** Keys (`[a][b]`) and literal strings, in order. */
  readonly items: readonly { readonly key?: string, readonly literal?: string }[]
  readonly separator?: string
}

export interface BlockchainGetQuery {
  /** Policy types, or ['*']. */
  readonly types: readonly string[]
  readonly where?: WhereExpr
  readonly bring?: BringSpec
}

const BRING_MODIFIERS = new Set(['unique', 'recent', 'last', 'first', 'json', 'count', 'table', 'null', 'sort', 'ip_port', 'min', 'max'])
const CONTROL: Readonly<Record<string, string>> = { '\\n': '\n', '\\t': '\t', '\\r': '\r' }

function unescape (text: string): string {
  return CONTROL[text] ?? text
}

/** Parses what follows `blockchain get`. */
export function parseBlockchainGet (rest: string): BlockchainGetQuery {
  let text = rest.trim()
  let types: string[]
  if (text.startsWith('(')) {
    const close = text.indexOf(')')
    if (close < 0) throw syntaxError('unclosed policy type list')
    types = text.slice(1, close).split(',').map(t => t.trim()).filter(t => t !== '')
    text = text.slice(close + 1)
  } else {
    const m = /^(\S+)/.exec(text)
    if (m === null) throw syntaxError('blockchain get needs a policy type or *')
    types = [m[1] as string]
    text = text.slice((m[1] as string).length)
  }
  if (types.length === 0) throw syntaxError('empty policy type list')
  const tokens = tokenize(text)
  let i = 0
  let where: WhereExpr | undefined
  const isBring = (t: Token): boolean => t.kind === 'word' && /^bring(\.|$)/i.test(t.text)
  if (isWord(tokens[i], 'where')) {
    const parsed = parseWhere(tokens, i + 1, isBring)
    where = parsed.expr
    i = parsed.next
  }
  let bring: BringSpec | undefined
  const bt = tokens[i]
  if (bt !== undefined) {
    if (!isBring(bt)) throw syntaxError(`unexpected '${bt.text}' in blockchain get`)
    bring = parseBring(bt.text, tokens.slice(i + 1))
  }
  return { types, ...(where !== undefined ? { where } : {}), ...(bring !== undefined ? { bring } : {}) }
}

function parseBring (word: string, tokens: readonly Token[]): BringSpec {
  const modifiers = new Set<string>()
  for (const m of word.toLowerCase().split('.').slice(1)) {
    const name = m.startsWith('sort(') ? 'sort' : m
    if (!BRING_MODIFIERS.has(name)) throw syntaxError(`unknown bring directive '${word}'`)
    modifiers.add(name === 'last' ? 'recent' : name)
  }
  if (modifiers.has('table')) modifiers.add('null')
  const items: { key?: string, literal?: string }[] = []
  let separator: string | undefined
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token
    if (isWord(t, 'separator') && tokens[i + 1]?.text === '=') {
      const v = tokens[i + 2]
      separator = v === undefined ? '' : unescape(v.text)
      i += 2
      continue
    }
    if (t.kind === 'word' && t.text.startsWith('[') && t.text.endsWith(']')) items.push({ key: t.text })
    else items.push({ literal: unescape(t.text) })
  }
  return { modifiers, items, ...(separator !== undefined ? { separator } : {}) }
}

export function selectPolicies (records: readonly PolicyRecord[], query: BlockchainGetQuery): PolicyRecord[] {
  const all = query.types.includes('*')
  return records.filter(r => (all || query.types.includes(r.type)) && (query.where === undefined || matchesWhere(r, query.where)))
}

function text (v: JsonValue): string {
  if (v === null) return ''
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
}

function firstValue (record: PolicyRecord, key: string): JsonValue | undefined {
  const values = resolveKey(record, key)
  if (values.length === 0) return undefined
  return values.length === 1 ? values[0] as JsonValue : values
}

function ipPorts (records: readonly PolicyRecord[]): string {
  const out: string[] = []
  for (const r of records) {
    const ip = r.content.ip
    const port = r.content.port
    if ((typeof ip === 'string') && (typeof port === 'number' || typeof port === 'string')) out.push(`${ip}:${port}`)
  }
  return [...new Set(out)].join(',')
}

/** Applies bring to the selected policies (EdgeLake `pull_info` semantics, valid JSON out). */
export function applyBring (selected: readonly PolicyRecord[], bring: BringSpec): CommandReply {
  const m = bring.modifiers
  let records = [...selected]
  if (m.has('first') && records.length > 0) records = [records.reduce((a, b) => Date.parse(b.date) < Date.parse(a.date) ? b : a)]
  if (m.has('recent') && records.length > 0) records = [records.reduce((a, b) => Date.parse(b.date) >= Date.parse(a.date) ? b : a)]
  const keys = bring.items.filter(i => i.key !== undefined).map(i => i.key as string)

  if (m.has('ip_port')) return { kind: 'text', body: ipPorts(records) }
  if (keys.length === 0 && bring.items.length === 0) {
    if (m.has('count')) return m.has('json') ? { kind: 'json', body: [{ count: records.length }] } : { kind: 'text', body: String(records.length) }
    return { kind: 'json', body: records.map(r => r.policy as unknown as JsonValue) }
  }

  if (m.has('json') || m.has('table') || m.has('count')) {
    const rows: Record<string, JsonValue>[] = []
    const seen = new Set<string>()
    for (const r of records) {
      const row: Record<string, JsonValue> = {}
      for (const key of keys) {
        const v = firstValue(r, key)
        if (v !== undefined && v !== null && v !== '') row[keyName(key)] = v
        else if (m.has('null')) row[keyName(key)] = ''
      }
      if (Object.keys(row).length === 0) continue
      const sig = JSON.stringify(row)
      if (m.has('unique') && seen.has(sig)) continue
      seen.add(sig)
      rows.push(row)
    }
    if (m.has('count')) return m.has('json') ? { kind: 'json', body: [{ count: rows.length }] } : { kind: 'text', body: String(rows.length) }
    if (m.has('table')) {
      const columns = [...new Set(keys.map(keyName))]
      let tableRows = rows.map(row => columns.map(c => row[c] ?? ''))
      if (m.has('sort')) tableRows = tableRows.sort((a, b) => text(a[0] ?? '').localeCompare(text(b[0] ?? '')))
      return { kind: 'table', columns, rows: tableRows }
    }
    return { kind: 'json', body: rows }
  }

  const separator = bring.separator ?? ''
  const parts: string[] = []
  const seen = new Set<string>()
  let extreme: string | undefined
  for (const r of records) {
    let line = ''
    let any = false
    for (const item of bring.items) {
      if (item.literal !== undefined) { line += item.literal; continue }
      const v = firstValue(r, item.key as string)
      if (v === undefined || v === null) continue
      any = true
      const t = text(v)
      if (m.has('min') || m.has('max')) {
        const better = extreme === undefined || (() => {
          const a = Number(t)
          const b = Number(extreme)
          const cmp = Number.isFinite(a) && Number.isFinite(b) ? a - b : t.localeCompare(extreme)
          return m.has('max') ? cmp > 0 : cmp < 0
        })()
        if (better) extreme = t
        continue
      }
      line += t
    }
    if (!any || line === '' || (m.has('unique') && seen.has(line))) continue
    seen.add(line)
    parts.push(line)
  }
  if (m.has('min') || m.has('max')) return { kind: 'text', body: extreme ?? '' }
  return { kind: 'text', body: parts.join(separator) }
}

/** Extracts the JSON object of `blockchain insert where policy = {...} [and ...]`. */
export function extractPolicyJson (command: string): unknown {
  const start = command.indexOf('{')
  if (start < 0) {
    if (/policy\s*=\s*!/.test(command)) throw syntaxError('variables (!name) are not supported: send the policy JSON itself')
    throw syntaxError('blockchain insert needs `where policy = {...}`')
  }
  let depth = 0
  let quote: string | undefined
  let end = -1
  for (let i = start; i < command.length; i++) {
    const ch = command[i] as string
    if (quote !== undefined) {
      if (ch === '\\') { i++; continue }
      if (ch === quote) quote = undefined
      continue
    }
    if (ch === '"' || ch === "'") quote = ch
    else if (ch === '{') depth++
    else if (ch === '}' && --depth === 0) { end = i; break }
  }
  if (end < 0) throw syntaxError('the policy JSON is not closed')
  const raw = command.slice(start, end + 1)
  try {
    return JSON.parse(raw) as unknown
  } catch {
    try {
      // EdgeLake accepts single-quoted JSON (Python dict style).
      return JSON.parse(raw.replace(/'((?:[^'\\]|\\.)*)'/g, (_m, s: string) => JSON.stringify(s.replace(/\\'/g, "'")))) as unknown
    } catch (err) {
      throw syntaxError(`the policy is not valid JSON: ${(err as Error).message}`)
    }
  }
}

/** The id of `blockchain delete policy where id = X`. */
export function extractDeleteId (rest: string): string {
  const tokens = tokenize(rest)
  let i = 0
  if (isWord(tokens[i], 'policy')) i++
  if (!isWord(tokens[i], 'where')) throw syntaxError('usage: blockchain delete policy where id = <policy id>')
  const { expr } = parseWhere(tokens, i + 1, () => false)
  const cond = expr.flat().find(c => c.key.toLowerCase() === 'id' && (c.op === '=' || c.op === '=='))
  if (cond === undefined) throw syntaxError('usage: blockchain delete policy where id = <policy id>')
  return cond.value
}
