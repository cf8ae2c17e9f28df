/**
 * Grafana's side of the simpod JSON datasource, emulated from its contract (reference/grafana.md §1, §3) so the
 * shipped dashboards can be replayed without a Grafana server: the time range and interval come from Grafana's
 * own `@grafana/data` (dateMath, rangeUtil.calculateInterval), template variables are interpolated as Grafana's
 * template service does (formats json, regex, sqlstring, csv), payloads are processed as the plugin does
 * (variables, then JSON.parse, `{}` on a parse error), and every reply goes through `toDataFrame`.
 */
import type { DataFrame, TimeRange } from '@grafana/data'

// @grafana/data reads `window` when it loads; in Node the global object stands in for it.
(globalThis as { window?: unknown }).window ??= globalThis
const grafana = await import('@grafana/data')

export const GRAFANA_USER_AGENT = 'Grafana/11.2.2'

export interface DashboardTarget {
  readonly refId: string
  readonly target?: string
  readonly payload?: string
  readonly hide?: boolean
  readonly editorMode?: string
  readonly datasource?: { readonly type: string, readonly uid: string }
}

export interface DashboardPanel {
  readonly id: number
  readonly type: string
  readonly title: string
  readonly gridPos: { readonly x: number, readonly y: number, readonly w: number, readonly h: number }
  readonly maxDataPoints?: number
  readonly interval?: string
  readonly datasource?: { readonly type: string, readonly uid: string }
  readonly targets?: readonly DashboardTarget[]
  readonly panels?: readonly DashboardPanel[]
}

export interface DashboardVariable {
  readonly type: string
  readonly name: string
  readonly query?: { readonly query: string, readonly format?: string }
  readonly includeAll?: boolean
  readonly multi?: boolean
  readonly allValue?: string | null
  readonly datasource?: { readonly type: string, readonly uid: string }
}

export interface Dashboard {
  readonly uid: string
  readonly title: string
  readonly timezone?: string
  readonly time: { readonly from: string, readonly to: string }
  readonly panels: readonly DashboardPanel[]
  readonly templating?: { readonly list: readonly DashboardVariable[] }
}

/** A variable's current value: one text or several (multi-value, or All expanded to every option). */
export interface VariableValue {
  readonly values: readonly string[]
  readonly multi: boolean
  /** Every option the variable query answered. */
  readonly options: readonly string[]
}

export type Variables = ReadonlyMap<string, VariableValue>

export interface PanelRequest {
  readonly body: Record<string, unknown>
  readonly range: TimeRange
  readonly intervalMs: number
}

/** Panels with targets, rows' nested panels included. */
export function dashboardPanels (dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap(p => [p, ...(p.panels ?? [])]).filter(p => (p.targets ?? []).length > 0)
}

export function dashboardRange (dashboard: Dashboard): TimeRange {
  const from = grafana.dateMath.parse(dashboard.time.from)
  const to = grafana.dateMath.parse(dashboard.time.to, true)
  if (from === undefined || to === undefined) throw new Error(`bad time range ${JSON.stringify(dashboard.time)}`)
  return { from, to, raw: { from: dashboard.time.from, to: dashboard.time.to } }
}

const VARIABLE_REGEX = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/g

type Scalar = string | number

function escapeRegex (text: string): string {
  return text.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&')
}

function formatValue (value: Scalar | readonly Scalar[], format: string): string {
  const list = Array.isArray(value) ? value as readonly Scalar[] : [value as Scalar]
  switch (format) {
    case 'json': return JSON.stringify(value)
    case 'regex': return list.length === 1 ? escapeRegex(String(list[0])) : `(${list.map(v => escapeRegex(String(v))).join('|')})`
    case 'sqlstring': return list.map(v => `'${String(v).replace(/'/g, "''")}'`).join(',')
    case 'csv': case 'raw': case 'text': return list.map(String).join(',')
    default: throw new Error(`variable format ${format} is not emulated`)
  }
}

/** Grafana's templateSrv.replace: `$var`, `[[var]]`, `${var}`, `${var:format}`; unknown variables stay as written. */
export function interpolate (text: string, variables: Variables, format: string, scoped: Readonly<Record<string, Scalar>> = {}): string {
  return text.replace(VARIABLE_REGEX, (match, v1?: string, v2?: string, f2?: string, v3?: string, _field?: string, f3?: string) => {
    const name = v1 ?? v2 ?? v3 ?? ''
    const explicit = f2 ?? f3
    if (Object.hasOwn(scoped, name)) return formatValue(scoped[name] as Scalar, explicit ?? format)
    const variable = variables.get(name)
    if (variable === undefined) return match
    const value = variable.multi ? variable.values : variable.values[0] ?? ''
    return formatValue(value, explicit ?? format)
  })
}

/**
 * The plugin's processPayload in code mode: each variable becomes its JSON-formatted value, unquoted when that is a
 * JSON string; then JSON.parse, and `{}` when the text does not parse (as the plugin, silently).
 */
export function processPayload (payload: string | undefined, variables: Variables, scoped: Readonly<Record<string, Scalar>>): Record<string, unknown> {
  if (payload === undefined || payload.trim() === '') return {}
  const text = payload.replace(VARIABLE_REGEX, match => {
    const replaced = interpolate(match, variables, 'json', scoped)
    return replaced.startsWith('"') && replaced.endsWith('"') ? JSON.parse(replaced) as string : replaced
  })
  try { return JSON.parse(text) as Record<string, unknown> } catch { return {} }
}

/** The DataQueryRequest Grafana's PanelQueryRunner builds for a panel, with the plugin's processing of its targets. */
export function panelRequest (dashboard: Dashboard, panel: DashboardPanel, variables: Variables, requestNumber: number, filters: readonly { key: string, operator: string, value: string }[] = []): PanelRequest {
  const range = dashboardRange(dashboard)
  // "Max data points": the panel's option, else its width in pixels (a 1920 px wide dashboard of 24 columns)
  const maxDataPoints = panel.maxDataPoints ?? Math.round(panel.gridPos.w * 1920 / 24)
  const { interval, intervalMs } = grafana.rangeUtil.calculateInterval(range, maxDataPoints, panel.interval)
  const scoped: Record<string, Scalar> = { __interval: interval, __interval_ms: intervalMs }
  const targets = (panel.targets ?? [])
    .filter(t => t.hide !== true && t.target !== undefined)
    .map(t => ({ ...t, target: interpolate(t.target ?? '', variables, 'regex', scoped), payload: processPayload(t.payload, variables, scoped) }))
  const body = {
    app: 'dashboard',
    requestId: `Q${requestNumber}`,
    timezone: dashboard.timezone === undefined || dashboard.timezone === '' ? 'browser' : dashboard.timezone,
    panelId: panel.id,
    dashboardUID: dashboard.uid,
    range: JSON.parse(JSON.stringify(range)) as unknown,
    rangeRaw: range.raw,
    interval,
    intervalMs,
    maxDataPoints,
    scopedVars: { __interval: { text: interval, value: interval }, __interval_ms: { text: String(intervalMs), value: intervalMs } },
    startTime: Date.now(),
    targets,
    filters
  }
  return { body, range, intervalMs }
}

export interface Reply { readonly status: number, readonly body: unknown }

/** A POST through Grafana's data proxy: its User-Agent and a JSON body. */
export async function grafanaPost (url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'User-Agent': GRAFANA_USER_AGENT, 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })
  const text = await res.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch { /* a non-JSON body stays text */ }
  return { status: res.status, body: parsed }
}

/** What the plugin does with a /query reply: every element through toDataFrame (it throws on what it cannot read). */
export function toFrames (body: unknown): DataFrame[] {
  if (!Array.isArray(body)) throw new Error(`a /query reply must be an array, got ${JSON.stringify(body).slice(0, 200)}`)
  return body.map(element => grafana.toDataFrame(element))
}

/** The message Grafana shows for a failed query (toDataQueryError: data.message, data.error, else the status). */
export function errorMessage (reply: Reply): string {
  const data = reply.body as { message?: string, error?: string } | undefined
  return data?.message ?? data?.error ?? `Query error: ${reply.status}`
}

/** The options of a variable reply: `__text`/`__value` fields when both exist, else every value of every field. */
export function variableOptions (body: unknown): string[] {
  const frame = grafana.toDataFrame(body)
  const text = frame.fields.find(f => f.name === '__text')
  const value = frame.fields.find(f => f.name === '__value')
  const values = text !== undefined && value !== undefined ? value.values : frame.fields.flatMap(f => [...f.values])
  return [...new Set(values.map(v => String(v)))]
}

/**
 * Runs the dashboard's query variables in order as the plugin does (text mode: `{payload: {target: <query with
 * variables in regex format>}, range}`), each set to All (or its first option).
 */
export async function resolveVariables (url: string, dashboard: Dashboard, choose: Readonly<Record<string, readonly string[]>> = {}): Promise<Map<string, VariableValue>> {
  const variables = new Map<string, VariableValue>()
  const range = dashboardRange(dashboard)
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query' || variable.query === undefined) continue
    const payload = variable.query.format === 'json'
      ? JSON.parse(interpolate(variable.query.query, variables, 'json')) as unknown
      : { target: interpolate(variable.query.query, variables, 'regex') }
    const reply = await grafanaPost(url, '/variable', { payload, range: JSON.parse(JSON.stringify(range)) as unknown })
    if (reply.status !== 200) throw new Error(`variable ${variable.name}: ${reply.status} ${errorMessage(reply)}`)
    const options = variableOptions(reply.body)
    const chosen = choose[variable.name]
    const values = chosen ?? (variable.includeAll === true ? options : options.slice(0, 1))
    variables.set(variable.name, { values, multi: variable.multi === true || variable.includeAll === true, options })
  }
  return variables
}

export { grafana }
