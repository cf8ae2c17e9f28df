/**
 * npm run bench:ingest — KubeArmor ingest throughput, three figures side by side in one run:
 *  (a) raw receive rate: a gRPC client decoding Log/Alert messages from the simulator, no storage;
 *  (b) raw DuckDB appender rate for the same rows (already mapped), in the pipeline's batch size;
 *  (c) full ingest: simulator -> operator (connector, mapping, pipeline, DuckDB) -> committed rows.
 * The simulator runs as a separate process (`fedlake kubearmor-sim --count N`), as in production.
 * Prints (c) in events/s and the ratios (c)/(a) and (b)/(c). BENCH_EVENTS sets N (default 200000).
 */
import '@fedlake/core/polyfills'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { credentials, Client } from '@grpc/grpc-js'
import { loadNodeConfig, silentLogger } from '@fedlake/core'
import type { KubeArmorStream, TableSchema } from '@fedlake/core'
import { createEventGenerator } from '@fedlake/kubearmor-sim'
import { createDuckDbStorage, createKubeArmorMappings, createOperatorRole, decodeAlert, decodeLog } from '@fedlake/operator'
import type { StorageValue } from '@fedlake/operator'
import { startFedlake } from '../test/helpers/processes.js'

const N = Number(process.env.BENCH_EVENTS ?? 200_000)
const SEED = 11
const MIX = ['--nodes', '4', '--pods', '16', '--seed', String(SEED)]

async function simulator (): Promise<{ address: string, stop: () => Promise<unknown> }> {
  const child = await startFedlake(['kubearmor-sim', '--port', '0', '--count', String(N), ...MIX])
  return { address: `127.0.0.1:${child.ready.port ?? ''}`, stop: async () => await child.stop() }
}

function encodeFilter (filter: string): Buffer {
  const text = Buffer.from(filter)
  return Buffer.concat([Buffer.from([0x0a, text.length]), text])
}

/** (a) decode-only receive rate over all streams the simulator generates. */
async function rawReceive (): Promise<number> {
  const sim = await simulator()
  const client = new Client(sim.address, credentials.createInsecure())
  let received = 0
  let first = 0
  const done = new Promise<number>(resolve => {
    const onData = (): void => {
      if (received++ === 0) first = performance.now()
      if (received === N) resolve(performance.now() - first)
    }
    for (const [method, decode] of [['WatchLogs', decodeLog], ['WatchAlerts', decodeAlert]] as const) {
      const call = client.makeServerStreamRequest(`/feeder.LogService/${method}`, encodeFilter, decode, 'all')
      call.on('data', onData)
      call.on('error', () => {})
    }
  })
  const ms = await done
  client.close()
  await sim.stop()
  return N / (ms / 1000)
}

/** (b) DuckDB appender rate for the same rows, mapped beforehand, in batches of the pipeline's size. */
async function rawAppend (batchRows: number): Promise<number> {
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
  const storage = createDuckDbStorage({ dataDir: dir, logger: silentLogger })
  await storage.start()
  try {
    let rows = 0
    for (const { schema } of batches.values()) await storage.ensureTable(schema)
    const t0 = performance.now()
    for (const { schema, rows: all } of batches.values()) {
      for (let i = 0; i < all.length; i += batchRows) await storage.appendRows(schema, all.slice(i, i + batchRows))
      rows += all.length
    }
    return rows / ((performance.now() - t0) / 1000)
  } finally {
    await storage.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** (c) simulator -> operator role -> committed rows, timed from the first received event to the last commit. */
async function fullIngest (): Promise<{ rate: number, dropped: number }> {
  const sim = await simulator()
  const dir = mkdtempSync(join(tmpdir(), 'fedlake-bench-ingest-'))
  const config = loadNodeConfig({ overrides: { name: 'bench', dataDir: dir } })
  const role = createOperatorRole({ dataDir: dir, dbms: 'kubearmor', kubearmor: [sim.address], ingest: config.ingest, logger: silentLogger })
  await role.start()
  try {
    let first = 0
    for (;;) {
      const s = role.ingestStats()
      if (first === 0 && s.rowsReceived > 0) first = performance.now()
      if (s.rowsCommitted + s.rowsDropped >= N) return { rate: s.rowsCommitted / ((performance.now() - first) / 1000), dropped: s.rowsDropped }
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
console.log(`ingest benchmark: ${fmt(N)} simulated KubeArmor events (log-heavy mix), simulator in a separate process`)
const a = await rawReceive()
console.log(`(a) raw gRPC receive + decode, no storage : ${fmt(a)} msgs/s`)
const b = await rawAppend(batchRows)
console.log(`(b) raw DuckDB appender, same rows        : ${fmt(b)} rows/s (batches of ${batchRows})`)
const c = await fullIngest()
console.log(`(c) full ingest sim -> committed rows     : ${fmt(c.rate)} events/s${c.dropped > 0 ? ` (${c.dropped} dropped!)` : ''}`)
console.log(`(c)/(a) = ${(c.rate / a).toFixed(2)}   (b)/(c) = ${(b / c.rate).toFixed(2)}`)
process.exit(0)
