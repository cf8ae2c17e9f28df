/**
 * Structured logging: one JSON object per line on stderr (or a given sink).
 * Values under keys that look like secrets are replaced before they are written.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }
const SECRET_KEY = /(secret|password|passwd|token|private|network_?key|authorization|apikey|api_key)/i

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  child(component: string, fields?: Record<string, unknown>): Logger
}

export interface LoggerInit {
  /** @default 'info' */
  level?: LogLevel
  /** Dotted component name, e.g. `operator.connector`. */
  component?: string
  /** Fields added to every line. */
  fields?: Record<string, unknown>
  /** Where lines go. @default process.stderr */
  sink?: (line: string) => void
}

export function redact (value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code }
  if (Array.isArray(value)) return value.map(v => redact(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)
  return out
}

function serialize (v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => typeof val === 'bigint' ? val.toString() : val)
}

export function createLogger (init: LoggerInit = {}): Logger {
  const threshold = LEVELS[init.level ?? 'info']
  const sink = init.sink ?? ((line: string) => { process.stderr.write(line + '\n') })
  const base = init.fields ?? {}
  const component = init.component ?? 'fedlake'

  const write = (level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[level] < threshold) return
    const record = { time: new Date().toISOString(), level, component, msg, ...base, ...(fields ?? {}) }
    sink(serialize(redact(record)))
  }

  return {
    debug: (m, f) => { write('debug', m, f) },
    info: (m, f) => { write('info', m, f) },
    warn: (m, f) => { write('warn', m, f) },
    error: (m, f) => { write('error', m, f) },
    child: (name, fields) => createLogger({
      ...init,
      component: `${component}.${name}`,
      fields: { ...base, ...(fields ?? {}) },
      sink
    })
  }
}

export const silentLogger: Logger = createLogger({ level: 'silent' })
