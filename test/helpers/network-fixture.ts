/**
 * A network for end-to-end query tests: a query node and three operator processes holding disjoint rows of the
 * KubeArmor tables (test/helpers/kubearmor-data.ts, sent by PUT), and one DuckDB in this process holding the union
 * of their rows: the reference every network answer must equal. Answers of both sides come in one shape
 * (`normalized`), so they compare with compare-answers.ts.
 */
import assert from 'node:assert/strict'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api'
import { waitFor } from '@fedlake/core'
import type { QueryAnswer, Row } from './answers.js'
import { generateKubeArmorData } from './kubearmor-data.js'
import type { GeneratedData } from './kubearmor-data.js'
import { restCommand, startFedlake, tempDir } from './processes.js'
import type { Child } from './processes.js'

export const TABLES = ['logs', 'alert'] as const

export interface NetworkFixture {
  readonly data: GeneratedData
  readonly query: Child
  readonly operators: Child[]
  /** The query node's REST URL. */
  readonly url: string
  /** One network query as a client sends it (json:list, no statistics), its rows normalized. */
  ask(sql: string, headers?: Record<string, string>): Promise<{ status: number, answer?: QueryAnswer, text: string }>
  /** The same SQL (plain DuckDB) on the reference, normalized. */
  reference(sql: string): Promise<QueryAnswer>
  /** Rows of a table over every operator. */
  total(table: string): number
  /**
   * PUTs one more table's rows (JSON objects, per operator index; an operator with none does not hold the table),
   * waits until the network answers its count, and adds the union of the rows to the reference.
   */
  addTable(table: string, rowsByOperator: readonly (readonly Readonly<Record<string, Row[number]>>[])[]): Promise<void>
  close(): Promise<void>
}

/** A table of the queried dbms besides logs and alert, sent by PUT (types inferred by the operators): rows[operator]. */
export interface ExtraTable {
  readonly name: string
  readonly rows: readonly (readonly Readonly<Record<string, Row[number]>>[])[]
}

export async function startNetworkFixture (seed = 11, extraNodeArgs: readonly string[] = [], extraTables: readonly ExtraTable[] = []): Promise<NetworkFixture> {
  const data = generateKubeArmorData(seed)
  const tableRows = (table: string, op: number): readonly Row[] | readonly Readonly<Record<string, Row[number]>>[] =>
    extraTables.find(t => t.name === table)?.rows[op] ?? data.rows[op]?.[table] ?? []
  const tables = [...TABLES, ...extraTables.map(t => t.name)]
  const cleanups: Array<() => Promise<unknown> | unknown> = []
  const startNode = async (name: string, roles: string, seeds: string[]): Promise<Child> => {
    const dir = tempDir(`net-${name}`)
    cleanups.push(() => { dir.remove() })
    const child = await startFedlake(['node', '--name', name, '--roles', roles, '--rest-port', '0', '--p2p-port', '0', '--data-dir', dir.path,
      '--cluster', `${name}-cluster`, ...(seeds.length > 0 ? ['--seeds', seeds.join(',')] : []), ...extraNodeArgs])
    cleanups.push(async () => { await child.stop('SIGKILL') })
    return child
  }
  const close = async (): Promise<void> => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } }
  try {
    const query = await startNode('query-1', 'query', [])
    const url = query.ready.rest ?? ''
    const operators = await Promise.all([0, 1, 2].map(async i => await startNode(`op-${i + 1}`, 'operator', [query.ready.p2p ?? ''])))
    const ndjson = (table: string, rows: ReturnType<typeof tableRows>): string => {
      const columns = table === 'logs' ? data.schemas.logs.columns : data.schemas.alert.columns
      return rows.map(row => JSON.stringify(Array.isArray(row) ? Object.fromEntries(columns.map((c, i) => [c.name, row[i] ?? null])) : row)).join('\n')
    }
    const put = async (op: Child, table: string, body: string): Promise<void> => {
      const res = await fetch(op.ready.rest ?? '', { method: 'PUT', headers: { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'kubearmor', table }, body })
      assert.equal(res.status, 200, await res.text())
    }
    for (const [i, op] of operators.entries()) {
      for (const table of tables) {
        const rows = tableRows(table, i)
        if (rows.length > 0) await put(op, table, ndjson(table, rows))
      }
    }
    const total = (table: string): number => operators.reduce((n, _, i) => n + tableRows(table, i).length, 0)
    const ask = async (sql: string, headers: Record<string, string> = {}): Promise<{ status: number, answer?: QueryAnswer, text: string }> => {
      const reply = await restCommand(url, `sql kubearmor format=json:list and stat=false "${sql}"`, { headers: { destination: 'network', ...headers } })
      if (reply.status !== 200) return { status: reply.status, text: reply.text }
      const rows = reply.json() as Record<string, unknown>[]
      const columns = rows[0] === undefined ? [] : Object.keys(rows[0])
      return { status: 200, text: reply.text, answer: normalized({ columns, types: [], rows: rows.map(r => Object.values(r)) }) }
    }
    for (const table of tables) {
      await waitFor(async () => (await ask(`select count(*) as n from ${table}`)).answer?.rows[0]?.[0] === total(table), { timeoutMs: 30_000, intervalMs: 200 })
    }
    // the reference: one DuckDB holding every operator's rows, with the types the operators inferred
    const instance = await DuckDBInstance.create(':memory:')
    const connection: DuckDBConnection = await instance.connect()
    cleanups.unshift(() => { connection.closeSync(); instance.closeSync() })
    /** The table in the reference, with the column types the operators inferred; rows are arrays (logs, alert) or objects. */
    const referenceTable = async (table: string, rows: ReadonlyArray<Row | Readonly<Record<string, Row[number]>>>): Promise<void> => {
      const columns = (await restCommand(url, `get columns where dbms = kubearmor and table = ${table} and format = json`)).json() as Record<string, string>
      await connection.run(`CREATE TABLE ${table} (${Object.entries(columns).map(([c, t]) => `"${c}" ${t}`).join(', ')})`)
      const schema = table === 'logs' ? data.schemas.logs : table === 'alert' ? data.schemas.alert : undefined
      const names = schema === undefined ? Object.keys(columns) : schema.columns.map(c => c.name)
      const appender = await connection.createAppender(table)
      const types = names.map(name => columns[name] ?? 'varchar')
      for (const row of rows) {
        const cells: Row = Array.isArray(row) ? row : names.map(name => (row as Readonly<Record<string, Row[number]>>)[name] ?? null)
        types.forEach((type, i) => { appendCell(appender, type, cells[i] ?? null) })
        appender.endRow()
      }
      appender.closeSync()
    }
    for (const table of tables) await referenceTable(table, operators.flatMap((_, op) => [...tableRows(table, op)]))
    const reference = async (sql: string): Promise<QueryAnswer> => {
      const result = await connection.runAndReadAll(sql)
      const types = result.columnTypes().map(t => t.toString())
      const raw = result.getRows()
      // INTERVALs as DuckDB prints them (replies carry DuckDB's text for them), the rest as DuckDB's JSON
      const rows = result.getRowsJson().map((row, r) => row.map((v, c) => types[c] === 'INTERVAL' && v !== null ? String(raw[r]?.[c]) : v))
      return normalized({ columns: result.columnNames(), types: [], rows })
    }
    const addTable = async (table: string, rowsByOperator: readonly (readonly Readonly<Record<string, Row[number]>>[])[]): Promise<void> => {
      for (const [i, rows] of rowsByOperator.entries()) {
        const op = operators[i]
        if (op !== undefined && rows.length > 0) await put(op, table, rows.map(r => JSON.stringify(r)).join('\n'))
      }
      const all = rowsByOperator.flat()
      await waitFor(async () => (await ask(`select count(*) as n from ${table}`)).answer?.rows[0]?.[0] === all.length, { timeoutMs: 30_000, intervalMs: 200 })
      await referenceTable(table, all)
    }
    return { data, query, operators, url, ask, reference, total, addTable, close }
  } catch (err) {
    await close()
    throw err
  }
}

function appendCell (appender: DuckDBAppender, type: string, v: Row[number]): void {
  if (v === null) appender.appendNull()
  else if (type.startsWith('timestamp')) appender.appendVarchar(String(v))
  else if (type === 'bigint' || type === 'integer') appender.appendBigInt(BigInt(v as number))
  else if (type === 'double') appender.appendDouble(Number(v))
  else if (type === 'boolean') appender.appendBoolean(v === true)
  else appender.appendVarchar(String(v))
}

/**
 * One shape for both sides: the reference's DuckDB JSON (BIGINT as strings, timestamps without trailing zeros,
 * count_star()) and the reply's (numbers when exact, timestamps with microseconds, count(*)).
 */
export function normalized (answer: QueryAnswer): QueryAnswer {
  return { columns: answer.columns.map(c => c === 'count_star()' ? 'count(*)' : c), types: [], rows: answer.rows.map(r => r.map(jsonCell)) }
}

function jsonCell (value: unknown): unknown {
  if (typeof value === 'string') {
    if (/^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(value) || value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value)
    if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(value)) return value.padEnd(26, value.includes('.') ? '0' : '.000000').replace(/(\.\d{6})\d*$/, '$1')
    return value
  }
  // list elements as cells too: the reply's numbers and timestamps against DuckDB's JSON strings
  if (Array.isArray(value)) return JSON.stringify(value.map(jsonCell))
  if (value !== null && typeof value === 'object') return JSON.stringify(value)
  return value
}
