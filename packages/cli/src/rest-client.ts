/** Sends one EdgeLake command to a node's REST API, the way curl or EdgeLake's own clients do. */
export interface SendCommandOptions {
  url: string
  command: string
  method?: 'GET' | 'POST'
  destination?: string
  timeoutMs?: number
  /** The node's REST token, sent as `Authorization: Bearer <token>` (nodes without a token ignore it). */
  token?: string
}

export interface CommandResponse {
  status: number
  contentType: string
  body: string
}

const POST_COMMANDS = /^(blockchain\s+(insert|delete|drop)|set\s|reset\s|run\s+(?!client\b)|exit\s)/i

export function defaultMethod (command: string): 'GET' | 'POST' {
  return POST_COMMANDS.test(command.trim()) ? 'POST' : 'GET'
}

/** `run client () <command>` is EdgeLake's way to say "on the network": we send it as `destination: network`. */
export function splitRunClient (command: string): { command: string, destination?: string } {
  const m = /^\s*run\s+client\s*\(([^)]*)\)\s*(.*)$/is.exec(command)
  if (m === null) return { command: command.trim() }
  const target = (m[1] ?? '').trim()
  return { command: (m[2] ?? '').trim(), destination: target === '' ? 'network' : target }
}

export async function sendCommand (options: SendCommandOptions): Promise<CommandResponse> {
  const split = splitRunClient(options.command)
  const headers: Record<string, string> = { 'User-Agent': 'AnyLog/1.23', command: split.command }
  const destination = options.destination ?? split.destination
  if (destination !== undefined) headers.destination = destination
  if (options.token !== undefined && options.token !== '') headers.authorization = `Bearer ${options.token}`
  const res = await fetch(options.url, {
    method: options.method ?? defaultMethod(split.command),
    headers,
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000)
  })
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() }
}

/** Pretty-prints JSON replies, passes text through. */
export function formatResponse (res: CommandResponse): string {
  if (res.contentType.includes('json')) {
    try { return JSON.stringify(JSON.parse(res.body), null, 2) + '\n' } catch { /* NDJSON or json:list with stats: print as is */ }
  }
  return res.body.endsWith('\n') || res.body === '' ? res.body : res.body + '\n'
}
