/**
 * Network queries end to end: three operator processes hold disjoint rows of the KubeArmor tables (PUT), a
 * query node process answers over the network, and one DuckDB in this process holds the union of their rows
 * as the reference. Every answer must equal the reference's (as a multiset when there is no ORDER BY, floats
 * within 1e-9). Replay the generated queries: FEDLAKE_NETWORK_SEED=<seed> [FEDLAKE_NETWORK_QUERIES=<n>].
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { silentLogger, waitFor } from '@fedlake/core'
import { createMetadataNode } from '@fedlake/metadata'
import { decodeFrame, encodeControl, SUBQUERY_PROTOCOL } from '@fedlake/sql'
import type { QueryAnswer } from './helpers/answers.js'
import { differences } from './helpers/compare-answers.js'
import { startNetworkFixture } from './helpers/network-fixture.js'
import type { NetworkFixture } from './helpers/network-fixture.js'
import { restCommand, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'
import { generateQueries } from './helpers/query-generator.js'

const SEED = Number(process.env.FEDLAKE_NETWORK_SEED ?? 4242)
const COUNT = Number(process.env.FEDLAKE_NETWORK_QUERIES ?? 320)
const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

describe('network queries over three operators', { timeout: 600_000 }, () => {
  let net: NetworkFixture
  let query: Child
  let operators: Child[]
  let url = ''
  let data: NetworkFixture['data']
  const networkAnswer = async (_url: string, sql: string, headers: Record<string, string> = {}): Promise<{ status: number, answer?: QueryAnswer, text: string }> => await net.ask(sql, headers)
  const referenceAnswer = async (sql: string): Promise<QueryAnswer> => await net.reference(sql)

  before(async () => {
    net = await startNetworkFixture(11)
    cleanups.push(async () => { await net.close() })
    ;({ query, operators, url, data } = net)
  })

  it('answers EdgeLake\'s seed queries as one DuckDB would', async () => {
    const count = await networkAnswer(url, 'select count(*) from logs')
    assert.deepEqual(count.answer?.rows, [[data.rows.reduce((n, r) => n + (r.logs?.length ?? 0), 0)]])
    const increments = await networkAnswer(url, "select increments(day, 1, updated_timestamp), result, min(updated_timestamp) as min_ts, max(updated_timestamp) as max_ts, count(*) as row_count from logs where operation='File' group by result ORDER by min_ts")
    const expected = await referenceAnswer("select result, min(updated_timestamp) as min_ts, max(updated_timestamp) as max_ts, count(*) as row_count from logs where operation='File' group by date_trunc('day', updated_timestamp), result ORDER by min_ts")
    assert.equal(increments.status, 200, increments.text)
    const got = increments.answer as QueryAnswer
    // rows tied on min_ts (the NULL timestamps) may come in any order, as in one DuckDB: the same rows, min_ts ascending
    assert.equal(differences(got, expected, false), undefined)
    const minTs = got.rows.map(r => r[1]).filter(v => v !== null) as string[]
    assert.deepEqual(minTs, [...minTs].sort())
  })

  it('gets the global top 3 right when each operator\'s own top 3 differs, and HAVING on merged counts', async () => {
    const sql = 'select pod_name, count(*) from logs where pod_name is not null group by pod_name order by count(*) desc, pod_name limit 3'
    const got = await networkAnswer(url, sql)
    const want = await referenceAnswer(sql)
    assert.equal(differences(got.answer as QueryAnswer, want, true), undefined)
    for (const op of operators) {
      const local = (await restCommand(op.ready.rest ?? '', `sql kubearmor format=json:list and stat=false "${sql}"`)).json() as Record<string, unknown>[]
      assert.notDeepEqual(local.map(r => r.pod_name), (got.answer?.rows ?? []).map(r => r[0]), 'each operator alone would answer differently')
    }
    const having = 'select pod_name, count(*) as n from logs group by pod_name having count(*) > 100 order by pod_name nulls last'
    assert.equal(differences((await networkAnswer(url, having)).answer as QueryAnswer, await referenceAnswer(having), true), undefined)
  })

  it('takes the tables qualified as an operator does: <dbms>.logs, main.logs, <dbms>.main.logs', async () => {
    const want = await referenceAnswer('select pod_name, count(*) as n from logs l join alert a using (pod_name) group by pod_name order by n desc, pod_name limit 5')
    for (const sql of [
      'select pod_name, count(*) as n from kubearmor.logs l join alert a using (pod_name) group by pod_name order by n desc, pod_name limit 5',
      'select pod_name, count(*) as n from main.logs l join kubearmor.main.alert a using (pod_name) group by pod_name order by n desc, pod_name limit 5'
    ]) {
      const got = await networkAnswer(url, sql)
      assert.equal(got.status, 200, `${sql}: ${got.text.slice(0, 300)}`)
      assert.equal(differences(got.answer as QueryAnswer, want, true), undefined, sql)
    }
    const count = await networkAnswer(url, 'select count(*) from kubearmor.logs')
    assert.deepEqual(count.answer?.rows, [[data.rows.reduce((n, r) => n + (r.logs?.length ?? 0), 0)]])
    // the names DuckDB gives the statement, not those of the query node's internal tables
    for (const sql of ['select exists(select 1 from alert) as e2, exists(select 1 from alert)', 'select (select max(pid) from logs where logs.pod_name = a.pod_name) from alert a order by 1 nulls last limit 2']) {
      const got = await networkAnswer(url, sql)
      assert.equal(got.status, 200, got.text)
      assert.deepEqual(got.answer?.columns, (await referenceAnswer(sql)).columns, sql)
    }
    const outside = await networkAnswer(url, 'select count(*) from other.logs')
    assert.equal(outside.status, 400, outside.text)
    assert.match(outside.text, /SQL_FORBIDDEN_REFERENCE/)
  })

  it('finds period()\'s latest row on whichever operator holds it', async () => {
    const got = await networkAnswer(url, "select count(*) as n, max(timestamp) as latest from logs where period(day, 2, '2026-04-10 00:00:00', timestamp)")
    const want = await referenceAnswer("select count(*) as n, max(timestamp) as latest from logs where timestamp > (select max(timestamp) from logs where timestamp <= '2026-04-10 00:00:00') - interval 2 day and timestamp <= (select max(timestamp) from logs where timestamp <= '2026-04-10 00:00:00')")
    assert.equal(differences(got.answer as QueryAnswer, want, false), undefined, got.text)
  })

  describe(`generated queries (seed ${SEED})`, () => {
    const queries = generateQueries(SEED, COUNT)
    it(`${queries.length} queries answer as one DuckDB over the union`, async () => {
      const failures: string[] = []
      for (const [index, q] of queries.entries()) {
        const got = await networkAnswer(url, q.sql)
        let want: QueryAnswer
        try {
          want = await referenceAnswer(resolveForReference(q.reference))
        } catch (err) {
          failures.push(`#${index} reference failed: ${(err as Error).message}\n  ${q.sql}`)
          continue
        }
        if (got.status !== 200 || got.answer === undefined) { failures.push(`#${index} status ${got.status}: ${got.text.slice(0, 300)}\n  ${q.sql}`); continue }
        const diff = got.answer.rows.length === 0 && want.rows.length === 0 ? undefined : differences(got.answer, want, q.ordered)
        if (diff !== undefined) failures.push(`#${index} ${diff}\n  ${q.sql}`)
      }
      assert.deepEqual(failures, [], `seed ${SEED} (replay with FEDLAKE_NETWORK_SEED=${SEED}):\n${failures.slice(0, 10).join('\n')}`)
    })
  })

  it('asks only the operators named in run client (ip:port, ...) or found by a blockchain get', async () => {
    const hostOf = (i: number): string => new URL(operators[i]?.ready.rest ?? '').host
    const logsOf = (...indexes: number[]): number => indexes.reduce((n, i) => n + (data.rows[i]?.logs?.length ?? 0), 0)
    const ask = async (targets: string, sql = 'select count(*) as n from logs'): Promise<{ status: number, text: string, json: () => unknown }> =>
      await restCommand(url, `run client (${targets}) sql kubearmor format = json:list and stat = false "${sql}"`)
    const one = await ask(hostOf(1))
    assert.equal(one.status, 200, one.text)
    assert.deepEqual(one.json(), [{ n: logsOf(1) }])
    const two = await ask(`${hostOf(0)}, ${hostOf(2)}`)
    assert.deepEqual(two.json(), [{ n: logsOf(0, 2) }])
    const byPolicy = await ask("blockchain get operator where name = 'op-3' bring.ip_port")
    assert.equal(byPolicy.status, 200, byPolicy.text)
    assert.deepEqual(byPolicy.json(), [{ n: logsOf(2) }])
    const shortForm = await ask('operator where name = op-1')
    assert.deepEqual(shortForm.json(), [{ n: logsOf(0) }])
    const grouped = await ask(hostOf(0), 'select pod_name, count(*) as n from logs group by pod_name order by pod_name')
    assert.equal((grouped.json() as { n: number }[]).reduce((n, row) => n + row.n, 0), logsOf(0), 'the groups of the named operator only')
    const unknown = await ask('127.0.0.1:1')
    assert.equal(unknown.status, 503, unknown.text)
    assert.match(unknown.text, /127\.0\.0\.1:1/, 'the error names the address')
    const nobody = await ask("blockchain get operator where name = 'nobody' bring.ip_port")
    assert.equal(nobody.status, 503, nobody.text)
    // what get status names is the p2p address the node listens on (chosen by the system for --p2p-port 0)
    const p2pPort = /\/tcp\/(\d+)/.exec(operators[0]?.ready.p2p ?? '')?.[1]
    assert.match((await restCommand(operators[0]?.ready.rest ?? '', 'get status')).text, new RegExp(`^op-1@127\\.0\\.0\\.1:${p2pPort} running`))
  })

  it('tags rows with extend, reads included tables as the queried one, and takes every way of asking', async () => {
    const perNode = await restCommand(url, 'run client () sql kubearmor extend = (+name as node, @dbms_name) and format = json:list and stat = false "select node, dbms_name, count(*) as n from logs group by all order by node"')
    assert.equal(perNode.status, 200, perNode.text)
    assert.deepEqual(perNode.json(), [0, 1, 2].map(i => ({ node: `op-${i + 1}`, dbms_name: 'kubearmor', n: data.rows[i]?.logs?.length })))
    const filtered = await networkAnswer(url, "select count(*) from logs where node = 'op-2'", {})
    assert.equal(filtered.status, 400, 'without extend there is no node column')
    const onlyOp2 = await restCommand(url, 'run client () sql kubearmor extend = (+name as node) and format = json:list and stat = false "select count(*) as n from logs where node = \'op-2\'"')
    assert.deepEqual(onlyOp2.json(), [{ n: data.rows[1]?.logs?.length }])
    const included = await restCommand(url, 'run client () sql kubearmor include = (alert) and format = json:list and stat = false "select count(*) as n from logs"')
    const all = data.rows.reduce((n, r) => n + (r.logs?.length ?? 0) + (r.alert?.length ?? 0), 0)
    assert.deepEqual(included.json(), [{ n: all }])
    const post = await fetch(url, { method: 'POST', headers: { 'User-Agent': 'AnyLog/1.23', 'content-type': 'application/json' }, body: JSON.stringify({ dbms: 'kubearmor', sql: 'select count(*) as n from alert' }) })
    assert.equal(post.status, 200)
    const postBody = await post.json() as { Query: { n: number }[], Statistics: { Nodes: number }[] }
    assert.equal(postBody.Query[0]?.n, data.rows.reduce((n, r) => n + (r.alert?.length ?? 0), 0))
    assert.equal(postBody.Statistics[0]?.Nodes, 2, 'the operators holding alert (the third holds none)')
    const explain = await restCommand(url, 'query explain sql kubearmor "select pod_name, count(*) from logs group by pod_name order by 2 desc limit 3"')
    assert.match(explain.text, /operators run/)
    assert.match(explain.text, /op-1/)
    const status = await restCommand(url, 'query status where format = json')
    assert.ok((status.json() as unknown[]).length >= 2)
  })

  it('refuses hostile SQL at the query node and at an operator that receives it over the sub-query protocol', async () => {
    const hostile = ["select * from read_csv('/etc/passwd')", "copy logs to '/tmp/x.csv'", "attach '/tmp/x.duckdb' as x", 'install httpfs', 'load httpfs',
      'pragma database_list', "set memory_limit = '10GB'", 'create table t (a int)', 'drop table logs', 'insert into logs (pid) values (1)',
      'select 1; select 2', 'select * from information_schema.tables', "select getenv('HOME')", 'select * from duckdb_settings()',
      'select 1 /* ; drop table logs */; drop table logs', "select * from glob('/etc/*')"]
    for (const sql of hostile) {
      const reply = await restCommand(url, `sql kubearmor "${sql}"`, { headers: { destination: 'network' } })
      assert.ok(reply.status >= 400 && reply.status < 500, `${sql}: ${reply.status} ${reply.text.slice(0, 200)}`)
    }
    const count = await networkAnswer(url, 'select count(*) from logs')
    assert.equal(count.status, 200)
  })

  it('has every operator refuse hostile SQL sent straight over the sub-query protocol by a member of the network', async () => {
    const dir = tempDir('net-peer')
    cleanups.push(() => { dir.remove() })
    const peer = await createMetadataNode({
      dataDir: dir.path, host: '127.0.0.1', p2pPort: 0, seeds: [query.ready.p2p ?? ''], networkName: 'fedlake', admins: [],
      heartbeatIntervalMs: 1000, unreachableAfterMs: 4000, antiEntropyIntervalMs: 5000, logger: silentLogger
    })
    await peer.start()
    cleanups.push(async () => { await peer.stop() })
    const target = operators[0] as Child
    const targetPeer = await waitFor(() => peer.catalog.nodes().find(n => n.name === 'op-1')?.peerId, { timeoutMs: 20_000, intervalMs: 100 })
    const ask = async (sql: string): Promise<string> => {
      const stream = await peer.openStream(targetPeer, SUBQUERY_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      await stream.send(encodeControl({ type: 'query', queryId: 'x', dbms: 'kubearmor', sql, timeoutMs: 5000 }))
      for await (const frame of stream.frames) {
        const decoded = decodeFrame(frame)
        if (decoded.kind === 'control' && decoded.message.type === 'error') { stream.abort(); return decoded.message.error.code }
        if (decoded.kind === 'control' && decoded.message.type === 'fields') { stream.abort(); return 'ANSWERED' }
      }
      return 'CLOSED'
    }
    assert.equal(await ask('select count(*) from logs'), 'ANSWERED', 'a member may query')
    for (const [sql, code] of [["select * from read_csv('/etc/passwd')", 'SQL_FORBIDDEN_FUNCTION'], ["copy logs to '/tmp/x.csv'", 'SQL_NOT_READ_ONLY'],
      ["attach '/tmp/x.duckdb' as x", 'SQL_NOT_READ_ONLY'], ['drop table logs', 'SQL_NOT_READ_ONLY'], ['select 1; delete from logs', 'SQL_NOT_READ_ONLY'],
      ['select * from information_schema.tables', 'SQL_FORBIDDEN_REFERENCE'], ["select current_setting('memory_limit')", 'SQL_FORBIDDEN_FUNCTION'],
      ['select count(*) from (select unnest(range(50000000)))', 'SQL_RESOURCE_LIMIT']] as const) {
      assert.equal(await ask(sql), code, sql)
    }
    const after = (await restCommand(target.ready.rest ?? '', 'sql kubearmor format=json:list and stat=false "select count(*) as n from logs"')).json() as { n: number }[]
    assert.equal(after[0]?.n, data.rows[0]?.logs?.length, 'the operator\'s data is untouched')
  })

  it('names a stopped operator within the deadline, and answers with the others under subset = true', async () => {
    const victim = operators[2] as Child
    await victim.stop('SIGKILL')
    const started = performance.now()
    const failed = await restCommand(url, 'sql kubearmor "select count(*) from logs"', { headers: { destination: 'network', timeout: '5' } })
    const elapsed = performance.now() - started
    assert.ok(failed.status >= 500, `${failed.status}: ${failed.text}`)
    assert.match(failed.text, /op-3/, 'the error names the operator')
    assert.ok(elapsed < 6000, `within the deadline (${Math.round(elapsed)} ms)`)
    const partial = await restCommand(url, 'sql kubearmor "select count(*) from logs"', { headers: { destination: 'network', subset: 'true', timeout: '5' } })
    assert.equal(partial.status, 200, partial.text)
    const body = partial.json() as { Query: { 'count(*)': number }[], Statistics: Record<string, number>[] }
    assert.equal(body.Query[0]?.['count(*)'], (data.rows[0]?.logs?.length ?? 0) + (data.rows[1]?.logs?.length ?? 0))
    assert.equal(body.Statistics[0]?.['Target Nodes'], 3)
    assert.equal(body.Statistics[0]?.['Participating Nodes'], 2)
  })

  it('names an operator that dies while the query waits for it, well before the deadline', async () => {
    const victim = operators[1] as Child
    victim.proc.kill('SIGSTOP')
    const started = performance.now()
    const pending = restCommand(url, 'sql kubearmor "select count(*) from logs"', { headers: { destination: 'network', timeout: '20', subset: 'false' } })
    setTimeout(() => { victim.proc.kill('SIGKILL') }, 700)
    const failed = await pending
    const elapsed = performance.now() - started
    assert.ok(failed.status >= 500, `${failed.status}: ${failed.text}`)
    assert.match(failed.text, /op-2|op-3/, 'the error names an operator')
    assert.ok(elapsed < 10_000, `the death is noticed, not the 20 s deadline waited out (${Math.round(elapsed)} ms)`)
    const partial = await restCommand(url, 'sql kubearmor "select count(*) from logs"', { headers: { destination: 'network', subset: 'true', timeout: '5' } })
    const body = partial.json() as { Query: { 'count(*)': number }[], Statistics: Record<string, number>[] }
    assert.equal(body.Query[0]?.['count(*)'], data.rows[0]?.logs?.length)
    assert.equal(body.Statistics[0]?.['Participating Nodes'], 1)
  })
})

/** The generator's EdgeLake date forms (now() - 20 days) in DuckDB SQL for the reference. */
function resolveForReference (sql: string): string {
  return sql.replace(/now\(\)\s*-\s*(\d+)\s*(days?|weeks?)/gi, (_m, n: string, unit: string) => `now() - INTERVAL ${n} ${unit.toLowerCase().startsWith('week') ? 'WEEK' : 'DAY'}`)
}

