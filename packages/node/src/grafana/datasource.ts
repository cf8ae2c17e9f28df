/**
 * The Grafana JSON datasource API (simpod-json-datasource, reference/grafana.md §1) over a fedlake node, without
 * HTTP: each endpoint takes the parsed request body and answers a JSON value or throws a FedlakeError.
 *
 * Every SQL runs over the network through the query role's executor, as `run client ()` does; `info` payloads
 * and variable queries that are not SQL run EdgeLake commands through the node's router (GET-only commands and
 * sql: a dashboard cannot change the node's state).
 */
import { FedlakeError, isFedlakeError } from '@fedlake/core'
import type { CommandContext, CommandReply, JsonValue, TableSchema } from '@fedlake/core'
import { parseSqlCommand } from '@fedlake/query'
import type { SqlCommand } from '@fedlake/query'
import type { ResultStream } from '@fedlake/sql'
import { NODE_ERRORS } from '../errors.js'
import { readAnswer } from './answer-columns.js'
import type { AnswerCaps, AnswerColumns } from './answer-columns.js'
import { GRAFANA_ERRORS } from './errors.js'
import { replyTable, seriesElements, tableElement } from './frames.js'
import type { TableElement } from './frames.js'
import { METRIC_PAYLOAD_FIELDS, payloadFieldOptions } from './metric-payloads.js'
import { isObject } from './payload.js'
import { readQueryRequest, readRange, readTargetPayload } from './query-request.js'
import type { QueryRequest } from './query-request.js'
import { sqlIdentifier } from './sql-text.js'
import { textColumns } from './table-columns.js'
import type { GrafanaCatalog } from './table-columns.js'
import { translateTarget } from './translate.js'
import type { SqlTranslation, Translation } from './translate.js'

export interface NetworkRunOptions {
  readonly subset: boolean
  readonly signal: AbortSignal
  /** Epoch ms. */
  readonly deadline: number
}

/** What the datasource needs of its node. */
export interface GrafanaBackend {
  /** The network's tables and schemas; undefined until the metadata layer is up. */
  catalog(): GrafanaCatalog | undefined
  /** Runs a sql command over the network (the query role's executor). */
  runNetwork(command: SqlCommand, options: NetworkRunOptions): Promise<ResultStream>
  /** Runs an EdgeLake command as REST does. */
  runCommand(command: string, ctx: CommandContext): Promise<CommandReply>
  readonly caps: AnswerCaps
}

export interface RequestContext {
  /** Request headers, names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly signal: AbortSignal
  /** Epoch ms. */
  readonly deadline: number
}

export interface GrafanaDatasource {
  metrics(body: unknown, ctx: RequestContext): JsonValue[]
  metricPayloadOptions(body: unknown, ctx: RequestContext): JsonValue[]
  query(body: unknown, ctx: RequestContext): Promise<JsonValue[]>
  variable(body: unknown, ctx: RequestContext): Promise<JsonValue[]>
  tagKeys(body: unknown, ctx: RequestContext): JsonValue[]
  tagValues(body: unknown, ctx: RequestContext): Promise<JsonValue[]>
  /** simple-json and simpod <= 0.5: the metric list, or a variable query's values as `{text, value}`. */
  search(body: unknown, ctx: RequestContext): Promise<JsonValue[]>
}

const TAG_VALUES_LIMIT = 1000
const QUERY_LIKE = /^\s*(select|sql|run|get|blockchain|query|test)\s/i

export function createGrafanaDatasource (backend: GrafanaBackend): GrafanaDatasource {
  const catalog = (): GrafanaCatalog => {
    const found = backend.catalog()
    if (found === undefined) throw new FedlakeError(NODE_ERRORS.NETWORK_QUERY_UNAVAILABLE, 'the node\'s metadata layer is not up yet')
    return found
  }

  const metricNames = (ctx: RequestContext): string[] => {
    const dbms = defaultDbms(ctx.headers)
    const own = dbms === undefined ? [] : catalog().tables(dbms).map(t => t.table)
    return own.length > 0 ? own : catalog().tables().map(t => `${t.dbms}.${t.table}`)
  }

  const answerOf = async (command: SqlCommand, subset: boolean, signal: AbortSignal, deadline: number): Promise<AnswerColumns> => {
    const stream = await backend.runNetwork(command, { subset, signal, deadline })
    return await readAnswer(stream, backend.caps)
  }

  const runCommand = async (command: string, signal: AbortSignal, deadline: number): Promise<CommandReply> =>
    await backend.runCommand(command, { method: 'GET', headers: {}, signal, deadline })

  /** A variable query's values: a SELECT (of the header's dbms), a `sql <dbms> ...` command (over the network) or another command. */
  const textQueryValues = async (text: string, ctx: RequestContext): Promise<Column[]> => {
    const query = text.trim()
    const subset = isTrue(ctx.headers.subset)
    if (/^select\s/i.test(query)) {
      const dbms = defaultDbms(ctx.headers)
      if (dbms === undefined) throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_REQUEST, `a SELECT needs its dbms: write sql <dbms> "${query.slice(0, 30)}...", or add the datasource header al.dbms.<name>`)
      return answerColumns(await answerOf(parseSqlCommand(`sql ${dbms} ${query}`), subset, ctx.signal, ctx.deadline))
    }
    if (/^sql\s/i.test(query)) return answerColumns(await answerOf(parseSqlCommand(query), subset, ctx.signal, ctx.deadline))
    return tableColumns(replyTable('variable', await runCommand(query, ctx.signal, ctx.deadline)))
  }

  /** A variable's payload in raw JSON mode: `{"target": "kubearmor.alert", "sql": "select distinct ..."}` runs like a panel's. */
  const payloadQueryValues = async (payload: Readonly<Record<string, unknown>>, request: QueryRequest, ctx: RequestContext): Promise<Column[]> => {
    const target = typeof payload.target === 'string' ? payload.target : typeof payload.table === 'string' ? payload.table : ''
    const translation = translateTarget({ refId: 'variable', target, payload }, { request, catalog: catalog(), ...dbmsOption(ctx.headers) })
    if (translation.kind === 'info') return tableColumns(replyTable('variable', await runCommand(translation.command, ctx.signal, ctx.deadline)))
    return answerColumns(await answerOf(translation.command, translation.subset || isTrue(ctx.headers.subset), ctx.signal, ctx.deadline))
  }

  const variableValues = async (body: unknown, ctx: RequestContext): Promise<{ text: string, value: string }[]> => {
    if (!isObject(body)) throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_REQUEST, 'the /variable body must be a JSON object {payload, range}')
    const range = readRange(body.range)
    const payload = typeof body.payload === 'string' ? { target: body.payload } : readTargetPayload(body.payload, 'variable')
    const request: QueryRequest = { targets: [], filters: [], ...(range === undefined ? {} : { range }) }
    const columns = typeof payload.sql === 'string' || typeof payload.details === 'string'
      ? await payloadQueryValues(payload, request, ctx)
      : typeof payload.target === 'string' && payload.target.trim() !== ''
        ? await textQueryValues(payload.target, ctx)
        : []
    return textValuePairs(columns)
  }

  return {
    metrics (_body, ctx) {
      return metricNames(ctx).map(name => ({ value: name, label: name, payloads: METRIC_PAYLOAD_FIELDS as unknown as JsonValue }))
    },

    metricPayloadOptions (body, ctx) {
      if (!isObject(body) || typeof body.name !== 'string') throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_REQUEST, 'the /metric-payload-options body must be {metric, payload, name}')
      return payloadFieldOptions(catalog(), typeof body.metric === 'string' ? body.metric : '', body.name, defaultDbms(ctx.headers))
    },

    async query (body, ctx) {
      const request = readQueryRequest(body)
      const translations = request.targets.map(target => withRefId(target.refId, () => translateTarget(target, { request, catalog: catalog(), ...dbmsOption(ctx.headers) })))
      // the first failure stops the other targets' queries
      const failed = new AbortController()
      const signal = AbortSignal.any([ctx.signal, failed.signal])
      const answers = new Map<string, Promise<AnswerColumns>>()
      const elementsOf = async (translation: Translation): Promise<JsonValue[]> => {
        if (translation.kind === 'info') return [replyTable(translation.refId, await runCommand(translation.command, signal, ctx.deadline)) as unknown as JsonValue]
        const subset = translation.subset || isTrue(ctx.headers.subset)
        const key = `${subset ? 'subset ' : ''}${translation.text}`
        let answer = answers.get(key)
        if (answer === undefined) {
          answer = answerOf(translation.command, subset, signal, ctx.deadline)
          answers.set(key, answer)
        }
        return elementsFor(translation, await answer, request) as unknown as JsonValue[]
      }
      const results = await Promise.all(translations.map(async translation => {
        try {
          return await elementsOf(translation)
        } catch (err) {
          failed.abort(err)
          throw withRefIdPrefix(translation.refId, err)
        }
      }))
      return results.flat()
    },

    async variable (body, ctx) {
      return (await variableValues(body, ctx)).map(v => ({ __text: v.text, __value: v.value }))
    },

    tagKeys (_body, ctx) {
      const keys = new Set<string>()
      for (const schema of schemasOf(catalog(), defaultDbms(ctx.headers))) for (const column of textColumns(schema)) keys.add(column)
      return [...keys].sort().map(text => ({ type: 'string', text }))
    },

    async tagValues (body, ctx) {
      if (!isObject(body) || typeof body.key !== 'string' || body.key === '') throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_REQUEST, 'the /tag-values body must name a "key"')
      const key = body.key.toLowerCase()
      const values = new Set<string>()
      for (const schema of schemasOf(catalog(), defaultDbms(ctx.headers))) {
        const column = schema.columns.find(c => c.type === 'VARCHAR' && c.name.toLowerCase() === key)
        if (column === undefined) continue
        const name = sqlIdentifier(column.name)
        const command = parseSqlCommand(`sql ${schema.dbms} select distinct ${name} from ${sqlIdentifier(schema.table)} where ${name} is not null order by 1 limit ${TAG_VALUES_LIMIT}`)
        const answer = await answerOf(command, isTrue(ctx.headers.subset), ctx.signal, ctx.deadline)
        for (const v of answer.values[0] ?? []) if (v !== null) values.add(String(v))
      }
      return [...values].sort().slice(0, TAG_VALUES_LIMIT).map(text => ({ text }))
    },

    async search (body, ctx) {
      const target = isObject(body) && typeof body.target === 'string' ? body.target : ''
      if (QUERY_LIKE.test(target)) return (await variableValues({ payload: { target } }, ctx)).map(v => ({ text: v.text, value: v.value }))
      return metricNames(ctx)
    }
  }
}

function elementsFor (translation: SqlTranslation, answer: AnswerColumns, request: QueryRequest): unknown[] {
  if (translation.format === 'table') return [tableElement(translation.refId, answer)]
  const grid = translation.fixedGrid && request.range !== undefined && request.intervalMs !== undefined
    ? { grid: { range: request.range, intervalMs: request.intervalMs } }
    : {}
  return seriesElements(answer, {
    refId: translation.refId,
    ...(translation.timeColumn !== undefined ? { timeColumn: translation.timeColumn } : {}),
    ...(translation.seriesNames !== undefined ? { seriesNames: translation.seriesNames } : {}),
    ...grid
  })
}

interface Column { readonly name: string, readonly values: readonly JsonValue[] }

function answerColumns (answer: AnswerColumns): Column[] {
  return answer.fields.map((f, i) => ({ name: f.name, values: answer.values[i] ?? [] }))
}

function tableColumns (table: TableElement): Column[] {
  return table.columns.map((c, i) => ({ name: c.text, values: table.rows.map(r => r[i] ?? null) }))
}

/** `__text`/`__value` columns when the answer has both (Grafana's convention), else the first column as both. */
function textValuePairs (columns: readonly Column[]): { text: string, value: string }[] {
  const text = columns.find(c => c.name === '__text')
  const value = columns.find(c => c.name === '__value')
  const pairs: { text: string, value: string }[] = []
  const seen = new Set<string>()
  const texts = text !== undefined && value !== undefined ? text.values : columns[0]?.values ?? []
  const values = text !== undefined && value !== undefined ? value.values : texts
  texts.forEach((t, i) => {
    const v = values[i] ?? null
    if (t === null || v === null) return
    const pair = { text: typeof t === 'string' ? t : JSON.stringify(t), value: typeof v === 'string' ? v : JSON.stringify(v) }
    if (seen.has(pair.value)) return
    seen.add(pair.value)
    pairs.push(pair)
  })
  return pairs
}

/** The dbms of an `al.dbms.<name>` header (EdgeLake's way to give the datasource a default dbms; its value is ignored). */
export function defaultDbms (headers: RequestContext['headers']): string | undefined {
  for (const name of Object.keys(headers)) {
    const m = /^al\.dbms\.([a-z0-9_]+)$/i.exec(name)
    if (m !== null) return (m[1] as string).toLowerCase()
  }
  return undefined
}

function dbmsOption (headers: RequestContext['headers']): { defaultDbms?: string } {
  const dbms = defaultDbms(headers)
  return dbms === undefined ? {} : { defaultDbms: dbms }
}

function schemasOf (catalog: GrafanaCatalog, dbms: string | undefined): TableSchema[] {
  return catalog.tables(dbms).flatMap(t => {
    const schema = catalog.schema(t.dbms, t.table)
    return schema === undefined ? [] : [schema]
  })
}

function isTrue (value: string | string[] | undefined): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'true'
}

function withRefId<T> (refId: string, work: () => T): T {
  try { return work() } catch (err) { throw withRefIdPrefix(refId, err) }
}

/** The error with the query row it belongs to in front of its message ("A: ..."), keeping its code. */
function withRefIdPrefix (refId: string, err: unknown): unknown {
  if (!isFedlakeError(err) || err.message.startsWith(`${refId}: `)) return err
  return new FedlakeError(err.code, `${refId}: ${err.message}`, { ...err.details }, { cause: err })
}
