/**
 * npm run bench:load — the network under concurrent queries while it ingests.
 *
 * Two `fedlake kubearmor-sim --rate BENCH_RATE` processes (default 5,000 events/s each) feed two operator processes
 * (one each, as KubeArmor would), and one query node answers BENCH_CLIENTS concurrent clients (default 32) that
 * cycle through the query mix of bench:query (bench/queries.ts) for BENCH_SECONDS (default 60) over HTTP, as curl
 * sends it. Reported: errors (there must be none), p50/p99 per query kind, the ingest rate each operator
 * committed and what the simulators dropped (their final statistics: `dropped`, queue full, and `unsubscribed`,
 * no subscriber), RSS of the query node and the operators (largest sample, once a second).
 *
 * Then the answers are checked: the simulators stop, the operators commit everything the simulators sent, the
 * mix runs once more over the network, the operators stop, and one DuckDB in this process opens both operators'
 * files and holds their union: each answer must equal that DuckDB's (as a multiset of rows where the query has no
 * ORDER BY; the 10,000-row SELECT by its row count). Last, the baseline: the same clients and mix for
 * BENCH_BASELINE_SECONDS (default 20) against that one DuckDB (its query plus JSON of its rows), for the latency
 * ratio. The baseline holds every row from the start and nothing ingests meanwhile: it is the easier side.
 * BENCH_QUERY_NICE (10) is the nice value of the query node and the clients (0: the operators' priority);
 * BENCH_MAX_BUFFERED_MS sets the operators' ingest.maxBufferedMs (default: the node's own, 1,500 ms).
 */
import '@fedlake/core/polyfills'
import { availableParallelism, loadavg, setPriority } from 'node:os'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import { waitFor } from '@fedlake/core'
import { localQuery, restCommand, startFedlake, tempDir } from '../test/helpers/processes.js'
import type { Child } from '../test/helpers/processes.js'
import { fmt, percentile, processCpuMs, rssMb } from './measure.js'
import { QUERIES } from './queries.js'
import type { BenchQuery } from './queries.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60)
const BASELINE_SECONDS = Number(process.env.BENCH_BASELINE_SECONDS ?? 20)
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32)
const RATE = Number(process.env.BENCH_RATE ?? 5000)
const OPERATORS = 2
/**
 * Nice value of the query node and of this process (the clients), 0-19. In a deployment the query node and its
 * clients do not share the edge node's cores with KubeArmor and the operator; on this one machine they do, and a
 * lower priority gives the ingest path (simulators, operators) the CPU first, as separate machines would.
 * BENCH_QUERY_NICE=0 runs everything at one priority.
 */
const QUERY_NICE = Number(process.env.BENCH_QUERY_NICE ?? 10)
const MAX_BUFFERED_MS = process.env.BENCH_MAX_BUFFERED_MS
/**
 * Each simulator generates this many events, then keeps its streams open and idle: the load runs while it
 * generates, and afterwards every event still in flight reaches the operator (a simulator stopped mid-stream
 * would count as sent what its socket buffers still held).
 */
const EVENTS = RATE * (SECONDS + 15)
/** Answers compared as row multisets: the query orders nothing (or orders by a value with ties). */
const UNORDERED = new Set(['group by pod_name', 'group by 3 columns'])
const ROW_COUNT_ONLY = new Set(['select 10,000 rows'])

interface SimStats { readonly generated: number, readonly sent: number, readonly dropped: number, readonly streams: Record<string, { sent: number, dropped: number, unsubscribed: number }> }

type Latencies = Map<string, number[]>

interface MixRun { readonly latencies: Latencies, readonly errors: Map<string, string[]> }

/** `clients` loops, each cycling through the mix from its own starting point, until `seconds` have passed. */
async function runMix (clients: number, seconds: number, ask: (client: number, q: BenchQuery) => Promise<void>): Promise<MixRun> {
  const latencies: Latencies = new Map(QUERIES.map(q => [q.name, []]))
  const errors = new Map<string, string[]>()
  const until = performance.now() + seconds * 1000
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let i = c; performance.now() < until; i++) {
      const q = QUERIES[i % QUERIES.length] as BenchQuery
      const started = performance.now()
      try {
        await ask(c, q)
        latencies.get(q.name)?.push(performance.now() - started)
      } catch (err) {
        const list = errors.get(q.name) ?? []
        list.push(err instanceof Error ? err.message.slice(0, 300) : String(err))
        errors.set(q.name, list)
      }
    }
  }))
  return { latencies, errors }
}

async function networkAnswer (url: string, q: BenchQuery): Promise<Record<string, unknown>[]> {
  const reply = await restCommand(url, `sql kubearmor format=json and stat=false "${q.network}"`, { headers: { destination: 'network', timeout: '60' } })
  if (reply.status !== 200) throw new Error(`${reply.status} ${reply.text.slice(0, 300)}`)
  return (reply.json() as { Query?: Record<string, unknown>[] }).Query ?? []
}

async function duckAnswer (connection: DuckDBConnection, q: BenchQuery): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(q.duckdb)).getRowObjectsJson() as Record<string, unknown>[]
}

/** A value as comparable text: numbers as numbers (DuckDB gives BIGINT as text), timestamps without 'T' or trailing zeros. */
function cell (value: unknown): string {
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') {
    if (/^-?\d+(\.\d+)?$/.test(value)) return String(Number(value))
    if (/^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d/.test(value)) return value.replace('T', ' ').replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')
  }
  return JSON.stringify(value)
}

function sameAnswer (name: string, network: readonly Record<string, unknown>[], reference: readonly Record<string, unknown>[]): string | undefined {
  if (ROW_COUNT_ONLY.has(name)) return network.length === reference.length ? undefined : `${network.length} rows, reference ${reference.length}`
  const rows = (answer: readonly Record<string, unknown>[]): string[] => answer.map(r => Object.values(r).map(cell).join(' | '))
  const [a, b] = [rows(network), rows(reference)]
  if (UNORDERED.has(name)) { a.sort(); b.sort() }
  const at = a.findIndex((row, i) => row !== b[i])
  if (at < 0 && a.length === b.length) return undefined
  return `${a.length} rows, reference ${b.length}; first difference at row ${at}: ${a[at] ?? '(none)'} vs ${b[at] ?? '(none)'}`
}

/** Rows each operator holds in its KubeArmor tables (what the simulators' events became). */
/** How often, and how long in all, the operator's ingest pipeline paused its KubeArmor streams (its /metrics). */
async function sourcePauses (op: Child): Promise<{ pauses: number, seconds: number }> {
  const text = await (await fetch(new URL('/metrics', op.ready.rest ?? ''))).text()
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0)
  return { pauses: value('fedlake_ingest_source_pauses_total'), seconds: value('fedlake_ingest_source_paused_seconds_total') }
}

async function storedEvents (op: Child): Promise<number> {
  // a table exists once its first event is stored
  const count = async (table: string): Promise<number> => Number((await localQuery(op.ready.rest ?? '', 'kubearmor', `select count(*) as n from ${table}`).catch(() => []))[0]?.n ?? 0)
  return await count('logs') + await count('alerts')
}

function simStats (sim: Child): SimStats {
  const line = sim.output().split('\n').find(l => l.startsWith('{"stats"'))
  if (line === undefined) throw new Error(`no final statistics from the simulator:\n${sim.output().slice(-2000)}`)
  return (JSON.parse(line) as { stats: SimStats }).stats
}

function latencyTable (fed: Latencies, duck: Latencies): string[] {
  const lines = ['| query | answers | fedlake p50 | p99 | one DuckDB p50 | p99 | fedlake / DuckDB (p50) |', '|---|---|---|---|---|---|---|']
  for (const q of QUERIES) {
    const f = fed.get(q.name) ?? []
    const d = duck.get(q.name) ?? []
    lines.push(`| ${q.name} | ${f.length} | ${fmt(percentile(f, 0.5))} ms | ${fmt(percentile(f, 0.99))} ms | ${fmt(percentile(d, 0.5))} ms | ${fmt(percentile(d, 0.99))} ms | ${(percentile(f, 0.5) / percentile(d, 0.5)).toFixed(2)} |`)
  }
  return lines
}

/** `--config` for the operators when a BENCH_ setting overrides their defaults. */
function operatorConfigArgs (dirPath: string): string[] {
  if (MAX_BUFFERED_MS === undefined) return []
  const file = join(dirPath, 'operator-config.json')
  writeFileSync(file, JSON.stringify({ ingest: { maxBufferedMs: Number(MAX_BUFFERED_MS) } }))
  return ['--config', file]
}

const dir = tempDir('bench-load')
const children: Child[] = []
let reference: DuckDBInstance | undefined
try {
  const query = await startFedlake(['node', '--name', 'query-1', '--roles', 'query', '--rest-port', '0', '--p2p-port', '0', '--data-dir', join(dir.path, 'query-1')])
  // every thread that exists now; threads created later inherit the priority of the thread that creates them
  for (const pid of [query.proc.pid, process.pid]) for (const tid of readdirSync(`/proc/${pid ?? ''}/task`)) setPriority(Number(tid), QUERY_NICE)
  children.push(query)
  const url = query.ready.rest ?? ''
  const sims = await Promise.all(Array.from({ length: OPERATORS }, async (_, k) => await startFedlake(['kubearmor-sim', '--port', '0', '--rate', String(RATE), '--count', String(EVENTS),
    '--seed', String(k + 1), '--cluster', `edge-${k + 1}`, '--nodes', '4', '--pods', '16', '--wait-for', 'logs,alerts'])))
  children.push(...sims)
  const operators = await Promise.all(sims.map(async (sim, k) => await startFedlake(['node', '--name', `op-${k + 1}`, '--roles', 'operator', '--rest-port', '0', '--p2p-port', '0',
    '--data-dir', join(dir.path, `op-${k + 1}`), '--cluster', `cluster-${k + 1}`, '--seeds', query.ready.p2p ?? '', '--kubearmor', `127.0.0.1:${sim.ready.port ?? ''}`,
    ...operatorConfigArgs(dir.path)])))
  children.push(...operators)
  await waitFor(async () => {
    const stored = (await Promise.all(operators.map(storedEvents))).reduce((a, b) => a + b, 0)
    const seen = await networkAnswer(url, QUERIES[0] as BenchQuery).catch(() => [])
    return stored > 0 && Number(Object.values(seen[0] ?? {})[0]) >= stored * 0.5 && Number(Object.values(seen[0] ?? {})[0]) > 0
  }, { timeoutMs: 120_000, intervalMs: 500, what: 'the query node to see both operators\' events' })

  process.stdout.write(`${CLIENTS} clients, ${SECONDS} s, while ${OPERATORS} operators ingest ${RATE.toLocaleString('en')} events/s each...\n`)
  const peakRss = new Map<string, number>()
  const sampler = setInterval(() => {
    for (const [name, child] of [['query node', query], ...operators.map((o, k) => [`op-${k + 1}`, o] as const)] as const) {
      peakRss.set(name, Math.max(peakRss.get(name) ?? 0, rssMb(child.proc.pid) || 0))
    }
  }, 1000)
  const storedBefore = await Promise.all(operators.map(storedEvents))
  const cpuOf = (): Map<string, number> => new Map([
    ['query node', processCpuMs(query.proc.pid)],
    ...operators.map((o, k) => [`op-${k + 1}`, processCpuMs(o.proc.pid)] as const),
    ...sims.map((sim, k) => [`sim-${k + 1}`, processCpuMs(sim.proc.pid)] as const),
    ['this process (32 clients)', (process.cpuUsage().user + process.cpuUsage().system) / 1000]
  ])
  const cpuBefore = cpuOf()
  const loadStarted = performance.now()
  const load = await runMix(CLIENTS, SECONDS, async (_c, q) => { await networkAnswer(url, q) })
  const loadSeconds = (performance.now() - loadStarted) / 1000
  const cpuCores = [...cpuOf()].map(([name, ms]) => [name, (ms - (cpuBefore.get(name) ?? 0)) / 1000 / loadSeconds] as const)
  const storedAfter = await Promise.all(operators.map(storedEvents))
  const pauses = await Promise.all(operators.map(sourcePauses))
  const loadAvg = loadavg()
  clearInterval(sampler)

  // ingest ends: the simulators finish their count, the operators store what arrives until nothing more does,
  // then the simulators' statistics say what was sent and dropped, and the answers must equal one DuckDB's
  // unchanged for 10 s (a checkpoint under load holds commits for seconds) or the whole count stored
  const seen: string[] = []
  const committed = await waitFor(async () => {
    const stored = await Promise.all(operators.map(storedEvents))
    seen.push(stored.join())
    const still = seen.length > 4 && seen.slice(-5).every(s => s === seen.at(-1))
    return still || stored.every(n => n >= EVENTS) ? stored : undefined
  }, { timeoutMs: 180_000, intervalMs: 2500, what: 'the operators to store every event that reaches them' })
  await Promise.all(sims.map(async s => await s.stop()))
  const stats = sims.map(simStats)
  const sent = stats.map(s => (s.streams.logs?.sent ?? 0) + (s.streams.alerts?.sent ?? 0))
  const answers = new Map<string, Record<string, unknown>[]>()
  for (const q of QUERIES) answers.set(q.name, await networkAnswer(url, q))
  await Promise.all(operators.map(async o => await o.stop()))

  reference = await DuckDBInstance.create(':memory:')
  const ref = await reference.connect()
  for (let k = 0; k < OPERATORS; k++) await ref.run(`ATTACH '${join(dir.path, `op-${k + 1}`, 'duckdb', 'kubearmor.duckdb')}' AS op${k + 1} (READ_ONLY)`)
  await ref.run(`CREATE TABLE logs AS ${Array.from({ length: OPERATORS }, (_, k) => `SELECT * FROM op${k + 1}.logs`).join(' UNION ALL ')}`)
  for (let k = 0; k < OPERATORS; k++) await ref.run(`DETACH op${k + 1}`)
  const wrong: string[] = []
  for (const q of QUERIES) {
    const why = sameAnswer(q.name, answers.get(q.name) ?? [], await duckAnswer(ref, q))
    if (why !== undefined) wrong.push(`${q.name}: ${why}`)
  }

  process.stdout.write(`baseline: the same mix, ${CLIENTS} clients, ${BASELINE_SECONDS} s, one DuckDB over the union...\n`)
  const connections = await Promise.all(Array.from({ length: CLIENTS }, async () => await reference?.connect() as DuckDBConnection))
  const baseline = await runMix(CLIENTS, BASELINE_SECONDS, async (c, q) => { JSON.stringify(await duckAnswer(connections[c] as DuckDBConnection, q)) })
  for (const c of connections) c.closeSync()
  ref.closeSync()

  const errors = [...load.errors].flatMap(([name, list]) => [`${name}: ${list.length} errors, e.g. ${list[0] ?? ''}`])
  const lines = [
    `load: ${CLIENTS} clients for ${loadSeconds.toFixed(0)} s over 1 query node and ${OPERATORS} operators, each ingesting from its own \`kubearmor-sim --rate ${RATE}\`; query node and clients at nice ${QUERY_NICE}`, '',
    ...latencyTable(load.latencies, baseline.latencies), '',
    `queries answered: ${[...load.latencies.values()].reduce((n, l) => n + l.length, 0)} (${([...load.latencies.values()].reduce((n, l) => n + l.length, 0) / loadSeconds).toFixed(1)}/s); errors: ${errors.length === 0 ? 'none' : errors.join('; ')}`,
    `answers after ingest stopped (${committed.reduce((a, b) => a + b, 0).toLocaleString('en')} events stored) equal one DuckDB over the union: ${wrong.length === 0 ? `all ${QUERIES.length}` : `NO — ${wrong.join('; ')}`}`,
    ...operators.map((_, k) => {
      const s = stats[k] as SimStats
      const drops = ['logs', 'alerts'].map(st => `${st} ${s.streams[st]?.dropped ?? 0} dropped / ${s.streams[st]?.unsubscribed ?? 0} unsubscribed`).join(', ')
      const rate = ((storedAfter[k] ?? 0) - (storedBefore[k] ?? 0)) / loadSeconds
      const paused = pauses[k] ?? { pauses: 0, seconds: 0 }
      return `op-${k + 1}: stored ${rate.toFixed(0)} events/s during the load, streams paused ${paused.pauses} times for ${paused.seconds.toFixed(1)} s; ` +
        `simulator generated ${s.generated.toLocaleString('en')}, sent ${(sent[k] ?? 0).toLocaleString('en')} (logs+alerts), ${drops}; stored ${(committed[k] ?? 0).toLocaleString('en')}`
    }),
    `CPU during the load, in cores: ${cpuCores.map(([name, cores]) => `${name} ${cores.toFixed(2)}`).join(', ')}; all ${cpuCores.reduce((n, [, c]) => n + c, 0).toFixed(2)} of ${availableParallelism()}`,
    `RSS, largest sample: ${[...peakRss].map(([name, mb]) => `${name} ${mb} MB`).join(', ')}`,
    `load average (1, 5 min) at the end of the load: ${loadAvg.slice(0, 2).map(l => l.toFixed(1)).join(', ')} on ${availableParallelism()} cores`
  ]
  process.stdout.write(lines.join('\n') + '\n')
  if (errors.length > 0 || wrong.length > 0) process.exitCode = 1
} finally {
  await Promise.all(children.map(async c => await c.stop()))
  reference?.closeSync()
  dir.remove()
}
