/**
 * EdgeLake's `run client (<targets>) <command>` (reference/edgelake.md §1.5): send <command> to target nodes.
 *
 *   run client () sql kubearmor "select ..."                      targets from the metadata (sql only)
 *   run client (10.0.0.1:32348, 10.0.0.2:32348) get status          these nodes
 *   run client 10.0.0.1:32348 get status                            one node, no parentheses
 *   run client (blockchain get operator where [company] == acme bring.ip_port) get status
 *   run client (operator where [name] == op1) get status            short form of blockchain get
 *   run client (subset = true, timeout = 20) sql ...                options inside the parentheses
 *
 * As in EdgeLake's get_command_ip_port(), entries are comma-separated; `subset=` and `timeout=` entries are options;
 * a `blockchain get` with no `bring` gets `bring.ip_port` appended. Unlike EdgeLake, a malformed entry is refused
 * with COMMAND_SYNTAX instead of being skipped.
 */
import { commandSyntax, parseBooleanValue, parseTimeoutMs } from './command-values.js'

export type RunClientTargets =
  | { readonly kind: 'metadata' }
  /** `host:port` strings, duplicates removed, in the order given. */
  | { readonly kind: 'addresses', readonly list: readonly string[] }
  /** A complete `blockchain get ... bring...` command whose result lists the targets. */
  | { readonly kind: 'blockchain', readonly query: string }

export interface RunClientCommand {
  readonly targets: RunClientTargets
  /** Answer with the replies that arrived when some targets fail (EdgeLake `subset`). */
  readonly subset?: boolean
  readonly timeoutMs?: number
  /** The command sent to the targets, trimmed. */
  readonly command: string
}

const COMMAND = 'run client'
/** An option entry inside the parentheses: `subset = true`, `timeout=30`, `timeout = 2 minutes`. */
const OPTION_ENTRY = /(?:^|,)\s*(subset|timeout)\s*=\s*([^,]*?)\s*(?=,|$)/gi
/** EdgeLake's short form of a blockchain query: a policy type followed by `where` or `bring`. */
const POLICY_SHORT_FORM = /^\(?\s*(operator|query|publisher|master|cluster|table|node)\b.*\b(where|bring)\b/i

export function parseRunClient (text: string): RunClientCommand {
  const trimmed = text.trim()
  const head = /^run\s+client\b\s*/i.exec(trimmed)
  if (head === null) throw commandSyntax(COMMAND, 'the command must start with "run client"')
  const rest = trimmed.slice(head[0].length)
  if (!rest.startsWith('(')) return withoutParentheses(rest)

  const close = closingParenthesis(rest)
  const inside = rest.slice(1, close)
  const command = rest.slice(close + 1).trim()
  if (command === '') throw commandSyntax(COMMAND, 'missing the command to send after the targets')

  const options: { subset?: boolean, timeoutMs?: number } = {}
  const targetsText = inside.replace(OPTION_ENTRY, (_entry, key: string, value: string) => {
    const name = key.toLowerCase()
    if (Object.hasOwn(options, name === 'subset' ? 'subset' : 'timeoutMs')) throw commandSyntax(COMMAND, `option '${name}' given twice`)
    if (name === 'subset') options.subset = parseBooleanValue(COMMAND, 'subset', value)
    else options.timeoutMs = parseTimeoutMs(COMMAND, value)
    return ''
  }).trim().replace(/^,\s*|\s*,$/g, '').trim()
  return { targets: targetsOf(targetsText), ...options, command }
}

function withoutParentheses (rest: string): RunClientCommand {
  const m = /^(\S+)\s+([\s\S]+)$/.exec(rest)
  if (m === null) throw commandSyntax(COMMAND, 'expected "run client (<targets>) <command>" or "run client <ip:port> <command>"')
  return { targets: { kind: 'addresses', list: [address(m[1] as string)] }, command: (m[2] as string).trim() }
}

/** Index of the parenthesis closing rest[0], skipping quoted strings (blockchain get values may hold parentheses). */
function closingParenthesis (rest: string): number {
  let depth = 0
  let quote: string | undefined
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i] as string
    if (quote !== undefined) {
      if (c === quote) quote = undefined
      continue
    }
    if (c === '"' || c === "'") quote = c
    else if (c === '(') depth++
    else if (c === ')' && --depth === 0) return i
  }
  throw commandSyntax(COMMAND, 'unbalanced parentheses around the targets')
}

function targetsOf (text: string): RunClientTargets {
  if (text === '') return { kind: 'metadata' }
  if (/^blockchain\s+get\s/i.test(text)) return { kind: 'blockchain', query: withBring(text) }
  if (POLICY_SHORT_FORM.test(text)) return { kind: 'blockchain', query: withBring(`blockchain get ${text.replace(/^\(\s*|\s*\)$/g, '')}`) }
  const list: string[] = []
  for (const entry of text.split(',')) {
    const target = address(entry)
    if (!list.includes(target)) list.push(target)
  }
  return { kind: 'addresses', list }
}

function withBring (query: string): string {
  const normalized = query.replace(/\s+/g, ' ').trim()
  return /\bbring\b/i.test(normalized) ? normalized : `${normalized} bring.ip_port`
}

/** `ip:port`, `host:port`, `[v6]:port`, or EdgeLake's `ip port`. */
function address (entry: string): string {
  const text = entry.trim()
  const m = /^(\[[0-9a-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(?::|\s+)(\d{1,5})$/i.exec(text)
  const port = Number(m?.[2])
  if (m === null || !(port >= 1 && port <= 65535)) {
    throw commandSyntax(COMMAND, `'${text}' is not a target: expected ip:port, a blockchain get command, subset=true|false or timeout=<seconds>`)
  }
  return `${m[1] === 'localhost' ? '127.0.0.1' : m[1] as string}:${port}`
}
