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

/**
 * One request through node:http (node:https for an https URL), not fetch: fetch's first call loads and compiles
 * undici, which made a `fedlake client` call 2-3× slower than the same request through node:http (bench:startup).
 */
export async function sendCommand (options: SendCommandOptions): Promise<CommandResponse> {
  const split = splitRunClient(options.command)
  const headers: Record<string, string> = { 'User-Agent': 'AnyLog/1.23', command: split.command }
  const destination = options.destination ?? split.destination
  if (destination !== undefined) headers.destination = destination
  if (options.token !== undefined && options.token !== '') headers.authorization = `Bearer ${options.token}`
  const url = new URL(options.url)
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http')
  return await new Promise<CommandResponse>((resolve, reject) => {
    const req = request(url, { method: options.method ?? defaultMethod(split.command), headers, signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      res.on('error', reject)
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** Pretty-prints JSON replies, passes text through. */
export function formatResponse (res: CommandResponse): string {
  if (res.contentType.includes('json')) {
    try { return JSON.stringify(JSON.parse(res.body), null, 2) + '\n' } catch { /* NDJSON or json:list with stats: print as is */ }
  }
  return res.body.endsWith('\n') || res.body === '' ? res.body : res.body + '\n'
}
