/**
 * The command contract behind the REST API: every role registers handlers for the EdgeLake
 * commands it answers (`sql ...`, `get grpc client`, `blockchain get ...`). The node's HTTP
 * layer picks the handler by the longest matching word prefix and renders its reply.
 */
import type { JsonValue } from './types.js'

export type HttpMethod = 'GET' | 'POST'

/** A table reply, rendered as an EdgeLake text table or as JSON depending on the request. */
export interface TableReply {
  readonly kind: 'table'
  readonly title?: string
  readonly columns: readonly string[]
  readonly rows: readonly (readonly JsonValue[])[]
  /** Render as JSON by default (e.g. `where format = json` was given). */
  readonly preferJson?: boolean
}

export interface JsonReply {
  readonly kind: 'json'
  readonly body: JsonValue
}

export interface TextReply {
  readonly kind: 'text'
  readonly body: string
}

/** Already-serialised body, e.g. a SQL reply built as text for speed. */
export interface RawReply {
  readonly kind: 'raw'
  readonly body: string
  readonly contentType: string
}

/**
 * A body sent as it is produced (NDJSON rows of a large result), with backpressure from the client. An error
 * thrown by `body` after the first chunk cannot change the status any more: `errorTrailer` gives the last
 * chunk that says so, and the HTTP response then ends abnormally.
 */
export interface StreamReply {
  readonly kind: 'stream'
  readonly contentType: string
  readonly body: AsyncIterable<string>
  /** The last chunk of a body cut by `error`. */
  readonly errorTrailer: (error: Readonly<Record<string, JsonValue>>) => string
}

export type CommandReply = TableReply | JsonReply | TextReply | RawReply | StreamReply

export interface CommandContext {
  /** HTTP method the command arrived with. */
  readonly method: HttpMethod
  /** Extra request headers in lower case (destination, subset, timeout, ...). */
  readonly headers: Readonly<Record<string, string>>
  /** Aborts at the request's deadline or when the client goes away; it stays live until the reply is sent. */
  readonly signal?: AbortSignal
  /** When the request's deadline falls (epoch ms), for handlers that pass it on (sub-queries). */
  readonly deadline?: number
}

export interface CommandHandler {
  /** Leading words, lower case, e.g. `['blockchain', 'get']`. */
  readonly words: readonly string[]
  /** Methods EdgeLake accepts for this command (reference/edgelake.md §1.4). */
  readonly methods: readonly HttpMethod[]
  /** One-line usage, shown by `help`. */
  readonly usage: string
  execute(command: string, ctx: CommandContext): Promise<CommandReply>
}

/** Splits a command into words, keeping quoted strings (single or double) as one word with quotes removed. */
export function commandWords (command: string): string[] {
  const words: string[] = []
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(command)) !== null) words.push(m[1] ?? m[2] ?? m[3] ?? '')
  return words
}

export function matchesWords (command: string, words: readonly string[]): boolean {
  const got = commandWords(command.trim()).slice(0, words.length).map(w => w.toLowerCase())
  return got.length === words.length && words.every((w, i) => got[i] === w)
}
