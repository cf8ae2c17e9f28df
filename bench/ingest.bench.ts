/**
 * npm run bench:ingest — KubeArmor ingest throughput, three figures side by side in one run:
 *  (a) raw receive rate: the connector's gRPC client (createGrpcChannel, same HTTP/2 flow-control window)
 *      decoding Log/Alert messages from the simulator, no storage;
 *  (b) raw DuckDB appender rate for the same rows (already mapped), in the pipeline's batch size;
 *  (c) full ingest: simulator -> operator (connector, mapping, pipeline, DuckDB) -> committed rows;
 *  (d) DuckDB alone inserting the rows (b) stored, INSERT … SELECT with no JavaScript per row (duckdb-alone.ts);
 *  (e) memory of a real operator process (operator-memory.ts): RSS idle, and peak / at the last commit / settled
 *      while and after it ingests N events, with the V8 heap of each of its isolates. BENCH_OPERATOR_NODE_OPTIONS
 *      (e.g. "--max-semi-space-size=1") and/or BENCH_OPERATOR_ENV (e.g. "MALLOC_ARENA_MAX=2") run (e) a second time
 *      with those node options and environment, for ratios side by side.
 * The simulator runs as a separate process (`fedlake kubearmor-sim --count N`), as in production.
 * Prints (c) in events/s and the ratios (c)/(a), (b)/(c), (b)/(a) and (d)/(a), and the operator's event-loop delay during
 * (c) (p99/max: how long a timer, a REST request or a heartbeat could wait). BENCH_EVENTS sets N (default 1000000).
 * On Linux it also prints the CPU time each side spent per event during (a) and (c) (from /proc, per thread):
 * on a 2-core machine shared with the simulator, that sum is what bounds (c).
 */
import '@fedlake/core/polyfills'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import type { NodeGCPerformanceDetail } from 'node:perf_hooks'
import { loadNodeConfig, silentLogger } from '@fedlake/core'
import type { KubeArmorStream, TableSchema } from '@fedlake/core'
import { createEventGenerator } from '@fedlake/kubearmor-sim'
import { createDuckDbStorage, createGrpcChannel, DEFAULT_CHECKPOINT_THRESHOLD, createKubeArmorMappings, createOperatorRole, decodeAlert, decodeLog, encodeRequestMessage } from '@fedlake/operator'
import type { StorageValue } from '@fedlake/operator'
import { startFedlake } from '../test/helpers/processes.js'
import { duckDbAlone } from './duckdb-alone.js'
import type { DuckDbAlone } from './duckdb-alone.js'
import { measureOperatorMemory } from './operator-memory.js'
import type { OperatorMemory, ProcessMemory } from './operator-memory.js'

/**
 * Events per part. A million by default: DuckDB checkpoints automatically every 128 MB of WAL (~250k events
 * of this mix, ~540 bytes each), and a run must contain several checkpoints to show the steady-state cost
 * (a 200k run can contain none). It also lets the JIT warm up on both sides.
 */
const N = Number(process.env.BENCH_EVENTS ?? 1_000_000)
/** Which parts to run, e.g. BENCH_PARTS=c to profile the full ingest alone; d needs b. @default abdce */
const PARTS = process.env.BENCH_PARTS ?? 'abdce'
/** Ingest settings for (c), e.g. BENCH_INGEST='{"maxBufferedMs":3000}'. */
const INGEST = JSON.parse(process.env.BENCH_INGEST ?? '{}') as Record<string, unknown>
const VARIANT_NODE_OPTIONS = (process.env.BENCH_OPERATOR_NODE_OPTIONS ?? '').split(' ').filter(o => o !== '')
const VARIANT_ENV = Object.fromEntries((process.env.BENCH_OPERATOR_ENV ?? '').split(' ').filter(o => o.includes('=')).map(o => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]))
const VARIANT = [...Object.entries(VARIANT_ENV).map(([k, v]) => `${k}=${v}`), ...VARIANT_NODE_OPTIONS].join(' ')
const SEED = 11
const STALL_MS = 10_000
const MIX = ['--nodes', '4', '--pods', '16', '--seed', String(SEED)]

async function simulator (): Promise<{ address: string, pid: number, stop: () => Promise<unknown> }> {
  const child = await startFedlake(['kubearmor-sim', '--port', '0', '--count', String(N), ...MIX])
  return { address: `127.0.0.1:${child.ready.port ?? ''}`, pid: child.proc.pid ?? 0, stop: async () => await child.stop() }
}

/** CPU ms used so far by a process's main thread and by all its other threads (Linux /proc; zeros elsewhere). */
function cpuMs (pid: number): { main: number, others: number } {
  const out = { main: 0, others: 0 }
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ms = (Number(fields[11]) + Number(fields[12])) * 10 // utime + stime, in clock ticks of 10 ms
      if (Number(tid) === pid) out.main += ms
      else out.others += ms
    }
  } catch { /* not Linux, or the process is gone */ }
  return out
}

interface CpuWindow { readonly self: { main: number, others: number }, readonly sim: { main: number, others: number } }
const cpuWindow = (simPid: number): CpuWindow => ({ self: cpuMs(process.pid), sim: cpuMs(simPid) })
/** µs of CPU per event between two snapshots: this process's main thread, its other threads, the simulator. */
function cpuPerEvent (from: CpuWindow, to: CpuWindow, events: number): { main: number, others: number, sim: number } {
  const us = (ms: number): number => ms * 1000 / events
  return {
    main: us(to.self.main - from.self.main),
    others: us(to.self.others - from.self.others),
    sim: us(to.sim.main + to.sim.others - from.sim.main - from.sim.others)
  }
}

/** (a) decode-only receive rate over all streams the simulator generates. */
async function rawReceive (): Promise<{ rate: number, cpu: ReturnType<typeof cpuPerEvent> }> {
  const sim = await simulator()
  // the connector's own client and transport settings (its flowControlWindowBytes default), so (c)/(a) compares processing only
  const channel = createGrpcChannel({ address: sim.address })
  let received = 0
  let first = 0
  let start = cpuWindow(sim.pid)
  const done = new Promise<number>(resolve => {
    for (const [method, decode] of [['WatchLogs', decodeLog], ['WatchAlerts', decodeAlert]] as const) {
      channel.serverStream(`/feeder.LogService/${method}`, encodeRequestMessage('all'), {
        onMessage: (bytes) => {
          decode(bytes)
          if (received++ === 0) { first = performance.now(); start = cpuWindow(sim.pid) }
          if (received === N) resolve(performance.now() - first)
        },
        onStatus: () => {}
      })
    }
  })
  const ms = await done
  const cpu = cpuPerEvent(start, cpuWindow(sim.pid), N)
  channel.close()
  await sim.stop()
  return { rate: N / (ms / 1000), cpu }
}

/**
 * (b) DuckDB appender rate for the same rows, mapped beforehand, in batches of the pipeline's size; then, when
 * asked, (d) DuckDB alone inserting the rows (b) stored (duckdb-alone.ts).
 */
async function rawAppend (batchRows: number, withDuckDbAlone: boolean): Promise<{ rate: number, alone: DuckDbAlone | undefined }> {
  const generator = createEventGenerator({ seed: SEED, nodes: 4, pods: 16 })
  const mappings = createKubeArmorMappings()
  const batches = new Map<string, { schema: TableSchema, rows: StorageValue[][] }>()
  for (let i = 0; i < N; i++) {
    const { stream, event } = generator.generate()
    const mapping = mappings.byStream[stream as KubeArmorStream][0]
    if (mapping === undefined) continue
    const rows = mapping.map(event)
    if (!Array.isArray(rows)) throw new Error(rows.message)
    const entry = batches.get(mapping.schema.table) ?? { schema: mapping.schema, rows: [] }
    entry.rows.push(...rows)
    batches.set(mapping.schema.table, entry)
  }
  const dir = mkdtempSync(join(tmpdir(), 'fedlake-bench-append-'))
  try {
    const storage = createDuckDbStorage({ dataDir: dir, logger: silentLogger })
    await storage.start()
    let rate: number
    try {
      let rows = 0
      for (const { schema } of batches.values()) await storage.ensureTable(schema)
      const t0 = performance.now()
      for (const { schema, rows: all } of batches.values()) {
        for (let i = 0; i < all.length; i += batchRows) await storage.appendRows(schema, all.slice(i, i + batchRows))
        rows += all.length
      }
      rate = rows / ((performance.now() - t0) / 1000)
    } finally {
      await storage.stop()
    }
    const tables = [...batches.keys()]
    batches.clear()
    const alone = withDuckDbAlone ? await duckDbAlone(join(dir, 'kubearmor.duckdb'), tables, batchRows, DEFAULT_CHECKPOINT_THRESHOLD) : undefined
    return { rate, alone }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** (c) simulator -> operator role -> committed rows, timed from the first received event to the last commit. */
interface LoopDelay { readonly p99: number, readonly max: number }
/** Main-thread garbage collection during (c): ms spent in scavenges (young generation) and in the other collections. */
interface GcTime { readonly young: number, readonly full: number }

function gcTimer (): { start(): void, stop(): GcTime } {
  const total = { young: 0, full: 0 }
  let counting = false
  const observer = new PerformanceObserver(list => {
    if (!counting) return
    for (const entry of list.getEntries()) {
      const detail = (entry as unknown as { detail?: NodeGCPerformanceDetail }).detail
      // kind 1 = NODE_PERFORMANCE_GC_MINOR (a scavenge)
      if (detail?.kind === 1) total.young += entry.duration
      else total.full += entry.duration
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  return {
    start () { counting = true },
    stop () { counting = false; observer.disconnect(); return { ...total } }
  }
}

async function fullIngest (): Promise<{ rate: number, dropped: number, lost: number, cpu: ReturnType<typeof cpuPerEvent>, loop: LoopDelay, gc: GcTime, longestAppendMs: number, highWaterRows: number }> {
  const sim = await simulator()
  const dir = mkdtempSync(join(tmpdir(), 'fedlake-bench-ingest-'))
  const config = loadNodeConfig({ overrides: { name: 'bench', dataDir: dir, ingest: INGEST } })
  const role = createOperatorRole({ dataDir: dir, dbms: 'kubearmor', kubearmor: [sim.address], ingest: config.ingest, limits: config.limits, logger: silentLogger })
  await role.start()
  const loopDelay = monitorEventLoopDelay({ resolution: 5 })
  const gc = gcTimer()
  try {
    let first = 0
    let start = cpuWindow(sim.pid)
    let progress = 0
    let progressAt = performance.now()
    for (;;) {
      const s = role.ingestStats()
      if (first === 0 && s.rowsReceived > 0) { first = performance.now(); start = cpuWindow(sim.pid); loopDelay.enable(); gc.start() }
      const settled = s.rowsCommitted + s.rowsDropped
      const now = performance.now()
      if (settled > progress) { progress = settled; progressAt = now }
      // the simulator drops events for a subscriber that stops reading for a second: they never arrive
      const stalled = now - progressAt > STALL_MS && s.rowsBuffered === 0
      if (settled >= N || stalled) {
        const cpu = cpuPerEvent(start, cpuWindow(sim.pid), settled)
        loopDelay.disable()
        const gcTime = gc.stop()
        const loop = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 }
        const ms = (stalled ? progressAt : now) - first
        return { rate: s.rowsCommitted / (ms / 1000), dropped: s.rowsDropped, lost: N - settled, cpu, loop, gc: gcTime, longestAppendMs: s.longestAppendMs, highWaterRows: s.highWaterRows }
      }
      await new Promise(resolve => setTimeout(resolve, 5))
    }
  } finally {
    await role.stop()
    await sim.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const batchRows = loadNodeConfig({ overrides: { name: 'bench' } }).ingest.batchRows
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
console.log(`ingest benchmark: ${fmt(N)} simulated KubeArmor events (log-heavy mix), simulator in a separate process${Object.keys(INGEST).length > 0 ? `, ingest settings ${JSON.stringify(INGEST)}` : ''}`)
const us = (n: number): string => n.toFixed(1)
const a = PARTS.includes('a') ? await rawReceive() : undefined
if (a !== undefined) console.log(`(a) raw gRPC receive + decode, no storage : ${fmt(a.rate)} msgs/s`)
const appended = PARTS.includes('b') ? await rawAppend(batchRows, PARTS.includes('d')) : undefined
const b = appended?.rate
if (b !== undefined) console.log(`(b) raw DuckDB appender, same rows        : ${fmt(b)} rows/s (batches of ${batchRows})`)
const d = appended?.alone
if (d !== undefined) console.log(`(d) DuckDB alone, INSERT … SELECT         : ${fmt(d.rowsPerSecond)} rows/s (same rows and batches, no JavaScript per row; ${us(d.cpuMicrosPerRow)} µs of CPU per row)`)
const c = PARTS.includes('c') ? await fullIngest() : undefined
if (c !== undefined) {
  const problems = [c.dropped > 0 ? `${c.dropped} dropped!` : '', c.lost > 0 ? `${c.lost} never arrived: stalled, the simulator dropped them` : ''].filter(p => p !== '')
  console.log(`(c) full ingest sim -> committed rows     : ${fmt(c.rate)} events/s${problems.length > 0 ? ` (${problems.join(', ')})` : ''}`)
  console.log(`operator event-loop delay during (c): p99 ${c.loop.p99.toFixed(1)} ms, max ${c.loop.max.toFixed(1)} ms`)
  console.log(`operator main-thread GC during (c): ${(c.gc.young * 1000 / N).toFixed(2)} µs per event in scavenges, ${(c.gc.full * 1000 / N).toFixed(2)} µs in other collections`)
  console.log(`longest append during (c) (a DuckDB checkpoint): ${fmt(c.longestAppendMs)} ms = ${(c.longestAppendMs / 1000 * c.rate / c.highWaterRows).toFixed(2)} × the time the high-water mark (${fmt(c.highWaterRows)} rows at the end) buffers at (c)'s rate`)
}
if (a !== undefined && b !== undefined && c !== undefined) {
  console.log(`(c)/(a) = ${(c.rate / a.rate).toFixed(2)}   (b)/(c) = ${(b / c.rate).toFixed(2)}`)
  // (c) stores every row through the storage path (b) times alone (in batches of batchRows; under load (c)'s
  // group commits reach 65,536 rows, a little cheaper per row), so (b)/(a) is about the most (c)/(a) can be
  console.log(`(b)/(a) = ${(b / a.rate).toFixed(2)}: storage alone vs receive alone, about the ceiling DuckDB's appends put on (c)/(a)`)
}
if (a !== undefined && d !== undefined) console.log(`(d)/(a) = ${(d.rowsPerSecond / a.rate).toFixed(2)}: DuckDB's own insert vs receive alone, each measured on its own`)
/** Cores in use during a part: events/s × CPU µs per event. */
const cores = (rate: number, cpu: { main: number, others: number, sim: number }): string => (rate * (cpu.main + cpu.others + cpu.sim) / 1e6).toFixed(2)
if (a !== undefined && a.cpu.main > 0) {
  console.log(`CPU µs per event (a): receiver main thread ${us(a.cpu.main)}, its other threads ${us(a.cpu.others)}; simulator ${us(a.cpu.sim)} ` +
    `(the simulator's thread is ${Math.round(a.rate * a.cpu.sim / 1e4)} % busy); ${cores(a.rate, a.cpu)} cores in use`)
}
if (c !== undefined && c.cpu.main > 0) {
  console.log(`CPU µs per event (c): operator main thread ${us(c.cpu.main)}, its other threads (storage worker, DuckDB, GC/JIT) ${us(c.cpu.others)}; ` +
    `simulator ${us(c.cpu.sim)}; total ${us(c.cpu.main + c.cpu.others + c.cpu.sim)}; ${cores(c.rate, c.cpu)} of ${availableParallelism()} cores in use`)
}
if (a !== undefined && c !== undefined && a.cpu.main > 0 && c.cpu.main > 0) {
  // (a) is bounded by the simulator's one thread, (c) by all cores: (c)/(a) <= cores × S(a) / total(c)
  const bound = availableParallelism() * a.cpu.sim / (c.cpu.main + c.cpu.others + c.cpu.sim)
  console.log(`ceiling of (c)/(a) on this machine with these CPU costs: ${bound.toFixed(2)} (cores × simulator µs in (a) / total µs in (c))`)
}
if (a !== undefined && d !== undefined && a.cpu.main > 0) {
  // Even an operator that cost nothing beyond (a)'s receive and DuckDB's own insert shares the cores with the
  // simulator: (c) <= cores / (simulator + receiver + DuckDB alone), in µs of CPU per event.
  const floor = a.cpu.sim + a.cpu.main + a.cpu.others + d.cpuMicrosPerRow
  const most = availableParallelism() * 1e6 / floor
  console.log(`with only (a)'s receive and DuckDB's own insert, (c) could reach at most ${fmt(most)} events/s = ${(most / a.rate).toFixed(2)} × (a) ` +
    `(${availableParallelism()} cores / ${us(floor)} µs per event)`)
}
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0)
const heaps = (m: ProcessMemory): string => m.threads.map(t => `${t.thread} ${mb(t.heapTotal)}`).join(', ')
function printMemory (label: string, m: OperatorMemory): void {
  console.log(`(e) operator process${label}: idle RSS ${mb(m.idle.rss)} MB (anonymous ${mb(m.idle.anonymous)}, files ${mb(m.idle.file)}); ` +
    `ingesting ${fmt(m.committed)} events at ${fmt(m.rate)} events/s: peak RSS ${mb(m.peakRss)} MB, at the last commit ${mb(m.loaded.rss)} MB, ` +
    `settled ${mb(m.settled.rss)} MB (anonymous ${mb(m.settled.anonymous)})`)
  console.log(`    V8 heaps (MB committed) idle: ${heaps(m.idle)}`)
  console.log(`    at the last commit: ${heaps(m.loaded)}; peak: ${m.loaded.threads.map(t => `${t.thread} ${mb(t.heapTotalPeak)}`).join(', ')}`)
  console.log(`    settled: ${heaps(m.settled)}`)
}
if (PARTS.includes('e')) {
  const shipped = await measureOperatorMemory({ events: N, simArgs: MIX })
  printMemory('', shipped)
  if (VARIANT !== '') {
    const variant = await measureOperatorMemory({ events: N, simArgs: MIX, nodeArgs: VARIANT_NODE_OPTIONS, env: VARIANT_ENV })
    printMemory(` with ${VARIANT}`, variant)
    const ratio = (x: number, y: number): string => (x / y).toFixed(2)
    console.log(`    with ${VARIANT} / as shipped: idle RSS ${ratio(variant.idle.rss, shipped.idle.rss)}, peak ${ratio(variant.peakRss, shipped.peakRss)}, ` +
      `settled ${ratio(variant.settled.rss, shipped.settled.rss)}, rate ${ratio(variant.rate, shipped.rate)}`)
  }
}
process.exit(0)
