/*
 * Replies as tables: columns in the order the node sent them, rows as arrays, the statistics trailer apart.
 * No DOM here: the module also runs under node:test.
 */

/**
 * `{ columns, rows, statistics, message }` for a reply that holds rows (`{"Query": [...]}`, a JSON array of
 * objects from json:list or `get ... where format = json`, NDJSON from json:output), else undefined.
 * `text` is the reply as received: JavaScript objects put integer-like keys ("1", "42") first whatever their
 * order in the text, so the column order is read from the text itself.
 */
export function tableFromReply (reply) {
  const { json, lines, text } = reply
  let objects
  let statistics
  let message
  let textOrder = typeof text === 'string' ? firstRowKeys(text) : undefined
  if (Array.isArray(lines) && lines.length > 1) {
    const last = lines[lines.length - 1]
    const hasStats = last !== null && typeof last === 'object' && 'Statistics' in last
    statistics = hasStats ? firstOf(last.Statistics) : undefined
    const body = hasStats ? lines.slice(0, -1) : lines
    if (body.length === 1 && Array.isArray(body[0])) {
      objects = body[0] // json:list with statistics
    } else {
      objects = body // json:output
      textOrder = typeof text === 'string' ? objectKeys(text) : undefined
    }
  } else if (Array.isArray(json)) {
    objects = json
  } else if (json !== null && typeof json === 'object' && Array.isArray(json.Query)) {
    objects = json.Query
    statistics = firstOf(json.Statistics)
  } else if (json !== null && typeof json === 'object' && typeof json.reply === 'string') {
    return { columns: [], rows: [], statistics: undefined, message: json.reply }
  } else {
    return undefined
  }
  if (!objects.every(o => o !== null && typeof o === 'object' && !Array.isArray(o))) return undefined
  const columns = columnsOf(objects, textOrder)
  const rows = objects.map(o => columns.map(c => (c in o ? o[c] : null)))
  if (objects.length === 0) message = 'No rows'
  return { columns, rows, statistics, message }
}

function firstOf (value) {
  return Array.isArray(value) ? value[0] : (value ?? undefined)
}

/** The first row's keys in text order (when the text has them), then any key later rows add. */
function columnsOf (objects, textOrder) {
  const first = objects[0] ?? {}
  const firstKeys = Object.keys(first)
  const ordered = textOrder !== undefined && textOrder.length === firstKeys.length && textOrder.every(k => k in first) ? [...textOrder] : firstKeys
  const seen = new Set(ordered)
  for (const o of objects) {
    for (const k of Object.keys(o)) if (!seen.has(k)) { seen.add(k); ordered.push(k) }
  }
  return ordered
}

/**
 * The keys, in text order, of the first row object of a reply: the first element of a top-level array, or of
 * the top-level object's "Query" array. Undefined when the text is not shaped so. Reads only up to that row.
 */
export function firstRowKeys (text) {
  const scan = { text, i: 0 }
  skipSpace(scan)
  if (text[scan.i] === '[') {
    scan.i++
  } else if (text[scan.i] === '{') {
    scan.i++
    if (!seekKey(scan, 'Query')) return undefined
    skipSpace(scan)
    if (text[scan.i] !== '[') return undefined
    scan.i++
  } else {
    return undefined
  }
  return readObjectKeys(scan)
}

/** The keys, in text order, of the JSON object at the start of `text` (the first line of NDJSON). */
export function objectKeys (text) {
  return readObjectKeys({ text, i: 0 })
}

function readObjectKeys (scan) {
  const { text } = scan
  skipSpace(scan)
  if (text[scan.i] !== '{') return undefined
  scan.i++
  const keys = []
  for (;;) {
    skipSpace(scan)
    if (text[scan.i] === '}') return keys
    const key = readString(scan)
    if (key === undefined) return undefined
    keys.push(key)
    skipSpace(scan)
    if (text[scan.i] !== ':') return undefined
    scan.i++
    if (!skipValue(scan)) return undefined
    skipSpace(scan)
    if (text[scan.i] === ',') scan.i++
    else if (text[scan.i] !== '}') return undefined
  }
}

/** Inside an object (just after `{`): moves past `"name":`; false when the object has no such key. */
function seekKey (scan, name) {
  for (;;) {
    skipSpace(scan)
    const key = readString(scan)
    if (key === undefined) return false
    skipSpace(scan)
    if (scan.text[scan.i] !== ':') return false
    scan.i++
    if (key === name) return true
    if (!skipValue(scan)) return false
    skipSpace(scan)
    if (scan.text[scan.i] !== ',') return false
    scan.i++
  }
}

function skipSpace (scan) {
  while (scan.i < scan.text.length && /\s/.test(scan.text[scan.i])) scan.i++
}

function readString (scan) {
  const { text } = scan
  if (text[scan.i] !== '"') return undefined
  let j = scan.i + 1
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
  if (j >= text.length) return undefined
  const raw = text.slice(scan.i, j + 1)
  scan.i = j + 1
  try { return JSON.parse(raw) } catch { return undefined }
}

function skipValue (scan) {
  skipSpace(scan)
  const { text } = scan
  const c = text[scan.i]
  if (c === '"') return readString(scan) !== undefined
  if (c === '{' || c === '[') {
    let depth = 0
    while (scan.i < text.length) {
      const d = text[scan.i]
      if (d === '"') { if (readString(scan) === undefined) return false; continue }
      if (d === '{' || d === '[') depth++
      else if (d === '}' || d === ']') depth--
      scan.i++
      if (depth === 0) return true
    }
    return false
  }
  const start = scan.i
  while (scan.i < text.length && !/[\s,}\]]/.test(text[scan.i])) scan.i++
  return scan.i > start
}

/** How a value shows in a cell: `{ text, kind }` with kind null, number, boolean, text or json. */
export function formatCell (value) {
  if (value === null || value === undefined) return { text: 'NULL', kind: 'null' }
  if (typeof value === 'number') return { text: String(value), kind: 'number' }
  if (typeof value === 'boolean') return { text: String(value), kind: 'boolean' }
  if (typeof value === 'string') return { text: value, kind: /^-?\d+(\.\d+)?$/.test(value) ? 'number' : 'text' }
  return { text: JSON.stringify(value), kind: 'json' }
}

/** "4 rows · 12.3 ms · 2 nodes" from an EdgeLake statistics object. */
export function describeStatistics (statistics, shownRows) {
  if (statistics === undefined || statistics === null || typeof statistics !== 'object') return shownRows === undefined ? '' : `${shownRows} rows`
  const parts = []
  const count = statistics.Count ?? shownRows
  if (count !== undefined) parts.push(`${count} ${count === 1 ? 'row' : 'rows'}`)
  if (statistics['Time ms'] !== undefined) parts.push(`${statistics['Time ms']} ms`)
  else if (statistics.Time !== undefined) parts.push(String(statistics.Time))
  if (statistics['Target Nodes'] !== undefined) {
    parts.push(`${statistics['Participating Nodes']} of ${statistics['Target Nodes']} nodes answered`)
  } else if (statistics.Nodes !== undefined) {
    parts.push(statistics.Nodes === 0 ? 'this node only' : `${statistics.Nodes} ${statistics.Nodes === 1 ? 'node' : 'nodes'}`)
  }
  return parts.join(' · ')
}
