/*
 * The console's only way to the nodes: EdgeLake REST commands, as curl sends them (docs/rest.md). Browsers
 * cannot set User-Agent, so the agent goes in AnyLog-Agent. `sql` and `run client` go as POST JSON bodies
 * (any text fits, newlines and non-Latin-1 characters included); the GET-only commands (`get`, `blockchain get`,
 * `test`, `query`, `help`) go in the `command` header, or as an EdgeLake URL pair when a header cannot carry them.
 * No DOM here: the module also runs under node:test.
 */

export const AGENT = 'AnyLog/1.23'

const GET_ONLY = /^(get|blockchain\s+get|blockchain\s+read|test|query|help)\b/i

/** The HTTP method EdgeLake accepts for a command (GET-only commands, POST for the rest). */
export function methodFor (command) {
  return GET_ONLY.test(command.trim()) ? 'GET' : 'POST'
}

/**
 * The fetch() arguments for one command. `base` is the node's REST URL (`http://host:port/`), `token` a bearer
 * token or empty, `destination` 'network' or undefined, `timeout` the request's deadline in seconds.
 */
export function buildRequest (command, { base, token, destination, timeout, method = methodFor(command) } = {}) {
  const headers = { 'AnyLog-Agent': AGENT, accept: 'application/json, text/plain;q=0.9' }
  if (token) headers.authorization = `Bearer ${token}`
  if (timeout !== undefined) headers.timeout = String(timeout)
  if (method === 'POST') {
    headers['content-type'] = 'application/json'
    const body = { command, ...(destination === undefined ? {} : { destination }) }
    return { url: base, init: { method: 'POST', headers, body: JSON.stringify(body) } }
  }
  const oneLine = command.trim().replace(/\s+/g, ' ')
  if (destination !== undefined) headers.destination = destination
  if (/^[\x20-\x7e\xa0-\xff]*$/.test(oneLine)) {
    headers.command = oneLine
    return { url: base, init: { method: 'GET', headers } }
  }
  return { url: `${base}?command=${encodeURIComponent(oneLine)}`, init: { method: 'GET', headers } }
}

/**
 * What a reply says: `{ ok: true, status, json?, text }` or `{ ok: false, status, error }`. A JSON reply that
 * carries EdgeLake's error shape, and a streamed reply that ends with an `{"Error": ...}` line, are errors even
 * with status 200.
 */
export function interpretReply (status, contentType, text) {
  const json = parseJsonOrLines(contentType, text)
  const last = Array.isArray(json?.lines) ? json.lines[json.lines.length - 1] : undefined
  const streamed = last !== null && typeof last === 'object' && 'Error' in last ? last.Error : undefined
  if (status >= 400 || streamed !== undefined) {
    return { ok: false, status, error: describeError(status, streamed ?? json?.value, text) }
  }
  return { ok: true, status, text, ...(json === undefined ? {} : { json: json.value, lines: json.lines }) }
}

/** One JSON document (`value`), NDJSON (`lines`, json:list with statistics and json:output), or undefined. */
function parseJsonOrLines (contentType, text) {
  const trimmed = text.trim()
  if (!/json/i.test(contentType) && !/^[[{]/.test(trimmed)) return undefined
  try {
    return { value: JSON.parse(trimmed) }
  } catch {
    const lines = []
    for (const line of trimmed.split('\n')) {
      if (line.trim() === '') continue
      try { lines.push(JSON.parse(line)) } catch { return undefined }
    }
    return { value: lines[0], lines }
  }
}

/**
 * `{ title, detail, code, status }` from EdgeLake's error body (`err_text`, `local_msg`, fedlake's `code`), or
 * the status and the start of the body when it is something else (a proxy's page, a 401 from elsewhere).
 */
export function describeError (status, body, text = '') {
  if (body !== null && typeof body === 'object' && ('err_text' in body || 'local_msg' in body)) {
    return {
      title: String(body.err_text ?? `HTTP ${status}`),
      detail: String(body.local_msg ?? ''),
      code: body.code === undefined ? '' : String(body.code),
      status
    }
  }
  const title = status === 401 || status === 403 ? `HTTP ${status}: this node needs a valid token` : `HTTP ${status}`
  return { title, detail: text.trim().slice(0, 500), code: '', status }
}

/** Runs one command against a node; never throws (a failed fetch is an error reply with status 0). */
export async function runCommand (command, options = {}) {
  const { url, init } = buildRequest(command, options)
  try {
    const res = await fetch(url, { ...init, signal: options.signal, cache: 'no-store', credentials: 'omit' })
    const text = await res.text()
    return interpretReply(res.status, res.headers.get('content-type') ?? '', text)
  } catch (err) {
    const aborted = err?.name === 'AbortError' || err?.name === 'TimeoutError'
    const detail = aborted ? String(options.signal?.reason?.message ?? 'cancelled') : String(err?.message ?? err)
    return { ok: false, status: 0, error: { title: aborted ? 'Cancelled' : 'No answer from the node', detail, code: '', status: 0 } }
  }
}

/**
 * The command for what was typed in the query box: plain SQL becomes `sql <dbms> format = json <sql>` (sent
 * with `destination: network` when asked to run on the network); a whole command is sent as typed, a `sql`
 * command with the chosen destination, anything else (`run client ()`, `get ...`) on its own terms.
 */
export function queryCommand (text, { dbms, scope }) {
  const typed = text.trim().replace(/;\s*$/, '')
  const destination = scope === 'network' ? 'network' : undefined
  if (/^(select|with)\b/i.test(typed)) {
    if (!dbms) return { error: 'Choose a database first (no database is known yet).' }
    return { command: `sql ${dbms} format = json ${typed}`, destination }
  }
  if (/^sql\s/i.test(typed)) return { command: typed, destination }
  return { command: typed, destination: undefined }
}
