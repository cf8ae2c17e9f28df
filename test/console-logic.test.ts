/**
 * The console's logic without a browser: its ES modules (packages/node/ui) hold pure functions for requests,
 * replies, charts and the network view, loaded here as they are served. Also a guard over the files: no
 * HTML sink a piece of event data could reach, no inline script or style the page's CSP would refuse.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'

const UI = new URL('../packages/node/ui/', import.meta.url)
/** The UI modules are browser files outside any package's entry: loaded by URL, typed by what the tests use. */
async function uiModule<T> (file: string): Promise<T> {
  return await import(new URL(file, UI).href) as T
}

type Json = unknown
interface Reply { ok: boolean, status: number, json?: Json, lines?: Json[], text?: string, error?: { title: string, detail: string, code: string, status: number } }
interface RestModule {
  methodFor(command: string): 'GET' | 'POST'
  buildRequest(command: string, options: { base: string, token?: string, destination?: string, timeout?: number }): { url: string, init: { method: string, headers: Record<string, string>, body?: string } }
  interpretReply(status: number, contentType: string, text: string): Reply
  queryCommand(text: string, options: { dbms: string, scope: string }): { command?: string, destination?: string, error?: string }
}
interface Table { columns: string[], rows: Json[][], statistics?: Record<string, Json>, message?: string }
interface ResultsModule {
  firstRowKeys(text: string): string[] | undefined
  tableFromReply(reply: Reply): Table | undefined
  formatCell(value: Json): { text: string, kind: string }
  describeStatistics(statistics: Json, shownRows?: number): string
}
interface ChartSpec { xColumn: string, yColumns: string[], series: Array<{ name: string, color: string, points: Array<[number, number]> }>, omitted: number }
interface ChartModule {
  parseTimestamp(value: Json): number | undefined
  chartSpec(columns: string[], rows: Json[][], options?: { maxSeries?: number }): ChartSpec | undefined
  niceTicks(min: number, max: number, count?: number): number[]
  timeTicks(min: number, max: number, count?: number): { ticks: number[], step: number }
}
interface NetworkNode { name: string, roles: string[], cluster?: string, restOrigin?: string, tables: string[], liveness?: string, ping?: boolean, metadataInSync?: boolean, self: boolean }
interface NetworkModule {
  restOrigin(body: Json): string | undefined
  networkModel(sources: { policies?: Json[], dataNodes?: Json[], versions?: Json[], pings?: Json[], self?: string }): { nodes: NetworkNode[], clusters: string[] }
}

const rest = await uiModule<RestModule>('rest.js')
const results = await uiModule<ResultsModule>('results.js')
const chart = await uiModule<ChartModule>('chart.js')
const network = await uiModule<NetworkModule>('network.js')

describe('console requests', () => {
  it('sends sql and run client as POST JSON bodies and GET-only commands in the command header, with AnyLog-Agent', () => {
    assert.equal(rest.methodFor('sql kubearmor select 1'), 'POST')
    assert.equal(rest.methodFor('run client () sql kubearmor "select 1"'), 'POST')
    for (const c of ['get data nodes', 'blockchain get operator', 'test network', 'query explain', 'help']) assert.equal(rest.methodFor(c), 'GET', c)
    const post = rest.buildRequest("sql kubearmor format = json select 'é'\nfrom logs", { base: 'http://n:1/', token: 't0k', destination: 'network' })
    assert.equal(post.init.method, 'POST')
    assert.deepEqual(JSON.parse(post.init.body ?? ''), { command: "sql kubearmor format = json select 'é'\nfrom logs", destination: 'network' })
    assert.equal(post.init.headers['AnyLog-Agent'], 'AnyLog/1.23')
    assert.equal(post.init.headers.authorization, 'Bearer t0k')
    const get = rest.buildRequest('get data nodes\n where format = json', { base: 'http://n:1/', timeout: 5 })
    assert.equal(get.url, 'http://n:1/')
    assert.equal(get.init.headers.command, 'get data nodes where format = json', 'a header holds one line')
    assert.equal(get.init.headers.timeout, '5')
    assert.equal(get.init.headers.authorization, undefined, 'no token, no header')
    const wide = rest.buildRequest('blockchain get operator where name = 東京', { base: 'http://n:1/' })
    assert.equal(wide.init.headers.command, undefined, 'a header cannot carry it')
    assert.equal(wide.url, `http://n:1/?command=${encodeURIComponent('blockchain get operator where name = 東京')}`)
  })

  it('turns what was typed into a command: SQL with the chosen dbms and destination, whole commands as typed', () => {
    assert.deepEqual(rest.queryCommand(' select count(*) from logs; ', { dbms: 'kubearmor', scope: 'network' }), { command: 'sql kubearmor format = json select count(*) from logs', destination: 'network' })
    assert.deepEqual(rest.queryCommand('with a as (select 1) select * from a', { dbms: 'd', scope: 'local' }), { command: 'sql d format = json with a as (select 1) select * from a', destination: undefined })
    assert.deepEqual(rest.queryCommand('sql kubearmor format=table "select 1"', { dbms: 'x', scope: 'network' }), { command: 'sql kubearmor format=table "select 1"', destination: 'network' })
    assert.deepEqual(rest.queryCommand('run client () sql kubearmor "select 1"', { dbms: 'x', scope: 'network' }), { command: 'run client () sql kubearmor "select 1"', destination: undefined })
    assert.match(rest.queryCommand('select 1', { dbms: '', scope: 'network' }).error ?? '', /database/)
  })

  it('reads EdgeLake errors, in error statuses and at the end of a stream, and other failures', () => {
    const body = { method: 'post', node: 'q', err_code: 46, err_text: 'Failed to parse SQL statement', code: 'SQL_UNKNOWN_COLUMN', local_msg: "Column 'x' is not recognized" }
    const error = rest.interpretReply(400, 'application/json; charset=utf-8', JSON.stringify(body))
    assert.equal(error.ok, false)
    assert.deepEqual(error.error, { title: 'Failed to parse SQL statement', detail: "Column 'x' is not recognized", code: 'SQL_UNKNOWN_COLUMN', status: 400 })
    const streamed = rest.interpretReply(200, 'application/x-ndjson', '{"a":1}\n{"Error":{"err_text":"Command timeout","local_msg":"deadline","code":"COMMAND_TIMEOUT","rows_sent":1}}\n')
    assert.equal(streamed.ok, false)
    assert.equal(streamed.error?.code, 'COMMAND_TIMEOUT')
    const unauthorized = rest.interpretReply(401, 'text/plain', 'Unauthorized')
    assert.match(unauthorized.error?.title ?? '', /401.*token/)
    assert.equal(unauthorized.error?.detail, 'Unauthorized')
    const text = rest.interpretReply(200, 'text/plain; charset=utf-8', 'query-1@127.0.0.1:1 running')
    assert.deepEqual([text.ok, text.json, text.text], [true, undefined, 'query-1@127.0.0.1:1 running'])
  })
})

describe('console results', () => {
  it('keeps the column order of the reply text, which JavaScript objects lose for integer-like names', () => {
    const text = '{"Query":[{"b":"x","10":2,"1":"y \\" } ]","a":{"k":[1,{"z":2}]}},{"b":"w","10":3,"1":"v","a":null}],"Statistics":[{"Count":2,"Time ms":1.5,"Nodes":2}]}'
    assert.deepEqual(Object.keys(JSON.parse(text).Query[0]), ['1', '10', 'b', 'a'], 'what JSON.parse gives')
    assert.deepEqual(results.firstRowKeys(text), ['b', '10', '1', 'a'])
    const table = results.tableFromReply(rest.interpretReply(200, 'application/json', text))
    assert.deepEqual(table?.columns, ['b', '10', '1', 'a'])
    assert.deepEqual(table?.rows, [['x', 2, 'y " } ]', { k: [1, { z: 2 }] }], ['w', 3, 'v', null]])
    assert.equal(results.describeStatistics(table?.statistics, 2), '2 rows · 1.5 ms · 2 nodes')
    assert.deepEqual(results.firstRowKeys('{"Statistics":[{"Count":0}],"Query":[{"z":1,"2":2}]}'), ['z', '2'], 'Query after another key')
  })

  it('reads json:list, json:output, get ... format = json, empty answers and partial statistics', () => {
    const list = results.tableFromReply(rest.interpretReply(200, 'application/json', '[{"n":1,"0":"a"}]\n{"Statistics":[{"Count":1,"Target Nodes":3,"Participating Nodes":2}]}'))
    assert.deepEqual([list?.columns, list?.rows], [['n', '0'], [[1, 'a']]])
    assert.equal(results.describeStatistics(list?.statistics), '1 row · 2 of 3 nodes answered')
    const output = results.tableFromReply(rest.interpretReply(200, 'application/x-ndjson', '{"p":"a","3":1}\n{"p":"b","3":2}\n{"Statistics":[{"Count":2,"Nodes":0}]}\n'))
    assert.deepEqual([output?.columns, output?.rows], [['p', '3'], [['a', 1], ['b', 2]]])
    assert.equal(results.describeStatistics(output?.statistics), '2 rows · this node only')
    const nodes = results.tableFromReply(rest.interpretReply(200, 'application/json', '[{"Node Name":"op-1","Node Status":"active"},{"Node Name":"op-2","Extra":1}]'))
    assert.deepEqual(nodes?.columns, ['Node Name', 'Node Status', 'Extra'])
    assert.deepEqual(results.tableFromReply(rest.interpretReply(200, 'application/json', '{"reply":"Empty data set"}'))?.message, 'Empty data set')
    assert.equal(results.tableFromReply(rest.interpretReply(200, 'application/json', '{"deleted":"x"}')), undefined, 'not rows: shown as JSON')
    assert.deepEqual(results.formatCell(null), { text: 'NULL', kind: 'null' })
    assert.deepEqual(results.formatCell('9007199254740993'), { text: '9007199254740993', kind: 'number' })
    assert.deepEqual(results.formatCell('<img src=x onerror=alert(1)>'), { text: '<img src=x onerror=alert(1)>', kind: 'text' })
  })
})

describe('console chart', () => {
  const rows = [
    ['Passed', '2026-03-02 10:00:00.000000', 5, '2026-03-02 10:09:00.000000'],
    ['Denied', '2026-03-02 10:01:00.500000', 2, '2026-03-02 10:09:00.000000'],
    ['Passed', '2026-03-02 10:10:00.000000', 7, null],
    ['Denied', '2026-03-02 10:12:00.000000', '9007199254740993', null]
  ]
  it('charts a timestamp column against numeric columns, one line per value of the text columns', () => {
    const spec = chart.chartSpec(['result', 'min_ts', 'row_count', 'max_ts'], rows)
    assert.ok(spec !== undefined)
    assert.equal(spec.xColumn, 'min_ts', 'the first timestamp column; the second is neither x nor y')
    assert.deepEqual(spec.yColumns, ['row_count'])
    assert.deepEqual(spec.series.map(s => s.name), ['Denied', 'Passed'])
    assert.deepEqual(spec.series[1]?.points, [[Date.UTC(2026, 2, 2, 10), 5], [Date.UTC(2026, 2, 2, 10, 10), 7]])
    assert.equal(spec.series[0]?.points[0]?.[0], Date.UTC(2026, 2, 2, 10, 1, 0, 500))
    assert.equal(spec.series[0]?.points[1]?.[1], 9007199254740992, 'a big integer sent as a string is still a number to draw')
  })

  it('draws nothing for results that are not time series, and keeps the largest series', () => {
    assert.equal(chart.chartSpec(['operation', 'count(*)'], [['File', 3], ['Process', 4]]), undefined, 'no timestamp')
    assert.equal(chart.chartSpec(['t', 'pod'], [['2026-03-02 10:00:00', 'a'], ['2026-03-02 11:00:00', 'b']]), undefined, 'no number')
    assert.equal(chart.chartSpec(['t', 'n'], [['2026-03-02 10:00:00', 1]]), undefined, 'one row')
    assert.equal(chart.chartSpec(['t', 'n'], [['2026-03-02 10:00:00', 1], ['not a time', 2]]), undefined)
    const many = Array.from({ length: 15 }, (_, i) => [`pod-${i}`, '2026-03-02 10:00:00', i])
    const spec = chart.chartSpec(['pod', 't', 'n'], [...many, ...many.map(r => [r[0], '2026-03-02 11:00:00', r[2]])], { maxSeries: 10 })
    assert.equal(spec?.series.length, 10)
    assert.equal(spec?.omitted, 5)
    assert.ok(!spec?.series.some(s => s.name === 'pod-0'), 'the smallest series are the ones left out')
    const two = chart.chartSpec(['t', 'a', 'b'], [['2026-03-02', 1, 2], ['2026-03-03', 3, 4]])
    assert.deepEqual(two?.series.map(s => s.name), ['a', 'b'], 'several numeric columns: a line each')
  })

  it('parses the reply timestamps as UTC and picks round ticks', () => {
    assert.equal(chart.parseTimestamp('2026-03-02 10:00:00.250000'), Date.UTC(2026, 2, 2, 10, 0, 0, 250))
    assert.equal(chart.parseTimestamp('2026-03-02T10:00:00+02:00'), Date.UTC(2026, 2, 2, 8))
    assert.equal(chart.parseTimestamp('2026-03-02'), Date.UTC(2026, 2, 2))
    assert.equal(chart.parseTimestamp('10:00'), undefined)
    assert.deepEqual(chart.niceTicks(0, 7434), [0, 2000, 4000, 6000, 8000])
    assert.deepEqual(chart.niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1])
    assert.deepEqual(chart.niceTicks(5, 5), [0, 1, 2, 3, 4, 5])
    const { ticks, step } = chart.timeTicks(Date.UTC(2026, 2, 2, 8, 7), Date.UTC(2026, 2, 2, 13, 50))
    assert.equal(step, 3_600_000)
    assert.deepEqual(ticks, [9, 10, 11, 12, 13].map(h => Date.UTC(2026, 2, 2, h)))
  })
})

describe('console network view', () => {
  const policies = [
    { cluster: { name: 'edge-1', id: 'c1' } },
    { cluster: { parent: 'c1', name: 'edge-1', table: [{ dbms: 'kubearmor', name: 'logs' }], id: 't1' } },
    { operator: { name: 'op-1', ip: '10.0.0.1', port: 32348, rest_port: 32349, cluster: 'c1', peer_id: 'P1' } },
    { operator: { name: 'both', ip: '::1', port: 5, rest_port: 6, cluster: 'c2', peer_id: 'P2' } },
    { query: { name: 'both', ip: '::1', port: 5, rest_port: 6, peer_id: 'P2' } },
    { query: { name: 'q', ip: 'evil.example/x?', port: 1, rest_port: 2, peer_id: 'P3' } }
  ]
  it('joins node policies, tables, liveness and pings per node', () => {
    const model = network.networkModel({
      policies,
      dataNodes: [{ DBMS: 'kubearmor', Table: 'logs', 'Node Name': 'op-1', 'Node Status': 'active' }, { DBMS: 'kubearmor', Table: 'alert', 'Node Name': 'op-1', 'Node Status': 'active' }],
      versions: [{ 'Node Name': 'op-1', 'Peer ID': 'P1', 'Node Status': 'unreachable', 'Same As Local': ' ' }],
      pings: [{ Address: '10.0.0.1:32348', 'Node Type': 'operator', 'Node Name': 'op-1', Status: ' ' }, { Address: '::1:5', 'Node Name': 'both', Status: '+' }],
      self: 'q'
    })
    assert.deepEqual(model.nodes.map(n => [n.name, n.roles, n.cluster]), [['both', ['operator', 'query'], 'c2'], ['op-1', ['operator'], 'edge-1'], ['q', ['query'], undefined]])
    const op1 = model.nodes.find(n => n.name === 'op-1')
    assert.deepEqual([op1?.tables, op1?.liveness, op1?.ping, op1?.metadataInSync, op1?.restOrigin], [['kubearmor.alert', 'kubearmor.logs'], 'unreachable', false, false, 'http://10.0.0.1:32349'])
    const both = model.nodes.find(n => n.name === 'both')
    assert.deepEqual([both?.restOrigin, both?.ping], ['http://[::1]:6', true])
    const q = model.nodes.find(n => n.name === 'q')
    assert.deepEqual([q?.self, q?.liveness, q?.restOrigin], [true, 'active', undefined], 'an address that is not one makes no link')
    assert.deepEqual(model.clusters, ['c2', 'edge-1'])
  })

  it('builds REST origins only from addresses and valid ports', () => {
    assert.equal(network.restOrigin({ ip: '127.0.0.1', rest_port: 32349 }), 'http://127.0.0.1:32349')
    assert.equal(network.restOrigin({ ip: 'javascript:alert(1)//', rest_port: 1 }), undefined)
    assert.equal(network.restOrigin({ ip: '127.0.0.1', rest_port: 70000 }), undefined)
    assert.equal(network.restOrigin({ ip: '127.0.0.1' }), undefined)
  })
})

describe('console files', () => {
  const files = readdirSync(UI)
  it('put no data through an HTML parser and run no code from text', () => {
    const sinks = /\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\s*\(|new Function\b|setTimeout\s*\(\s*['"`]|createContextualFragment|DOMParser/
    const scripts = files.filter(f => f.endsWith('.js'))
    assert.ok(scripts.length >= 5, scripts.join(', '))
    for (const file of scripts) {
      const source = readFileSync(new URL(file, UI), 'utf8')
      assert.doesNotMatch(source, sinks, file)
      for (const m of source.matchAll(/import\s.*from\s+'([^']+)'/g)) assert.match(m[1] ?? '', /^\.\/[\w-]+\.js$/, `${file} imports only its sibling files (nothing from elsewhere at run time)`)
    }
  })

  it('have no inline script, style or handler that the CSP would block, and load nothing from another host', () => {
    const html = readFileSync(new URL('index.html', UI), 'utf8')
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'inline script')
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i)
    for (const m of html.matchAll(/\b(?:src|href)="([^"]*)"/g)) assert.match(m[1] ?? '', /^(ui\/[\w-]+\.(js|css)|data:,)$/, m[1])
    const css = readFileSync(new URL('style.css', UI), 'utf8')
    assert.doesNotMatch(css, /@import|url\(/, 'no stylesheet or font from elsewhere')
  })
})
