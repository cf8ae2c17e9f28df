/**
 * A network query, end to end on the query node:
 *
 *   EdgeLake date expressions → DuckDB's parse tree → the read-only validator (the operators' own rules)
 *   → the answer's names and types (the query bound over empty copies of its tables) → the plan
 *   (all of it cached per command text and catalog) → the current time bound → one operator per cluster
 *   holding the tables → sub-queries over the node-to-node transport → rows concatenated as they come, or
 *   staged in the merge DuckDB and merged with SQL → a ResultStream for the reply encoder.
 *
 * A failing or unreachable operator fails the query, naming it, unless `subset` is asked for: then the
 * answer is made of the operators that did answer (rows an operator streamed before failing are left out of
 * merged answers; a plain SELECT may already have sent some).
 */
import { abortable, createSlots, FedlakeError, isFedlakeError, silentLogger } from '@fedlake/core'
import type { FrameStream, LimitsConfig, Logger, TableSchema } from '@fedlake/core'
import type { MergeEngine, SqlParser } from '@fedlake/duckdb'
import type { Catalog } from '@fedlake/metadata'
import { formatTimestampMicros, observed, parseFailure, settledWith, validateSelect } from '@fedlake/sql'
import type { ResultField, ResultStream } from '@fedlake/sql'
import { bindNow, resolveDateExpressions } from '../dates/index.js'
import { QUERY_ERRORS } from '../errors.js'
import { bindableStatement, planNetworkQuery } from '../planner/index.js'
import { withUnqualifiedTables } from '../planner/unqualified-tables.js'
import type { EmptyPlan, NetworkPlan, QueryPlan } from '../planner/index.js'
import type { Instant } from '../planner/time-span.js'
import type { ExtendColumn, SqlCommand } from '../sql-command.js'
import { concatStream } from './concat-stream.js'
import { orderedMergeStream } from './ordered-merge.js'
import { uncomparableKey } from './row-order.js'
import { FragmentSources } from './fragment-sources.js'
import { derivedFragments, derivedNodes, materializeDerived } from './derived-tables.js'
import type { Materialized } from './derived-tables.js'
import { shipKeys } from './key-shipping.js'
import { MergeBudget, mergeCap } from './merge-cap.js'
import type { SourceRequest } from './fragment-sources.js'
import { openProbing } from './lost-operator.js'
import { QueryLog } from './query-log.js'
import type { QueryEntry, SubqueryEntry } from './query-log.js'
import { OperatorStreams } from './operator-streams.js'
import type { OpenSubquery } from './subquery-client.js'
import { chooseNamedTargets, chooseTargets, unknownAddresses } from './targets.js'
import type { OperatorTarget, Rotation } from './targets.js'
import { targetSql } from './target-sql.js'
import { instantMs, queriedFrom } from './time-range.js'
import type { ExtendValue } from './target-sql.js'

export interface NetworkExecutorInit {
  readonly catalog: () => Catalog
  /** This node's peer id, when its metadata layer runs. */
  readonly selfPeerId: () => string | undefined
  /** Opens a sub-query stream to an operator over the node-to-node transport. */
  readonly openStream: (peerId: string, signal: AbortSignal) => Promise<FrameStream>
  /** This node's own sub-query service, when it is an operator: reached through an in-process pipe. */
  readonly localService?: (stream: FrameStream) => Promise<void>
  /** Tells the listener the peer id of every node the liveness view loses; returns the unsubscribe function. */
  readonly watchLost?: (listener: (peerId: string) => void) => () => void
  readonly engine: MergeEngine
  readonly parser: SqlParser
  readonly limits: LimitsConfig
  readonly logger?: Logger
}

export interface NetworkQuery {
  readonly command: SqlCommand
  readonly subset: boolean
  readonly signal: AbortSignal
  /** Epoch ms. */
  readonly deadline: number
  /**
   * Operators the user named (`run client (ip:port, ...)`): their policy ip:port or REST address. Only those are
   * asked; absent, the metadata chooses one operator per cluster.
   */
  readonly targets?: readonly string[]
}

export interface NetworkAnswer {
  readonly stream: ResultStream
  /** Operators asked and operators that answered, known once the stream has ended. */
  nodes(): { readonly target: number, readonly participating: number }
}

export interface NetworkExecutor {
  run(query: NetworkQuery): Promise<NetworkAnswer>
  /** The plan of a command without running it: targets, operator SQL, merge SQL and the planner's reasons. */
  explain(command: SqlCommand): Promise<string[]>
  readonly log: QueryLog
  /** Network queries waiting for one of the node's limits.maxConcurrentQueries slots. */
  waiting(): number
}

interface PreparedQuery {
  readonly plan: QueryPlan
  readonly outputFields: readonly ResultField[]
  /** Printed SQL of every statement of the plan (period: the probe's), its derived subqueries' plans included. */
  readonly printed: ReadonlyMap<unknown, string>
  /** The answer's fields of each derived subquery (by table name), for when none of its operators answers. */
  readonly derivedFields: ReadonlyMap<string, readonly ResultField[]>
  readonly schemas: ReadonlyMap<string, TableSchema>
  readonly cacheable: boolean
  /** Where the query's time range starts (its WHERE's lower bound on a TIMESTAMP column), to choose members by. */
  readonly from?: Instant
}

const PLAN_CACHE_SIZE = 256

interface RunOptions {
  /** The query's merge budget (a fresh one when absent: key and period probes). */
  readonly budget?: MergeBudget
  /** Answers of the plan's derived subqueries, staged with its fragments. */
  readonly materialized?: Materialized
  /** The plan's explain lines are already in the query log. */
  readonly explained?: boolean
}

export function createNetworkExecutor (init: NetworkExecutorInit): NetworkExecutor {
  const log = new QueryLog()
  // a query holds its slot until its answer has been read or dropped: the reply share of the memory budget is
  // planned for this many answers at once, and 32 scans interleaving on 2 cores each take 8× as long
  const slots = createSlots(init.limits.maxConcurrentQueries)
  const rotation: Rotation = new Map()
  const cache = new Map<string, PreparedQuery>()
  const logger = (init.logger ?? silentLogger).child('network-query')
  const streams = new OperatorStreams({ openStream: init.openStream, selfPeerId: init.selfPeerId, ...(init.localService === undefined ? {} : { localService: init.localService }), logger })

  const prepare = async (command: SqlCommand, now: Date): Promise<PreparedQuery> => {
    const catalog = init.catalog()
    const schemas = catalogSchemas(catalog, command.dbms, command.extend ?? [])
    const text = resolveDateExpressions(command.sql, command.timezone === undefined ? {} : { timeZone: command.timezone })
    const key = JSON.stringify([command.dbms, command.timezone ?? '', text, [...schemas.values()]])
    const cached = cache.get(key)
    if (cached !== undefined) {
      cache.delete(key)
      cache.set(key, cached)
      return cached
    }
    const parsed = await init.parser.parse(text)
    if (parsed.error) throw parseFailure(parsed.error_type, parsed.error_message, parsed.position, text)
    validateSelect(parsed, { dbms: command.dbms, tables: new Set(schemas.keys()), edgeLakeDialect: true }, text)
    const statement = withUnqualifiedTables(parsed.statements[0], command.dbms)
    const outputFields = await init.engine.describe(command.dbms, [...schemas.values()], await init.parser.print(bindableStatement(statement)))
    const plan = planNetworkQuery(statement, { dbms: command.dbms, tables: schemas }, outputFields.map(f => f.name), {
      ...(command.timezone === undefined ? {} : { timeZone: command.timezone }),
      now
    })
    const first = plan.kind === 'period' ? plan.probe : plan
    const printed = first.kind === 'network' ? await printPlan(first) : new Map<unknown, string>()
    const derivedFields = new Map<string, ResultField[]>()
    for (const table of first.kind === 'network' ? first.derived ?? [] : []) {
      derivedFields.set(table.name, await init.engine.describe(command.dbms, [...schemas.values()], await init.parser.print(table.statement)))
    }
    const from = queriedFrom(statement, schemas, command.timezone)
    const prepared = { plan, outputFields, printed, derivedFields, schemas, cacheable: !(first.kind === 'network' && first.dependsOnNow === true), ...(from === undefined ? {} : { from }) }
    if (prepared.cacheable) {
      cache.set(key, prepared)
      if (cache.size > PLAN_CACHE_SIZE) cache.delete(cache.keys().next().value as string)
    }
    return prepared
  }

  const printPlan = async (plan: NetworkPlan): Promise<Map<unknown, string>> => {
    const printed = new Map<unknown, string>()
    for (const fragment of plan.fragments) printed.set(fragment.statement, await init.parser.print(fragment.statement))
    if (plan.merge.kind !== 'concat') printed.set(plan.merge.statement, await init.parser.print(plan.merge.statement))
    for (const table of plan.derived ?? []) for (const [statement, sql] of await printPlan(table.plan)) printed.set(statement, sql)
    return printed
  }

  /**
   * Runs a network plan: sub-queries to every operator holding its tables, then the merge. `budget` counts what
   * arrives (one per query); `materialized` holds the answers of the plan's derived subqueries.
   */
  const runPlan = async (plan: NetworkPlan, printed: ReadonlyMap<unknown, string>, prepared: PreparedQuery, query: NetworkQuery, entry: QueryEntry, outputFields: readonly ResultField[], now: Date, run: RunOptions = {}): Promise<NetworkAnswer> => {
    const { command } = query
    if (run.explained !== true) entry.explain.push(...plan.explain)
    const catalog = init.catalog()
    // rows already handed on (to the client, or into the ordered merge) cannot be taken back
    const streamed = plan.merge.kind !== 'sql'
    const budget = run.budget ?? new MergeBudget(mergeCap(command, init.limits))
    const named = query.targets === undefined ? undefined : new Set(query.targets)
    if (named !== undefined && !query.subset) {
      const unknown = unknownAddresses(catalog, command.dbms, plan.fragments.flatMap(f => [...f.tables]), named)
      if (unknown.length > 0) throw new FedlakeError(QUERY_ERRORS.NETWORK_NO_OPERATOR, `no operator holding the queried tables answers at ${unknown.join(', ')}`, { dbms: command.dbms, targets: unknown })
    }
    const fragments = plan.fragments.map(fragment => {
      const sql = bindNow(printed.get(fragment.statement) ?? '', now)
      entry.explain.push(`operators run (${fragment.name}): ${sql}`)
      // the queried table as stored (without extend's columns, which the CTE adds)
      const queried = catalog.schema(command.dbms, fragment.tables[0] ?? '')
      const requests: SourceRequest[] = []
      for (const { table, schema } of sourceTables(catalog, command, fragment.tables)) {
        const choice = named === undefined
          ? chooseTargets(catalog, table.dbms, [table.table], command.nodes ?? 'main', rotation, prepared.from === undefined ? {} : { from: instantMs(prepared.from, now) })
          : { targets: chooseNamedTargets(catalog, table.dbms, table.table, named), withoutOperators: [] }
        if (named !== undefined && choice.targets.length === 0) {
          throw new FedlakeError(QUERY_ERRORS.NETWORK_NO_OPERATOR, `none of the named targets (${[...named].join(', ')}) is an operator holding ${table.dbms}.${table.table}`, { dbms: table.dbms, table: table.table })
        }
        if (choice.withoutOperators.length > 0 && !query.subset) {
          throw new FedlakeError(QUERY_ERRORS.NETWORK_NO_OPERATOR, `no operator of cluster ${choice.withoutOperators[0]?.clusterName ?? '?'} holds ${table.dbms}.${table.table}`, { dbms: table.dbms, table: table.table })
        }
        for (const chosen of choice.targets) {
          requests.push({
            targets: [chosen, ...chosen.alternatives],
            open: async (target, signal) => await openProbing(target, signal, async signal => await streams.ask(
              target,
              { type: 'query', queryId: `${entry.id}`, dbms: table.dbms, sql: targetSql(sql, queried ?? schema, schema, extendValues(command.extend ?? [], target, table)), timeoutMs: Math.max(1, query.deadline - Date.now()) },
              signal))
          })
        }
      }
      return new FragmentSources({
        requests,
        subset: query.subset,
        retryAfterRows: !streamed,
        signal: query.signal,
        attempt: target => {
          const log: SubqueryEntry = { node: target.name, peerId: target.peerId, state: 'sent', rows: 0, ms: 0 }
          entry.subqueries.push(log)
          return log
        },
        logger,
        ...(init.watchLost === undefined ? {} : { watchLost: init.watchLost })
      })
    })
    // Shortly before the request's deadline: under subset the operators still running are left out, otherwise
    // the query fails naming them (the request's own deadline error would not say who was late).
    const late = new AbortController()
    const margin = Math.min(500, Math.max(20, (query.deadline - Date.now()) / 10))
    const timer = setTimeout(() => {
      if (query.subset) { for (const f of fragments) f.expire(); return }
      const pending = [...new Set(fragments.flatMap(f => f.pending()))]
      late.abort(new FedlakeError(QUERY_ERRORS.NETWORK_OPERATOR_TIMEOUT, `${pending.join(', ') || 'the operators'} did not answer within the deadline`, { nodes: pending }))
      for (const f of fragments) f.cancel()
    }, Math.max(1, query.deadline - Date.now() - margin))
    timer.unref()
    query.signal.addEventListener('abort', () => { clearTimeout(timer) }, { once: true })
    try {
      await abortable(Promise.all(fragments.map(async f => { await f.open() })), late.signal)
    } catch (err) {
      clearTimeout(timer)
      for (const f of fragments) f.cancel()
      throw late.signal.aborted ? late.signal.reason : err
    }
    const nodes = (): { target: number, participating: number } => fragments.reduce((n, f) => ({ target: n.target + f.nodes().target, participating: n.participating + f.nodes().participating }), { target: 0, participating: 0 })
    for (const f of fragments) checkFields(f.opened())

    if (plan.merge.kind === 'concat') {
      const sources = fragments[0] as FragmentSources
      const fields = renamed(sources.fields() ?? outputFields, plan.outputNames)
      const stream = concatStream(fields, lateAware(sources.batches(), late.signal), { offset: plan.merge.offset, limit: plan.merge.limit, cancel: () => { clearTimeout(timer); sources.cancel() } })
      return { stream: settledWith(stream, () => { clearTimeout(timer) }), nodes }
    }

    if (plan.merge.kind === 'ordered') {
      const sources = fragments[0] as FragmentSources
      const operatorFields = sources.fields()
      const uncomparable = operatorFields === undefined ? 'no operator answered' : uncomparableKey(operatorFields, plan.merge.keys)
      if (operatorFields !== undefined && uncomparable === undefined) {
        entry.explain.push(`the query node merges the operators' sorted streams (${plan.merge.keys.length} ORDER BY key${plan.merge.keys.length === 1 ? '' : 's'})`)
        const fields = renamed(operatorFields.slice(0, plan.merge.columns), plan.outputNames)
        const { keys, columns, offset, limit } = plan.merge
        const stream = orderedMergeStream(operatorFields, fields, sources.streams().map(s => lateAware(s, late.signal)), { keys, columns, offset, limit, cancel: () => { clearTimeout(timer); sources.cancel() } })
        return { stream: settledWith(stream, () => { clearTimeout(timer) }), nodes }
      }
      entry.explain.push(`the query node sorts in SQL instead of merging the sorted streams: ${uncomparable}`)
    }

    const mergeSql = printed.get(plan.merge.statement) ?? ''
    entry.explain.push(`the query node merges: ${mergeSql}`)
    const staged = await Promise.all(plan.fragments.map(async (fragment, f) => {
      const sources = fragments[f] as FragmentSources
      const fields = sources.fields() ?? await init.engine.describe(command.dbms, [...prepared.schemas.values()], bindNow(printed.get(fragment.statement) ?? '', now))
      return { name: fragment.name, fields, batches: budget.counted(lateAware(sources.batches(), late.signal)), excluded: () => sources.excluded() }
    }))
    staged.push(...derivedFragments(plan, run.materialized ?? new Map(), budget))
    try {
      const stream = await init.engine.run(staged, bindNow(mergeSql, now), { signal: AbortSignal.any([query.signal, late.signal]) })
      clearTimeout(timer)
      return { stream: withNames(stream, plan.outputNames), nodes }
    } catch (err) {
      clearTimeout(timer)
      for (const f of fragments) f.cancel()
      throw late.signal.aborted ? late.signal.reason : err
    }
  }

  const executor: NetworkExecutor = {
    log,
    async run (query) {
      const { command } = query
      const entry = log.start(command.dbms, command.sql)
      const started = performance.now()
      let release: (() => void) | undefined
      try {
        release = await slots.acquire(query.signal)
        const now = new Date()
        const prepared = await prepare(command, now)
        const answer = await answerPlan(prepared, query, entry, now)
        return { ...answer, stream: settledWith(logged(answer.stream, log, entry, started), release) }
      } catch (err) {
        release?.()
        log.finish(entry, outcomeOf(err), performance.now() - started, err instanceof Error ? err.message : String(err))
        throw err
      }
    },
    waiting: () => slots.waiting(),
    async explain (command) {
      const prepared = await prepare(command, new Date())
      const lines = [...prepared.plan.explain]
      const plan = prepared.plan.kind === 'period' ? prepared.plan.probe : prepared.plan
      const catalog = init.catalog()
      const describePlan = (plan: NetworkPlan, indent: string): void => {
        for (const table of plan.derived ?? []) {
          lines.push(`${indent}subquery ${table.label} (${table.name}), ${table.strategy}, runs first:`)
          describePlan(table.plan, `${indent}  `)
        }
        for (const fragment of plan.fragments) {
          lines.push(`${indent}operators run (${fragment.name}): ${prepared.printed.get(fragment.statement) ?? ''}`)
          for (const { table } of sourceTables(catalog, command, fragment.tables)) {
            const from = prepared.from === undefined ? {} : { from: instantMs(prepared.from, new Date()) }
            const choice = chooseTargets(catalog, table.dbms, [table.table], command.nodes ?? 'main', new Map(), from)
            lines.push(`${indent}  targets for ${table.dbms}.${table.table}: ${choice.targets.map(t => t.name).join(', ') || '(none)'}`)
            for (const r of choice.reasons) lines.push(`${indent}    cluster ${r.cluster}: ${r.member} (${r.reason})`)
          }
        }
        if (plan.merge.kind === 'sql') lines.push(`${indent}the query node merges: ${prepared.printed.get(plan.merge.statement) ?? ''}`)
        else if (plan.merge.kind === 'ordered') lines.push(`${indent}the query node merges the operators' sorted streams${plan.merge.limit === null ? '' : ` (offset ${plan.merge.offset}, limit ${plan.merge.limit})`}, or, when an ORDER BY key's type is not comparable exactly: ${prepared.printed.get(plan.merge.statement) ?? ''}`)
        else lines.push(`${indent}the query node concatenates the rows${plan.merge.limit === null ? '' : ` (offset ${plan.merge.offset}, limit ${plan.merge.limit})`}`)
      }
      if (plan.kind === 'network') describePlan(plan, '')
      return lines
    }
  }

  const answerPlan = async (prepared: PreparedQuery, query: NetworkQuery, entry: QueryEntry, now: Date): Promise<NetworkAnswer> => {
    const plan = prepared.plan
    if (plan.kind === 'network') {
      const budget = new MergeBudget(mergeCap(query.command, init.limits))
      entry.explain.push(...plan.explain)
      const materialized = await materializeDerived(plan, async table => {
        entry.explain.push(`subquery ${table.label} (${table.name}) runs first, ${table.strategy}`)
        return await runPlan(table.plan, prepared.printed, prepared, query, entry, prepared.derivedFields.get(table.name) ?? [], now, { budget, explained: true })
      })
      const shipped = await cutByKeys(plan, query, entry, async (probe, printed) => await runPlan(probe, printed, prepared, query, entry, [{ name: 'k', type: 'VARCHAR' }], now, { materialized }))
      const answer = await runPlan(shipped ?? plan, shipped === undefined ? prepared.printed : await printPlan(shipped), prepared, query, entry, prepared.outputFields, now, { budget, materialized, explained: true })
      if (materialized.size === 0) return answer
      return { stream: answer.stream, nodes: () => { const [a, b] = [answer.nodes(), derivedNodes(materialized)]; return { target: a.target + b.target, participating: a.participating + b.participating } } }
    }
    entry.explain.push(...plan.explain)
    const probe = await runPlan(plan.probe, prepared.printed, prepared, query, entry, [{ name: 'period_end', type: 'TIMESTAMP' }], now)
    const t = await singleTimestamp(probe.stream)
    const second: NetworkPlan | EmptyPlan = plan.complete(t)
    if (second.kind === 'empty') return { stream: emptyStream(prepared.outputFields), nodes: probe.nodes }
    const answer = await runPlan(second, await printPlan(second), prepared, query, entry, prepared.outputFields, now)
    return answer
  }

  /** Key shipping (key-shipping.ts): the plan with fragments cut down to other fragments' keys, if any is. */
  const cutByKeys = async (plan: NetworkPlan, query: NetworkQuery, entry: QueryEntry, run: (probe: NetworkPlan, printed: Map<unknown, string>) => Promise<NetworkAnswer>): Promise<NetworkPlan | undefined> => {
    const { command } = query
    if (plan.keyShipping === undefined || command.keyShipping === false) return undefined
    const catalog = init.catalog()
    return await shipKeys({
      plan,
      maxKeys: Math.min(command.maxShippedKeys ?? init.limits.maxShippedKeys, init.limits.maxShippedKeys),
      maxBytes: init.limits.maxShippedKeyBytes,
      clusters: table => chooseTargets(catalog, command.dbms, [table], command.nodes ?? 'main', new Map()).targets.length,
      probe: async probe => {
        const answer = await run(probe, await printPlan(probe))
        return { stream: answer.stream, complete: () => answer.nodes().participating === answer.nodes().target }
      },
      explain: line => { entry.explain.push(line) }
    })
  }

  return executor
}

/** Batches that stop with the late signal's error (naming the operators still running) when it aborts. */
function lateAware<T> (batches: AsyncIterable<T>, late: AbortSignal): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      const inner = batches[Symbol.asyncIterator]()
      return {
        next: async () => await abortable(inner.next(), late),
        return: async () => await (inner.return?.() ?? Promise.resolve({ done: true as const, value: undefined }))
      }
    }
  }
}

function catalogSchemas (catalog: Catalog, dbms: string, extend: readonly ExtendColumn[]): Map<string, TableSchema> {
  const schemas = new Map<string, TableSchema>()
  for (const ref of catalog.tables(dbms)) {
    const schema = catalog.schema(dbms, ref.table)
    if (schema === undefined) continue
    const extra = extend.map(e => ({ name: e.name, type: e.kind === 'port' ? 'INTEGER' as const : 'VARCHAR' as const }))
    schemas.set(ref.table.toLowerCase(), { ...schema, columns: [...schema.columns, ...extra] })
  }
  if (schemas.size === 0) {
    throw new FedlakeError(QUERY_ERRORS.NETWORK_UNKNOWN_TABLE, `DBMS '${dbms}' has no table in the network's metadata`, { dbms })
  }
  return schemas
}

/** The tables a fragment reads: its own, then the `include` ones (each read as if it were the queried table). */
function sourceTables (catalog: Catalog, command: SqlCommand, tables: readonly string[]): { table: { dbms: string, table: string }, schema: TableSchema }[] {
  const out: { table: { dbms: string, table: string }, schema: TableSchema }[] = []
  const own = (ref: { dbms: string, table: string }): boolean => ref.dbms.toLowerCase() === command.dbms && tables.includes(ref.table.toLowerCase())
  const refs = [...tables.map(t => ({ dbms: command.dbms, table: t })), ...(tables.length > 0 ? (command.include ?? []).filter(ref => !own(ref)) : [])]
  for (const ref of refs) {
    const schema = catalog.schema(ref.dbms, ref.table)
    if (schema === undefined) throw new FedlakeError(QUERY_ERRORS.NETWORK_UNKNOWN_TABLE, `Table '${ref.table}' in DBMS '${ref.dbms}' is not in the network's metadata`, { dbms: ref.dbms, table: ref.table })
    out.push({ table: { dbms: ref.dbms.toLowerCase(), table: ref.table.toLowerCase() }, schema })
  }
  return out
}

function extendValues (extend: readonly ExtendColumn[], operator: OperatorTarget, table: { dbms: string, table: string }): ExtendValue[] {
  return extend.map(e => {
    switch (e.kind) {
      case 'ip': return { name: e.name, value: operator.ip ?? null }
      case 'port': return { name: e.name, value: operator.port ?? null }
      case 'dbms_name': return { name: e.name, value: table.dbms }
      case 'table_name': return { name: e.name, value: table.table }
      case 'policy': return { name: e.name, value: attributeOf(operator, e.attribute) }
    }
  })
}

/** A node policy attribute of the operator (`+name`, `+company`, `+country`...), as text. */
function attributeOf (operator: OperatorTarget, attribute: string): string | number | null {
  const value = operator.attributes[attribute.toLowerCase()] ?? (attribute.toLowerCase() === 'node_name' ? operator.name : undefined)
  if (value === undefined || value === null) return null
  return typeof value === 'number' ? value : typeof value === 'string' ? value : JSON.stringify(value)
}

/** Every operator must give the same column kinds (else its batches could not be staged together). */
function checkFields (subs: readonly OpenSubquery[]): void {
  const first = subs[0]
  if (first === undefined) return
  for (const sub of subs.slice(1)) {
    const same = sub.fields.length === first.fields.length && sub.fields.every((f, i) => f.type === first.fields[i]?.type)
    if (!same) {
      throw new FedlakeError(QUERY_ERRORS.NETWORK_SCHEMA_MISMATCH,
        `${sub.target.name} returned columns ${describeFields(sub.fields)}, ${first.target.name} ${describeFields(first.fields)}: their tables differ`,
        { node: sub.target.name, other: first.target.name })
    }
  }
}

function describeFields (fields: readonly ResultField[]): string {
  return `(${fields.map(f => `${f.name} ${f.type}`).join(', ')})`
}

function renamed (fields: readonly ResultField[], names: readonly string[]): ResultField[] {
  return fields.map((f, i) => ({ name: names[i] ?? f.name, type: f.type }))
}

/**
 * The merge's answer under the names one DuckDB gives the user's statement: the merge statement reads internal
 * tables (`__p0 AS alert`), which would show in the names DuckDB derives from a subquery's text.
 */
function withNames (stream: ResultStream, names: readonly string[]): ResultStream {
  if (names.length !== stream.fields.length || stream.fields.every((f, i) => f.name === names[i])) return stream
  return {
    fields: renamed(stream.fields, names),
    cancel: reason => { stream.cancel(reason) },
    [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator]()
  }
}

function emptyStream (fields: readonly ResultField[]): ResultStream {
  return { fields, cancel: () => {}, [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) }
}

/** The one value of a period probe: T as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC), or null. */
async function singleTimestamp (stream: ResultStream): Promise<string | null> {
  let value: string | null = null
  for await (const batch of stream) {
    const vector = batch.vectors[0]
    if (batch.rowCount === 0 || vector === undefined) continue
    if (vector.valid !== null && vector.valid[0] === 0) continue
    if (vector.kind === 'i64') value = formatTimestampMicros(vector.values[0] as bigint)
    else if (vector.kind === 'text') value = vector.values[0] ?? null
  }
  return value
}

/** Keeps the query log's entry up to date as the answer streams. */
function logged (stream: ResultStream, log: QueryLog, entry: QueryEntry, started: number): ResultStream {
  return observed(stream, {
    batch: batch => { entry.rows += batch.rowCount },
    ended: () => { log.finish(entry, 'completed', performance.now() - started) },
    failed: err => { log.finish(entry, outcomeOf(err), performance.now() - started, isFedlakeError(err) ? err.message : String(err)) },
    left: () => { log.finish(entry, 'cancelled', performance.now() - started) }
  })
}

function outcomeOf (err: unknown): 'failed' | 'cancelled' {
  return isFedlakeError(err) && (err.code === 'SQL_CANCELLED' || err.code === 'CLIENT_GONE') ? 'cancelled' : 'failed'
}
