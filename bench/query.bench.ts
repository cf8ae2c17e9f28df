/**
 * npm run bench:query — network queries against one DuckDB, side by side in one run.
 *
 * Three operator processes each hold BENCH_ROWS KubeArmor log rows (default 1,000,000; built straight into their
 * DuckDB files) and a query node process answers over the network; one DuckDB in this process holds the same
 * rows (3 × BENCH_ROWS) as the baseline. For each query: p50 and p95 of fedlake (HTTP to the query node, as curl
 * sends it, `format=json and stat=false`) and of the baseline (DuckDB's query plus JSON of its rows, what any
 * server would pay), run alternately so both see the same machine, and their ratio. Then the query node's RSS.
 *
 * A second part (BENCH_EDGELAKE=0 skips it) runs the same queries on EdgeLake's published setup, 200,000 rows on
 * two operators, against EdgeLake's measured medians on this kind of machine (reference/edgelake.md, issue 9).
 * BENCH_RUNS sets the runs per query (default 40); BENCH_ONLY=<text> runs only the queries whose name contains it.
 *
 * A third part (BENCH_STREAM=0 skips it; BENCH_QUERIES=0 skips the first) streams a big plain SELECT: BENCH_STREAM_ROWS rows (default 5,000,000) on
 * two operators, `select * from logs` as json:output to a client reading as fast as it can, beside one DuckDB
 * writing the same rows as NDJSON (COPY ... (FORMAT json) to /dev/null), alternately, BENCH_STREAM_RUNS times each
 * (default 2): the time of each and the query node's RSS growth (its peak over its RSS before the stream).
 *
 * A fourth part (BENCH_ORDER=0 skips it) does the same with ORDER BY and no LIMIT over BENCH_ORDER_ROWS rows
 * (default 1,000,000) on two operators, more than the query node's 128 MiB merge DuckDB holds: the operators sort,
 * the query node merges their sorted streams; beside one DuckDB sorting the union (COPY ... ORDER BY ... FORMAT json).
 */
import '@fedlake/core/polyfills'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import { waitFor } from '@fedlake/core'
import type { TableSchema } from '@fedlake/core'
import { createKubeArmorMappings } from '@fedlake/operator'
import { restCommand, startFedlake } from '../test/helpers/processes.js'
import type { Child } from '../test/helpers/processes.js'
import { fmt, percentile, rssMb, timedSideBySide } from './measure.js'
import { MERGED_QUERIES, QUERIES } from './queries.js'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 40)
const STREAM_ROWS = Number(process.env.BENCH_STREAM_ROWS ?? 5_000_000)
const STREAM_RUNS = Number(process.env.BENCH_STREAM_RUNS ?? 2)
/** Only the queries whose name contains this text, e.g. BENCH_ONLY=join. */
const ONLY = process.env.BENCH_ONLY
const ORDER_ROWS = Number(process.env.BENCH_ORDER_ROWS ?? 1_000_000)

/** EdgeLake on this kind of machine, 200,000 rows on 2 operators: medians in ms (issue 9). Its top-3 and HAVING answers were wrong. */
const EDGELAKE_MS: Readonly<Record<string, number>> = {
  'count(*)': 6.9, 'group by pod_name': 67, 'group by 3 columns': 178, 'increments(hour) + where': 258, 'period(day) count(*)': 8.6
}

/** The logs table's rows, generated in SQL: skewed pods, a few namespaces and operations, timestamps over the last 2 days. */
function generateSql (table: string, rows: number, seed: number, nowUs: number): string {
  const pick = (values: readonly string[], salt: number): string => `(['${values.join("','")}'])[1 + (hash(i, ${seed}, ${salt}) % ${values.length})::INTEGER]`
  const pods = Array.from({ length: 40 }, (_, p) => `pod-${p}`)
  return `INSERT INTO ${table} SELECT
    make_timestamp(${nowUs} - (hash(i, ${seed}, 1) % 172800000000)::BIGINT) AS "timestamp",
    make_timestamp(${nowUs} - (hash(i, ${seed}, 1) % 172800000000)::BIGINT + 1000) AS updated_timestamp,
    'edge-${seed}' AS cluster_name, ${pick(['node-1', 'node-2', 'node-3', 'node-4'], 2)} AS hostname,
    ${pick(['default', 'kube-system', 'prod', 'dev', 'monitoring'], 3)} AS namespace, 'Deployment' AS owner_ref,
    ${pick(['web', 'api', 'db', 'cache'], 4)} AS owner_name, 'default' AS owner_namespace,
    CASE WHEN hash(i, ${seed}, 5) % 10 < 6 THEN ${pick(pods.slice(0, 5), 6)} ELSE ${pick(pods, 7)} END AS pod_name,
    'app=web' AS labels, 'c' || (hash(i, ${seed}, 8) % 200) AS container_id, ${pick(['nginx', 'envoy', 'postgres', 'redis'], 9)} AS container_name,
    'nginx:1.27' AS container_image, (hash(i, ${seed}, 10) % 65000)::INTEGER AS host_ppid, (hash(i, ${seed}, 11) % 65000)::INTEGER AS host_pid,
    (hash(i, ${seed}, 12) % 2000)::INTEGER AS ppid, (hash(i, ${seed}, 13) % 50000)::INTEGER AS pid, ([0, 0, 1000, 65534])[1 + (hash(i, ${seed}, 14) % 4)::INTEGER] AS uid,
    '/bin/sh' AS parent_process_name, ${pick(['/usr/bin/curl', '/bin/cat', '/usr/sbin/nginx', '/bin/ls', '/usr/bin/python3'], 15)} AS process_name,
    'ContainerLog' AS type, '/bin/sh -c' AS source, ${pick(['File', 'File', 'Process', 'Network', 'Syscall'], 16)} AS operation,
    '/etc/passwd' AS resource, 'flags=O_RDONLY' AS data, ${pick(['Passed', 'Passed', 'Passed', 'Permission denied', 'No such file or directory'], 17)} AS result,
    '/' AS cwd, '' AS tty, 'n' || (hash(i, ${seed}, 18) % 4) AS node_id, 'root' AS user_name
    FROM range(${rows}) t(i)`
}

async function createLogs (connection: DuckDBConnection, schema: TableSchema): Promise<void> {
  await connection.run(`CREATE TABLE logs (${schema.columns.map(c => `"${c.name}" ${c.type}`).join(', ')})`)
}

interface Setup { query: Child, operators: Child[], baseline: DuckDBConnection, close: () => Promise<void> }

/** `nodeConfig`: every node's config file (JSON), e.g. longer deadlines (an operator caps a sub-query's time by its own). */
async function setUp (operatorCount: number, rowsEach: number, nodeConfig?: Record<string, unknown>): Promise<Setup> {
  const root = mkdtempSync(join(tmpdir(), 'fedlake-bench-query-'))
  const configArgs: string[] = []
  if (nodeConfig !== undefined) {
    writeFileSync(join(root, 'node.json'), JSON.stringify(nodeConfig))
    configArgs.push('--config', join(root, 'node.json'))
  }
  const schema = (createKubeArmorMappings({ dbms: 'kubearmor' }).byStream.logs[0] as { schema: TableSchema }).schema
  const nowUs = Date.now() * 1000
  const baselineInstance = await DuckDBInstance.create(':memory:')
  const baseline = await baselineInstance.connect()
  await createLogs(baseline, schema)
  process.stdout.write(`building ${operatorCount} × ${rowsEach.toLocaleString('en')} rows...\n`)
  for (let op = 0; op < operatorCount; op++) {
    const dir = join(root, `op-${op + 1}`, 'duckdb')
    mkdirSync(dir, { recursive: true })
    const instance = await DuckDBInstance.create(join(dir, 'kubearmor.duckdb'))
    const c = await instance.connect()
    await createLogs(c, schema)
    await c.run(generateSql('logs', rowsEach, op + 1, nowUs))
    await c.run('CHECKPOINT')
    c.closeSync()
    instance.closeSync()
    await baseline.run(generateSql('logs', rowsEach, op + 1, nowUs))
  }
  const query = await startFedlake(['node', ...configArgs, '--name', 'query-1', '--roles', 'query', '--rest-port', '0', '--p2p-port', '0', '--data-dir', join(root, 'query-1')])
  const operators = await Promise.all(Array.from({ length: operatorCount }, async (_, op) => await startFedlake([
    'node', ...configArgs, '--name', `op-${op + 1}`, '--roles', 'operator', '--rest-port', '0', '--p2p-port', '0', '--data-dir', join(root, `op-${op + 1}`),
    '--cluster', `cluster-${op + 1}`, '--seeds', query.ready.p2p ?? ''])))
  const url = query.ready.rest ?? ''
  await waitFor(async () => {
    const reply = await restCommand(url, 'sql kubearmor format=json and stat=false "select count(*) as n from logs"', { headers: { destination: 'network' } })
    return reply.status === 200 && (reply.json() as { Query: { n: number }[] }).Query[0]?.n === operatorCount * rowsEach
  }, { timeoutMs: 120_000, intervalMs: 250, what: 'the query node to see every operator\'s rows' })
  return {
    query,
    operators,
    baseline,
    close: async () => {
      await Promise.all([query, ...operators].map(async c => await c.stop()))
      baseline.closeSync()
      baselineInstance.closeSync()
      rmSync(root, { recursive: true, force: true })
    }
  }
}

async function measure (setup: Setup, runs: number): Promise<Map<string, { fed: number[], duck: number[] }>> {
  const url = setup.query.ready.rest ?? ''
  const out = new Map<string, { fed: number[], duck: number[] }>()
  for (const q of [...QUERIES, ...MERGED_QUERIES].filter(q => ONLY === undefined || q.name.includes(ONLY))) {
    let failure: string | undefined
    const [fed, duck] = await timedSideBySide(runs, async () => {
      const reply = await restCommand(url, `sql kubearmor format=json and stat=false "${q.network}"`, { headers: { destination: 'network', timeout: '60' } })
      if (reply.status !== 200) failure = reply.text
    }, async () => {
      const result = await setup.baseline.runAndReadAll(q.duckdb)
      JSON.stringify(result.getRowObjectsJson())
    })
    if (failure !== undefined) throw new Error(`${q.name}: ${failure}`)
    out.set(q.name, { fed, duck })
  }
  return out
}

function report (title: string, results: Map<string, { fed: number[], duck: number[] }>, edgeLake: boolean): void {
  const lines = [title, '', '| query | fedlake p50 | p95 | one DuckDB p50 | p95 | fedlake / DuckDB (p50) |' + (edgeLake ? ' EdgeLake p50 | EdgeLake / fedlake |' : ''),
    '|---|---|---|---|---|---|' + (edgeLake ? '---|---|' : '')]
  for (const [name, { fed, duck }] of results) {
    const f50 = percentile(fed, 0.5)
    const d50 = percentile(duck, 0.5)
    const el = EDGELAKE_MS[name]
    lines.push(`| ${name} | ${fmt(f50)} ms | ${fmt(percentile(fed, 0.95))} ms | ${fmt(d50)} ms | ${fmt(percentile(duck, 0.95))} ms | ${(f50 / d50).toFixed(2)} |` +
      (edgeLake ? ` ${el === undefined ? '—' : `${el} ms`} | ${el === undefined ? '—' : `${(el / f50).toFixed(1)}×`} |` : ''))
  }
  lines.push('', `load average (1, 5 min) at the end: ${loadavg().slice(0, 2).map(l => l.toFixed(1)).join(', ')} on ${availableParallelism()} cores`)
  process.stdout.write(lines.join('\n') + '\n\n')
}

if (process.env.BENCH_QUERIES !== '0') {
  const big = await setUp(3, ROWS)
  try {
    const results = await measure(big, RUNS)
    report(`fedlake (3 operators × ${ROWS.toLocaleString('en')} rows) vs one DuckDB (${(3 * ROWS).toLocaleString('en')} rows), ${RUNS} runs each`, results, false)
    process.stdout.write(`query node RSS: ${rssMb(big.query.proc.pid)} MB; operators: ${big.operators.map(o => rssMb(o.proc.pid)).join(', ')} MB\n\n`)
  } finally {
    await big.close()
  }
}

if (process.env.BENCH_EDGELAKE !== '0') {
  const small = await setUp(2, 100_000)
  try {
    report('EdgeLake\'s setup: 2 operators × 100,000 rows (EdgeLake medians from the same kind of machine)', await measure(small, RUNS), true)
  } finally {
    await small.close()
  }
}

/** One big SELECT streamed as json:output by a client reading at full speed: seconds, bytes, rows, the query node's RSS growth. */
async function streamOnce (setup: Setup, sql = 'select * from logs'): Promise<{ seconds: number, bytes: number, rows: number, rssGrowthMb: number }> {
  const pid = setup.query.proc.pid
  const before = rssMb(pid)
  let peak = before
  const sampler = setInterval(() => { peak = Math.max(peak, rssMb(pid)) }, 50)
  const started = performance.now()
  let bytes = 0
  let rows = 0
  try {
    const res = await fetch(setup.query.ready.rest ?? '', {
      headers: { 'User-Agent': 'AnyLog/1.23', command: `sql kubearmor format=json:output and stat=false "${sql}"`, destination: 'network', timeout: '1800' }
    })
    if (res.status !== 200) throw new Error(`the stream failed: ${res.status} ${await res.text()}`)
    let last: Uint8Array = new Uint8Array()
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        bytes += chunk.byteLength
        last = chunk
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++
      }
    } catch (err) {
      // a cut stream ends with its error record
      const tail = new TextDecoder().decode(last.subarray(-600))
      const logs = [setup.query, ...setup.operators].map(c => c.output().split('\n').filter(l => /"level":"(warn|error)"|silent/.test(l)).slice(-5).join('\n'))
      throw new Error(`the stream was cut after ${rows} rows: ${(err as Error).message}\n${tail}\n${logs.join('\n')}`, { cause: err })
    }
  } finally {
    clearInterval(sampler)
  }
  return { seconds: (performance.now() - started) / 1000, bytes, rows, rssGrowthMb: peak - before }
}

if (process.env.BENCH_STREAM !== '0') {
  const each = Math.ceil(STREAM_ROWS / 2)
  const stream = await setUp(2, each, { limits: { maxCommandTimeoutMs: 3_600_000 } })
  try {
    const fed: Array<Awaited<ReturnType<typeof streamOnce>>> = []
    const duck: number[] = []
    for (let run = 0; run < STREAM_RUNS; run++) {
      const result = await streamOnce(stream)
      if (result.rows !== 2 * each) throw new Error(`streamed ${result.rows} rows of ${2 * each}`)
      fed.push(result)
      const started = performance.now()
      await stream.baseline.run("COPY (SELECT * FROM logs) TO '/dev/null' (FORMAT json)")
      duck.push((performance.now() - started) / 1000)
    }
    const lines = [`A big plain SELECT: 2 operators × ${each.toLocaleString('en')} rows, \`select * from logs\` as json:output vs one DuckDB writing the same rows as NDJSON`, '',
      '| run | fedlake | rows/s | NDJSON | query node RSS growth | one DuckDB (COPY ... FORMAT json) | fedlake / DuckDB |', '|---|---|---|---|---|---|---|']
    for (const [run, f] of fed.entries()) {
      const d = duck[run] ?? NaN
      lines.push(`| ${run + 1} | ${f.seconds.toFixed(1)} s | ${Math.round(f.rows / f.seconds).toLocaleString('en')} | ${(f.bytes / 1e9).toFixed(2)} GB | ${f.rssGrowthMb} MB | ${d.toFixed(1)} s | ${(f.seconds / d).toFixed(1)} |`)
    }
    lines.push('', `operators' RSS after: ${stream.operators.map(o => rssMb(o.proc.pid)).join(', ')} MB; load average (1, 5 min): ${loadavg().slice(0, 2).map(l => l.toFixed(1)).join(', ')} on ${availableParallelism()} cores`)
    process.stdout.write(lines.join('\n') + '\n\n')
  } finally {
    await stream.close()
  }
}

if (process.env.BENCH_ORDER !== '0') {
  const each = Math.ceil(ORDER_ROWS / 2)
  const ordered = await setUp(2, each, { limits: { maxCommandTimeoutMs: 3_600_000 } })
  const orderBy = '"timestamp" DESC, pid, container_id'
  try {
    const lines = [`A big ORDER BY without LIMIT: 2 operators × ${each.toLocaleString('en')} rows (default memory budget: a 128 MiB merge DuckDB), \`select * from logs order by ${orderBy}\` as json:output vs one DuckDB writing the same rows sorted as NDJSON`, '',
      '| run | fedlake | rows/s | NDJSON | query node RSS growth | one DuckDB (COPY ... ORDER BY ... FORMAT json) | fedlake / DuckDB |', '|---|---|---|---|---|---|---|']
    for (let run = 0; run < STREAM_RUNS; run++) {
      const f = await streamOnce(ordered, `select * from logs order by ${orderBy}`)
      if (f.rows !== 2 * each) throw new Error(`streamed ${f.rows} rows of ${2 * each}`)
      const started = performance.now()
      await ordered.baseline.run(`COPY (SELECT * FROM logs ORDER BY ${orderBy}) TO '/dev/null' (FORMAT json)`)
      const d = (performance.now() - started) / 1000
      lines.push(`| ${run + 1} | ${f.seconds.toFixed(1)} s | ${Math.round(f.rows / f.seconds).toLocaleString('en')} | ${(f.bytes / 1e9).toFixed(2)} GB | ${f.rssGrowthMb} MB | ${d.toFixed(1)} s | ${(f.seconds / d).toFixed(1)} |`)
    }
    lines.push('', `baseline process RSS after: ${rssMb(process.pid)} MB; operators' RSS after: ${ordered.operators.map(o => rssMb(o.proc.pid)).join(', ')} MB; load average (1, 5 min): ${loadavg().slice(0, 2).map(l => l.toFixed(1)).join(', ')} on ${availableParallelism()} cores`)
    process.stdout.write(lines.join('\n') + '\n\n')
  } finally {
    await ordered.close()
  }
}
