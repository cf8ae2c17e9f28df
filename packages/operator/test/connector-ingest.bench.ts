/**
 * Benchmark (not a test): KubeArmor Log decode and ingest rates on this machine.
 *   node --conditions=source --import tsx packages/operator/test/connector-ingest.bench.ts [messages]
 *
 * 1. decode only: @grpc/proto-loader (protobufjs) vs the hand-written decoder, in a loop;
 * 2. mapping only: compiled kubearmor-logs row builder;
 * 3. over gRPC from a server in another process sending pre-encoded Logs as fast as it can:
 *    raw receive (no decode), receive + proto-loader decode, receive + hand decoder, and the full
 *    connector (health check, decode, mapping, pipeline) into a sink that only counts rows, and
 *    (with --duckdb) into the real DuckDB storage.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import protoLoader from '@grpc/proto-loader'
import { KUBEARMOR_LOADER_OPTIONS, KUBEARMOR_PROTO_PATH, silentLogger, waitFor } from '@fedlake/core'
import { createKubeArmorConnector, decodeLog } from '../src/connector/index.js'
import { createIngestPipeline } from '../src/ingest/index.js'
import { createKubeArmorMappings } from '../src/mapping/index.js'
import { createDuckDbStorage } from '../src/storage/index.js'
import { CONTAINER_FILE_LOG } from './fixtures/kubearmor-log.js'

const definition = protoLoader.loadSync(KUBEARMOR_PROTO_PATH, { ...KUBEARMOR_LOADER_OPTIONS })
const service = definition['feeder.LogService'] as grpc.ServiceDefinition
const watchLogs = service.WatchLogs as grpc.MethodDefinition<unknown, unknown>
const encoded = watchLogs.responseSerialize(CONTAINER_FILE_LOG)

async function serve (count: number): Promise<void> {
  const raw = Object.fromEntries(Object.entries(service).map(([k, m]) => [k, { ...m, responseSerialize: (v: unknown) => Buffer.isBuffer(v) ? v : m.responseSerialize(v) }]))
  const server = new grpc.Server()
  server.addService(raw as grpc.ServiceDefinition, {
    HealthCheck: (call: grpc.ServerUnaryCall<{ nonce?: number }, unknown>, cb: grpc.sendUnaryData<unknown>) => { cb(null, { Retval: call.request.nonce }) },
    WatchAlerts: () => {},
    WatchMessages: () => {},
    WatchLogs: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      let sent = 0
      const pump = (): void => {
        while (sent < count) {
          sent++
          if (!call.write(encoded)) { call.once('drain', pump); return }
        }
        call.end()
      }
      pump()
    }
  })
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => { if (e !== null) reject(e); else resolve(p) }))
  process.stdout.write(`${port}\n`)
}

function loop (name: string, n: number, fn: () => unknown): number {
  let best = 0
  for (let round = 0; round < 5; round++) {
    const t = performance.now()
    for (let i = 0; i < n; i++) fn()
    best = Math.max(best, n / (performance.now() - t) * 1000)
  }
  console.log(`${name.padEnd(44)} ${Math.round(best).toLocaleString('en-US').padStart(10)} /s`)
  return best
}

/** Client-process CPU per message: what bounds the rate when the client, not the server, is the bottleneck. */
function cpuPerItem (since: NodeJS.CpuUsage, items: number): string {
  const used = process.cpuUsage(since)
  const micros = (used.user + used.system) / items
  return `(client CPU ${micros.toFixed(1)} µs/msg -> ${Math.round(1e6 / micros).toLocaleString('en-US')}/s on one core)`
}

async function withServer<T> (count: number, body: (address: string) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', fileURLToPath(import.meta.url), '--serve', String(count)], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await new Promise<string>(resolve => child.stdout.once('data', (d: Buffer) => { resolve(d.toString().trim()) }))
    return await body(`127.0.0.1:${port}`)
  } finally {
    child.kill()
  }
}

async function receive (name: string, count: number, deserialize: (b: Buffer) => unknown): Promise<number> {
  return await withServer(count, async address => {
    const client = new grpc.Client(address, grpc.credentials.createInsecure())
    const started = performance.now()
    const cpu = process.cpuUsage()
    let n = 0
    const call = client.makeServerStreamRequest('/feeder.LogService/WatchLogs', (b: Buffer) => b, deserialize, Buffer.from([0x0a, 3, 0x61, 0x6c, 0x6c]))
    call.on('data', () => { n++ })
    call.on('error', () => {})
    await new Promise(resolve => call.on('status', resolve))
    const rate = n / (performance.now() - started) * 1000
    client.close()
    console.log(`${name.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} /s  ${cpuPerItem(cpu, n)}`)
    return rate
  })
}

async function fullIngest (count: number): Promise<number> {
  return await withServer(count, async address => {
    let rows = 0
    let done: () => void = () => {}
    const finished = new Promise<void>(resolve => { done = resolve })
    const pipeline = createIngestPipeline({
      sink: {
        ensureTable: async () => true,
        appendRows: async (_schema, batch) => { rows += batch.length; if (rows >= count) done() }
      },
      logger: silentLogger,
      batchRows: 8192,
      flushIntervalMs: 100
    })
    const connector = createKubeArmorConnector({ sources: [address], streams: ['logs'], pipeline, mappings: createKubeArmorMappings(), logger: silentLogger })
    const started = performance.now()
    const cpu = process.cpuUsage()
    await connector.start()
    await finished
    const rate = rows / (performance.now() - started) * 1000
    const cpuText = cpuPerItem(cpu, rows)
    await connector.stop()
    await pipeline.stop()
    console.log(`${'gRPC full connector ingest (rows committed)'.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} /s  ${cpuText}`)
    return rate
  })
}

async function duckDbIngest (count: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'fedlake-bench-'))
  try {
    return await withServer(count, async address => {
      const storage = createDuckDbStorage({ dataDir: dir, logger: silentLogger })
      await storage.start()
      const pipeline = createIngestPipeline({ sink: storage, logger: silentLogger, batchRows: 8192, flushIntervalMs: 1000 })
      const connector = createKubeArmorConnector({ sources: [address], streams: ['logs'], pipeline, mappings: createKubeArmorMappings(), logger: silentLogger })
      const started = performance.now()
      const cpu = process.cpuUsage()
      await connector.start()
      await waitFor(() => pipeline.stats().rowsCommitted >= count, { timeoutMs: 600_000, intervalMs: 5 })
      const rate = count / (performance.now() - started) * 1000
      const cpuText = cpuPerItem(cpu, count)
      await connector.stop()
      await pipeline.stop()
      await storage.stop()
      console.log(`${'gRPC full connector ingest into DuckDB'.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} /s  ${cpuText}`)
      return rate
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main (): Promise<void> {
  if (process.argv[2] === '--serve') { await serve(Number(process.argv[3])); return }
  const count = Number(process.argv.find(a => /^\d+$/.test(a)) ?? 200_000)
  console.log(`Log message: ${encoded.length} bytes; ${count} messages per gRPC run`)
  const loaderDecode = loop('decode, @grpc/proto-loader (protobufjs)', 100_000, () => watchLogs.responseDeserialize(encoded))
  const fastDecode = loop('decode, hand-written decodeLog', 100_000, () => decodeLog(encoded))
  const logsMapping = createKubeArmorMappings().byStream.logs[0]
  const decoded = decodeLog(encoded)
  if (logsMapping !== undefined) loop('map, compiled kubearmor-logs row builder', 200_000, () => logsMapping.map(decoded))
  console.log(`decode speed-up: ${(fastDecode / loaderDecode).toFixed(2)}x`)
  await receive('gRPC receive only (no decode)', count, b => b)
  const slow = await receive('gRPC receive + proto-loader decode', count, watchLogs.responseDeserialize)
  const fast = await receive('gRPC receive + hand decoder', count, decodeLog)
  const ingest = await fullIngest(count)
  console.log(`ingest / (receive + hand decode) = ${(ingest / fast).toFixed(2)}; ingest / (receive + proto-loader decode) = ${(ingest / slow).toFixed(2)}`)
  if (process.argv.includes('--duckdb')) {
    const duck = await duckDbIngest(count)
    console.log(`DuckDB ingest / (receive + hand decode) = ${(duck / fast).toFixed(2)}`)
  }
}

await main()
