/**
 * The Grafana endpoints on the REST app, over a node whose network executor and metadata are stand-ins: routing
 * (Grafana's GET / next to EdgeLake's), request and reply shapes, one run per identical statement, deadlines and
 * errors as Grafana shows them.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { FedlakeError, loadNodeConfig, silentLogger } from '@fedlake/core'
import type { CommandHandler, TableSchema } from '@fedlake/core'
import type { MetadataNode } from '@fedlake/metadata'
import type { NetworkExecutor, NetworkQuery } from '@fedlake/query'
import { batchFromValues } from '@fedlake/sql'
import type { BatchValue, ResultField, ResultStream } from '@fedlake/sql'
import { buildRestApp, createCommandRouter } from '@fedlake/node'
import { createEventLoopMonitor } from '../src/event-loop-monitor.js'
import { grafanaRoutes } from '../src/http/grafana-routes.js'
import type { NodeServices } from '../src/node-services.js'

const ALERT: TableSchema = {
  dbms: 'kubearmor',
  table: 'alert',
  columns: [{ name: 'timestamp', type: 'TIMESTAMP' }, { name: 'namespace', type: 'VARCHAR' }, { name: 'pod_name', type: 'VARCHAR' }, { name: 'severity', type: 'INTEGER' }]
}
const LOGS: TableSchema = { dbms: 'kubearmor', table: 'logs', columns: [{ name: 'timestamp', type: 'TIMESTAMP' }, { name: 'operation', type: 'VARCHAR' }] }
const catalog = {
  tables: (dbms?: string) => [ALERT, LOGS].filter(s => dbms === undefined || s.dbms === dbms).map(s => ({ dbms: s.dbms, table: s.table })),
  schema: (dbms: string, table: string) => [ALERT, LOGS].find(s => s.dbms === dbms && s.table === table)
}

function stream (fields: ResultField[], rows: BatchValue[][]): ResultStream {
  return { fields, cancel: () => {}, async * [Symbol.asyncIterator] () { yield batchFromValues(fields, rows) } }
}

/** What the stand-in executor was asked, and how it answers. */
const ran: NetworkQuery[] = []
const executor = {
  async run (query: NetworkQuery) {
    ran.push(query)
    const sql = query.command.sql
    if (sql.includes('nosuch')) throw new FedlakeError('SQL_UNKNOWN_COLUMN', "Column 'nosuch' is not recognized")
    if (sql.includes('slow')) {
      await new Promise((_resolve, reject) => { query.signal.addEventListener('abort', () => { reject(query.signal.reason) }) })
    }
    if (/distinct "?namespace/.test(sql)) return { stream: stream([{ name: 'namespace', type: 'VARCHAR' }], [['vault'], ['default'], ['vault'], [null]]), nodes: () => ({ target: 2, participating: 2 }) }
    return { stream: stream([{ name: 'count_star()', type: 'BIGINT' }], [[42]]), nodes: () => ({ target: 2, participating: 2 }) }
  }
} as unknown as NetworkExecutor

const handlers: CommandHandler[] = [
  { words: ['get', 'status'], methods: ['GET'], usage: '', async execute () { return { kind: 'text', body: 'q1@127.0.0.1:32348 running\n' } } },
  { words: ['get', 'data', 'nodes'], methods: ['GET'], usage: '', async execute () { return { kind: 'table', columns: ['Node Name', 'Node Status'], rows: [['op-1', 'active']], preferJson: true } } },
  { words: ['blockchain', 'insert'], methods: ['POST'], usage: '', async execute () { return { kind: 'json', body: { inserted: true } } } }
]

function appWith (network: NetworkExecutor | undefined): ReturnType<typeof buildRestApp> {
  const router = createCommandRouter(handlers)
  const services: NodeServices = {
    config: loadNodeConfig({ overrides: { name: 'q1', roles: ['query'] } }),
    router,
    network: () => network,
    metadata: () => ({ catalog } as unknown as MetadataNode),
    eventLoop: createEventLoopMonitor(),
    started: () => true
  }
  return buildRestApp({ nodeName: 'q1', router, logger: silentLogger, plugins: [grafanaRoutes(services, silentLogger)] })
}

const app = appWith(executor)
const GRAFANA = { 'user-agent': 'Grafana/11.2.2', 'content-type': 'application/json' }
const RANGE = { from: '2026-03-02T10:00:00.000Z', to: '2026-03-02T10:15:00.000Z', raw: { from: 'now-15m', to: 'now' } }

async function post (url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number, json: () => unknown }> {
  const res = await app.inject({ method: 'POST', url, headers: { ...GRAFANA, ...headers }, payload: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: res.statusCode, json: () => res.json() }
}

describe('Grafana routes', () => {
  after(async () => { await app.close() })

  it('answers Grafana\'s datasource test with OK, and leaves EdgeLake\'s GET / as it was', async () => {
    const test = await app.inject({ method: 'GET', url: '/', headers: { 'user-agent': 'Grafana/11.2.2' } })
    assert.equal(test.statusCode, 200)
    assert.equal(test.body, 'OK')
    assert.equal(test.headers['access-control-allow-origin'], '*')
    const curl = await app.inject({ method: 'GET', url: '/', headers: { 'user-agent': 'curl/8.5.0' } })
    assert.equal(curl.body, 'q1@127.0.0.1:32348 running\n')
    const withCommand = await app.inject({ method: 'GET', url: '/', headers: { 'user-agent': 'Grafana/11.2.2', command: 'get status' } })
    assert.equal(withCommand.body, 'q1@127.0.0.1:32348 running\n')
    const anyPath = await app.inject({ method: 'GET', url: '/api/health', headers: { 'user-agent': 'Grafana/10.4.1' } })
    assert.equal(anyPath.body, 'OK')
  })

  it('lists the network\'s tables as metrics with their payload fields, and the choices of a field', async () => {
    const metrics = await post('/metrics', '')
    assert.equal(metrics.status, 200)
    const list = metrics.json() as { value: string, payloads: { name: string }[] }[]
    assert.deepEqual(list.map(m => m.value), ['kubearmor.alert', 'kubearmor.logs'])
    assert.ok(list[0]?.payloads.some(p => p.name === 'sql'))
    assert.deepEqual((await post('/metrics', {}, { 'al.dbms.kubearmor': '' })).json(), (list.map(m => ({ ...m, value: m.value.split('.')[1], label: m.value.split('.')[1] }))))
    assert.deepEqual((await post('/search', { target: '' })).json(), ['kubearmor.alert', 'kubearmor.logs'])
    assert.deepEqual((await post('/metric-payload-options', { metric: 'kubearmor.alert', payload: {}, name: 'value_column' })).json(), [{ label: 'severity', value: 'severity' }])
    assert.deepEqual((await post('/metric-payload-options', { metric: 'kubearmor.alert', payload: {}, name: 'format_as' })).json(), [{ label: 'table', value: 'table' }, { label: 'timeseries', value: 'timeseries' }])
  })

  it('answers /query with typed tables, one network run per identical statement', async () => {
    ran.length = 0
    const payload = '{"sql": "select count(*) from alert", "time_range": false}'
    const res = await post('/query', {
      range: RANGE, intervalMs: 2000, maxDataPoints: 100, timezone: 'utc', requestId: 'Q1', app: 'dashboard', unknownField: { x: 1 },
      targets: [{ refId: 'A', target: 'kubearmor.alert', payload }, { refId: 'B', target: 'kubearmor.alert', payload }, { refId: 'C', target: 'kubearmor.alert', hide: true, payload }]
    })
    assert.equal(res.status, 200)
    assert.deepEqual(res.json(), [
      { type: 'table', refId: 'A', columns: [{ text: 'count(*)', type: 'number' }], rows: [[42]] },
      { type: 'table', refId: 'B', columns: [{ text: 'count(*)', type: 'number' }], rows: [[42]] }
    ])
    assert.equal(ran.length, 1)
    assert.equal(ran[0]?.command.sql, 'select count(*) from alert limit 100')
    assert.equal(ran[0]?.subset, false)
    await post('/query', { range: RANGE, targets: [{ refId: 'A', target: 'kubearmor.alert', payload }] }, { subset: 'true' })
    assert.equal(ran[1]?.subset, true)
  })

  it('runs info payloads as GET commands', async () => {
    const res = await post('/query', { targets: [{ refId: 'A', target: 'kubearmor.alert', payload: { type: 'info', details: 'get data nodes where format = json' } }] })
    assert.deepEqual(res.json(), [{ type: 'table', refId: 'A', columns: [{ text: 'Node Name', type: 'string' }, { text: 'Node Status', type: 'string' }], rows: [['op-1', 'active']] }])
    const write = await post('/query', { targets: [{ refId: 'A', target: 'x', payload: { type: 'info', details: 'blockchain insert where policy = {}' } }] })
    assert.equal(write.status, 400)
    assert.match((write.json() as { message: string }).message, /^A: 'blockchain insert' must be sent with POST/)
  })

  it('answers errors with their status and a message Grafana shows', async () => {
    const unknown = await post('/query', { range: RANGE, targets: [{ refId: 'B', target: 'kubearmor.alert', payload: { sql: 'select nosuch from alert' } }] })
    assert.equal(unknown.status, 400)
    assert.deepEqual(unknown.json(), { message: "B: Column 'nosuch' is not recognized", code: 'SQL_UNKNOWN_COLUMN', err_code: 46, err_text: 'Failed to parse SQL statement' })
    const badJson = await post('/query', '{"targets": [')
    assert.equal(badJson.status, 400)
    assert.equal((badJson.json() as { code: string }).code, 'GRAFANA_BAD_REQUEST')
    const badPayload = await post('/query', { targets: [{ refId: 'A', target: 'kubearmor.alert', payload: { type: 'map' } }] })
    assert.equal((badPayload.json() as { code: string }).code, 'GRAFANA_UNSUPPORTED')
    const noQueryRole = appWith(undefined)
    const res = await noQueryRole.inject({ method: 'POST', url: '/query', headers: GRAFANA, payload: JSON.stringify({ targets: [{ refId: 'A', target: 'kubearmor.alert', payload: { sql: 'select 1 from alert' } }] }) })
    assert.equal(res.statusCode, 501)
    assert.match(res.json<{ message: string }>().message, /point Grafana at a query node/)
    await noQueryRole.close()
  })

  it('ends a query at the request\'s deadline', async () => {
    const started = Date.now()
    const res = await post('/query', { targets: [{ refId: 'A', target: 'kubearmor.alert', payload: { sql: 'select slow from alert', time_range: false } }] }, { timeout: '300 ms' })
    assert.equal(res.status, 504)
    assert.equal((res.json() as { code: string }).code, 'COMMAND_TIMEOUT')
    assert.ok(Date.now() - started < 5000)
  })

  it('answers variable queries as __text/__value pairs (SQL over the network, or a command)', async () => {
    const sql = await post('/variable', { payload: { target: 'sql kubearmor "select distinct namespace from alert"' }, range: RANGE })
    assert.deepEqual(sql.json(), [{ __text: 'vault', __value: 'vault' }, { __text: 'default', __value: 'default' }])
    const select = await post('/variable', { payload: { target: 'select distinct namespace from alert' } }, { 'al.dbms.kubearmor': '' })
    assert.equal((select.json() as unknown[]).length, 2)
    const noDbms = await post('/variable', { payload: { target: 'select distinct namespace from alert' } })
    assert.equal(noDbms.status, 400)
    const raw = await post('/variable', { payload: { target: 'kubearmor.alert', sql: 'select distinct namespace from alert' }, range: RANGE })
    assert.equal((raw.json() as unknown[]).length, 2)
    assert.match(ran.at(-1)?.command.sql ?? '', /where "timestamp" >= '2026-03-02T10:00:00.000Z'/, 'a raw JSON variable payload gets the time range')
    const command = await post('/variable', { payload: { target: 'get data nodes where format = json' } })
    assert.deepEqual(command.json(), [{ __text: 'op-1', __value: 'op-1' }])
    const legacy = await post('/search', { target: 'sql kubearmor "select distinct namespace from alert"' })
    assert.deepEqual(legacy.json(), [{ text: 'vault', value: 'vault' }, { text: 'default', value: 'default' }])
  })

  it('offers the text columns as ad-hoc filter keys and their values from the network', async () => {
    assert.deepEqual((await post('/tag-keys', {})).json(), [{ type: 'string', text: 'namespace' }, { type: 'string', text: 'operation' }, { type: 'string', text: 'pod_name' }])
    const values = await post('/tag-values', { key: 'namespace' })
    assert.deepEqual(values.json(), [{ text: 'default' }, { text: 'vault' }])
    assert.equal(ran.at(-1)?.command.sql, 'select distinct "namespace" from "alert" where "namespace" is not null order by 1 limit 1000')
    assert.deepEqual((await post('/annotations', {})).json(), [])
  })
})
