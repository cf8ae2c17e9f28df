/**
 * Reads an EdgeLake REST request (reference/edgelake.md §1.2-1.3): the command and its options may come
 * from headers, from `?key=value?key=value` URL pairs, or from a POST JSON body. Pure: no fastify here.
 */
import { FedlakeError } from '@fedlake/core'
import { NODE_ERRORS } from '../errors.js'

export type AgentProduct = 'anylog' | 'grafana' | 'curl' | 'unknown'

export interface EdgeLakeRequest {
  readonly command?: string
  readonly agent: AgentProduct
  /** Lower-cased request options: destination, subset, timeout, ... */
  readonly headers: Readonly<Record<string, string>>
}

const OPTION_KEYS = new Set(['command', 'destination', 'subset', 'timeout', 'user-agent', 'anylog-agent', 'into', 'assignment', 'dbms', 'table', 'type', 'mode'])

/** `/?User-Agent=AnyLog/1.23?destination=network?command=sql d format=table select ...` */
export function parseUrlPairs (url: string): Record<string, string> {
  const q = url.indexOf('?')
  if (q < 0) return {}
  const out: Record<string, string> = {}
  for (const part of url.slice(q + 1).split(/[?&](?=[A-Za-z][A-Za-z-]*=)/)) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const key = safeDecode(part.slice(0, eq)).toLowerCase()
    if (OPTION_KEYS.has(key)) out[key] = safeDecode(part.slice(eq + 1))
  }
  return out
}

function safeDecode (text: string): string {
  try { return decodeURIComponent(text) } catch { return text }
}

export function agentProduct (headers: Readonly<Record<string, string | undefined>>): AgentProduct {
  const ua = headers['anylog-agent'] ?? headers['user-agent'] ?? ''
  const product = ua.split('/')[0]?.trim().toLowerCase() ?? ''
  if (product === 'anylog' || product === 'grafana' || product === 'curl') return product
  return 'unknown'
}

/**
 * POST bodies: `{"command": ..., "destination": ...}` (every key acts as a header), or the short form
 * `{"dbms": "d", "sql": "select ..."}` which runs `sql d select ...` on the network.
 */
export function parsePostBody (body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {}
  let value: unknown = body
  if (Buffer.isBuffer(body) || typeof body === 'string') {
    const text = body.toString().trim()
    if (text === '') return {}
    if (!text.startsWith('{')) return {}
    try { value = JSON.parse(text) } catch (err) {
      throw new FedlakeError(NODE_ERRORS.REST_BAD_BODY, `POST body is not valid JSON: ${(err as Error).message}`)
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {}
  const obj = value as Record<string, unknown>
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k.toLowerCase()] = String(v)
  }
  if (out.command === undefined && out.dbms !== undefined && out.sql !== undefined) {
    out.command = `sql ${out.dbms} ${out.sql}`
    out.destination ??= 'network'
  }
  return out
}

export function readEdgeLakeRequest (input: {
  method: string
  url: string
  headers: Readonly<Record<string, string | string[] | undefined>>
  body?: unknown
}): EdgeLakeRequest {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(input.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v
  }
  const merged: Record<string, string> = { ...parseUrlPairs(input.url), ...headers }
  if (input.method === 'POST' && merged.command === undefined) Object.assign(merged, parsePostBody(input.body))
  const agent = agentProduct(merged)
  let command = merged.command?.trim()
  if (command === '') command = undefined
  // EdgeLake answers a bare curl GET as `get status`.
  if (command === undefined && input.method === 'GET' && agent === 'curl') command = 'get status'
  return { command, agent, headers: merged }
}
