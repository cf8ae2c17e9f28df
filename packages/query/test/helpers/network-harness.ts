/**
 * The network in one process, for differential tests of the planner: N "operator" databases holding disjoint rows,
 * a reference database holding their union, an empty database (for output names) and a merge database, all
 * attached to one in-memory DuckDB. A query goes through what the executor does:
 * date pre-pass → DuckDB parse → bindable statement named over the empty tables → plan → every fragment printed,
 * bound to `now` and run on every operator → partial rows of fragment i into __p<i> of the merge database with the operators'
 * column types (CREATE TABLE AS / INSERT SELECT: exact) → the printed merge statement; an ordered merge (plain
 * SELECT ... ORDER BY) runs the executor's merge of the operators' sorted rows instead.
 */
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api'
import type { TableSchema } from '@fedlake/core'
import { createResultReader, createSqlParser } from '@fedlake/duckdb'
import type { ResultBatch, ResultField } from '@fedlake/sql'
import type { SqlParser } from '@fedlake/duckdb'
import { bindableStatement, bindNow, planNetworkQuery, resolveDateExpressions } from '../../src/index.js'
import type { EmptyPlan, Merge, NetworkPlan, PlanOptions, QueryPlan } from '../../src/index.js'
import { orderedMergeStream } from '../../src/network/ordered-merge.js'
import { uncomparableKey } from '../../src/network/row-order.js'

import type { Cell, QueryAnswer, Row } from '../../../../test/helpers/answers.js'

export type { Cell, QueryAnswer, Row }

export interface NetworkRun extends QueryAnswer {
  readonly plan: QueryPlan
  /** The plan executed (phase two of a period plan). */
  readonly executed: NetworkPlan | EmptyPlan
  /** Printed SQL of what ran: every fragment, then the merge. */
  readonly sql: readonly string[]
}

export interface Network {
  readonly operators: number
  /** The answer through the planner. */
  query(sql: string, options?: { readonly planOptions?: PlanOptions, readonly answeringOperators?: readonly number[] }): Promise<NetworkRun>
  /** SQL (DuckDB's dialect, EdgeLake date forms allowed) on the reference database. */
  reference(sql: string): Promise<QueryAnswer>
  /** SQL on operator i's database. */
  onOperator(i: number, sql: string): Promise<QueryAnswer>
  close(): Promise<void>
}

export interface NetworkInit {
  readonly dbms: string
  readonly tables: readonly TableSchema[]
  /** rows[operator][table name] */
  readonly rows: readonly Readonly<Record<string, readonly Row[]>>[]
  /** The instant now() stands for. */
  readonly now: Date
}

export async function createNetwork (init: NetworkInit): Promise<Network> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' })
  const setup = await instance.connect()
  const operatorNames = init.rows.map((_, i) => `op${i}`)
  for (const name of [...operatorNames, 'ref', 'empty', 'merge']) await setup.run(`ATTACH ':memory:' AS ${name}`)
  const connect = async (db: string): Promise<DuckDBConnection> => {
    const c = await instance.connect()
    await c.run(`USE ${db}`)
    return c
  }
  const operators = await Promise.all(operatorNames.map(connect))
  const reference = await connect('ref')
  const empty = await connect('empty')
  const merge = await connect('merge')
  for (const db of [...operatorNames, 'ref', 'empty']) {
    for (const table of init.tables) {
      await setup.run(`CREATE TABLE ${db}.${table.table} (${table.columns.map(c => `"${c.name}" ${c.type}`).join(', ')})`)
    }
  }
  for (const [i, byTable] of init.rows.entries()) {
    for (const table of init.tables) {
      const rows = byTable[table.table] ?? []
      for (const db of [`op${i}`, 'ref']) await insertRows(setup, `${db}.${table.table}`, rows)
    }
  }
  const parser: SqlParser = createSqlParser()
  await parser.start()
  const catalog = { dbms: init.dbms, tables: new Map(init.tables.map(t => [t.table, t])) }
  const bind = (sql: string): string => bindNow(sql, init.now)

  async function parseOne (sql: string): Promise<unknown> {
    const parsed = await parser.parse(resolveDateExpressions(sql, { timeZone: 'UTC' }))
    if (parsed.error) throw new Error(`parse: ${parsed.error_message}`)
    return parsed.statements[0]
  }

  async function execute (plan: NetworkPlan, answering: readonly number[], sqlLog: string[]): Promise<QueryAnswer> {
    const fragment = plan.fragments[0]
    if (fragment === undefined) {
      const mergeSql = bind(await parser.print((plan.merge as { statement: unknown }).statement))
      sqlLog.push(mergeSql)
      return answer(await merge.runAndReadAll(mergeSql))
    }
    const fragmentSql = bind(await parser.print(fragment.statement))
    if (plan.merge.kind === 'concat') {
      sqlLog.push(fragmentSql)
      const rows: unknown[][] = []
      let types: readonly string[] = []
      for (const i of answering) {
        const result = await (operators[i] as DuckDBConnection).runAndReadAll(fragmentSql)
        types = result.columnTypes().map(String)
        rows.push(...result.getRows())
      }
      const { offset, limit } = plan.merge
      return { columns: plan.outputNames, types, rows: rows.slice(offset, limit === null ? undefined : offset + limit) }
    }
    if (plan.merge.kind === 'ordered' && answering.length > 0) {
      sqlLog.push(fragmentSql)
      const merged = await orderedMerge(answering.map(i => operators[i] as DuckDBConnection), fragmentSql, plan.merge)
      if (merged !== undefined) return { ...merged, columns: plan.outputNames }
    }
    for (const each of plan.fragments) {
      const eachSql = bind(await parser.print(each.statement))
      sqlLog.push(eachSql)
      await merge.run(`DROP TABLE IF EXISTS ${each.name}`)
      if (answering.length === 0) {
        await empty.run(`CREATE OR REPLACE TABLE merge.${each.name} AS SELECT * FROM (${eachSql}) LIMIT 0`)
      }
      for (const [n, i] of answering.entries()) {
        const target = `merge.main.${each.name}`
        await (operators[i] as DuckDBConnection).run(n === 0 ? `CREATE TABLE ${target} AS ${eachSql}` : `INSERT INTO ${target} ${eachSql}`)
      }
    }
    const mergeSql = bind(await parser.print(plan.merge.statement))
    sqlLog.push(mergeSql)
    return answer(await merge.runAndReadAll(mergeSql))
  }

  return {
    operators: operators.length,
    async query (sql, options = {}) {
      const statement = await parseOne(sql)
      const bindable = bind(await parser.print(bindableStatement(statement)))
      const names = (await empty.runAndReadAll(bindable)).columnNames()
      const plan = planNetworkQuery(statement, catalog, names, { timeZone: 'UTC', now: init.now, ...options.planOptions })
      const answering = options.answeringOperators ?? operators.map((_, i) => i)
      const sqlLog: string[] = []
      let executed: NetworkPlan | EmptyPlan
      if (plan.kind === 'period') {
        const probe = await execute(plan.probe, answering, sqlLog)
        const t = probe.rows[0]?.[0]
        executed = plan.complete(t === null || t === undefined ? null : String(t))
      } else {
        executed = plan
      }
      if (executed.kind === 'empty') return { plan, executed, sql: sqlLog, columns: executed.outputNames, types: [], rows: [] }
      return { plan, executed, sql: sqlLog, ...await execute(executed, answering, sqlLog) }
    },
    async reference (sql) {
      return answer(await reference.runAndReadAll(bind(resolveDateExpressions(sql, { timeZone: 'UTC' }))))
    },
    async onOperator (i, sql) {
      return answer(await (operators[i] as DuckDBConnection).runAndReadAll(bind(resolveDateExpressions(sql, { timeZone: 'UTC' }))))
    },
    async close () {
      await parser.stop()
      for (const c of [...operators, reference, empty, merge, setup]) c.closeSync()
      instance.closeSync()
    }
  }
}

/**
 * The executor's ordered merge (network/ordered-merge.ts) over the operators' sorted rows, read as ResultBatches
 * with a hidden last column numbering each operator's rows; the answer is those rows, in the merged order.
 * undefined when a key's type is not comparable exactly (the executor merges in SQL then).
 */
async function orderedMerge (operators: readonly DuckDBConnection[], sql: string, merge: Extract<Merge, { kind: 'ordered' }>): Promise<QueryAnswer | undefined> {
  const rows: unknown[][][] = []
  const batches: ResultBatch[][] = []
  let fields: readonly ResultField[] = []
  let types: string[] = []
  for (const [o, connection] of operators.entries()) {
    const result = await connection.stream(sql)
    const reader = createResultReader(result.columnNames(), result.columnTypes())
    fields = reader.fields
    types = result.columnTypes().map(String).slice(0, merge.columns)
    rows[o] = []
    batches[o] = []
    for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const batch = reader.read(chunk)
      const ids = BigInt64Array.from({ length: batch.rowCount }, (_, r) => BigInt(o * 2 ** 32 + (rows[o] as unknown[][]).length + r))
      ;(rows[o] as unknown[][]).push(...chunk.getRows())
      ;(batches[o] as ResultBatch[]).push({ rowCount: batch.rowCount, vectors: [...batch.vectors, { kind: 'i64', values: ids, valid: null }] })
    }
  }
  if (uncomparableKey(fields, merge.keys) !== undefined) return undefined
  const idColumn = fields.length
  const stream = orderedMergeStream([...fields, { name: '__id', type: 'BIGINT' }], [], batches.map(list => (async function * () { yield * list })()),
    { keys: merge.keys, columns: idColumn + 1, offset: merge.offset, limit: merge.limit, cancel: () => {} })
  const out: unknown[][] = []
  for await (const batch of stream) {
    const ids = (batch.vectors[idColumn] as { values: BigInt64Array }).values
    for (const id of ids) out.push(((rows[Number(id / 2n ** 32n)] as unknown[][])[Number(id % 2n ** 32n)] as unknown[]).slice(0, merge.columns))
  }
  return { columns: [], types, rows: out }
}

function answer (result: DuckDBResultReader): QueryAnswer {
  return { columns: result.columnNames(), types: result.columnTypes().map(String), rows: result.getRows() }
}

async function insertRows (connection: DuckDBConnection, table: string, rows: readonly Row[]): Promise<void> {
  for (let at = 0; at < rows.length; at += 500) {
    const values = rows.slice(at, at + 500).map(row => `(${row.map(sqlLiteral).join(', ')})`).join(', ')
    await connection.run(`INSERT INTO ${table} VALUES ${values}`)
  }
}

function sqlLiteral (value: Cell): string {
  if (value === null) return 'NULL'
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'`
  return String(value)
}
