import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import protoLoader from '@grpc/proto-loader'
import { KUBEARMOR_LOADER_OPTIONS, KUBEARMOR_PROTO_PATH, silentLogger, waitFor } from '@fedlake/core'
import type { KubeArmorStream, TableSchema } from '@fedlake/core'
import { createGrpcClientCommands, createKubeArmorConnector, grpcClientStatusTable } from '../src/connector/index.js'
import type { KubeArmorConnector } from '../src/connector/index.js'
import { createIngestPipeline } from '../src/ingest/index.js'
import type { IngestPipeline, IngestPipelineInit, IngestRow, IngestSink } from '../src/ingest/index.js'
import { createKubeArmorMappings, parseMappingPolicies, mergeWithDefaults } from '../src/mapping/index.js'
import type { KubeArmorMappings } from '../src/mapping/index.js'

/** In-memory stand-in for the operator storage. */
class FakeSink implements IngestSink {
  readonly tables = new Map<string, { schema: TableSchema, rows: IngestRow[] }>()
  /** While set, appends wait for it (a slow disk). */
  gate: Promise<void> | undefined
  async ensureTable (schema: TableSchema): Promise<boolean> {
    const key = `${schema.dbms}.${schema.table}`
    if (this.tables.has(key)) return false
    this.tables.set(key, { schema, rows: [] })
    return true
  }

  async appendRows (schema: TableSchema, rows: readonly IngestRow[]): Promise<void> {
    if (this.gate !== undefined) await this.gate
    this.tables.get(`${schema.dbms}.${schema.table}`)?.rows.push(...rows)
  }

  /** Rows of a table as column -> value objects. */
  records (table: string): Array<Record<string, unknown>> {
    const t = this.tables.get(`kubearmor.${table}`)
    if (t === undefined) return []
    return t.rows.map(row => Object.fromEntries(t.schema.columns.map((c, i) => [c.name, row[i]])))
  }
}

const METHOD_OF: Record<KubeArmorStream, string> = { logs: 'WatchLogs', alerts: 'WatchAlerts', messages: 'WatchMessages' }

type ServerCall = grpc.ServerWritableStream<{ Filter?: string }, unknown>

/**
 * A small feeder.LogService built from proto/kubearmor.proto with plain grpc-js. Messages are
 * written to every open call of a stream; a Buffer is sent as raw message bytes.
 */
class TestLogService {
  readonly calls: Record<KubeArmorStream, Set<ServerCall>> = { logs: new Set(), alerts: new Set(), messages: new Set() }
  readonly filters: string[] = []
  healthChecks = 0
  /** Added to the echoed nonce (0 = honest). */
  nonceSkew = 0
  private server: grpc.Server | undefined
  port = 0

  async start (port = 0): Promise<void> {
    const definition = protoLoader.loadSync(KUBEARMOR_PROTO_PATH, { ...KUBEARMOR_LOADER_OPTIONS })
    const service = definition['feeder.LogService'] as grpc.ServiceDefinition
    const passRawBytes = Object.fromEntries(Object.entries(service).map(([name, method]) => [name, {
      ...method,
      responseSerialize: (value: unknown) => Buffer.isBuffer(value) ? value : method.responseSerialize(value)
    }])) as grpc.ServiceDefinition
    const server = new grpc.Server()
    const watch = (stream: KubeArmorStream) => (call: ServerCall) => {
      this.filters.push(`${METHOD_OF[stream]}:${call.request.Filter ?? ''}`)
      this.calls[stream].add(call)
      const forget = (): void => { this.calls[stream].delete(call) }
      call.on('cancelled', forget)
      call.on('finish', forget)
      call.on('error', forget)
    }
    server.addService(passRawBytes, {
      HealthCheck: (call: grpc.ServerUnaryCall<{ nonce?: number }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        this.healthChecks++
        callback(null, { Retval: (call.request.nonce ?? 0) + this.nonceSkew })
      },
      WatchLogs: watch('logs'),
      WatchAlerts: watch('alerts'),
      WatchMessages: watch('messages')
    })
    this.port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => { if (err !== null) reject(err); else resolve(bound) })
    })
    this.server = server
  }

  get address (): string { return `127.0.0.1:${this.port}` }

  send (stream: KubeArmorStream, message: unknown): number {
    for (const call of this.calls[stream]) call.write(message)
    return this.calls[stream].size
  }

  /** Ends every open call of every stream with a status, as a failing relay would. */
  abortAll (code: grpc.status, details: string): void {
    for (const calls of Object.values(this.calls)) {
      for (const call of [...calls]) call.emit('error', { code, details })
      calls.clear()
    }
  }

  stop (): void {
    this.server?.forceShutdown()
    this.server = undefined
    for (const calls of Object.values(this.calls)) calls.clear()
  }
}

const LOG = {
  Timestamp: 1767001240,
  UpdatedTime: '2025-12-29T09:40:40.104233Z',
  ClusterName: 'default',
  HostName: 'worker-1',
  NamespaceName: 'default',
  Owner: { Ref: 'Deployment', Name: 'nginx', Namespace: 'default' },
  PodName: 'nginx-779797d5bd-wlrsn',
  HostPID: 247101,
  PID: 1,
  Type: 'ContainerLog',
  Operation: 'File',
  Resource: '/etc/nginx/conf.d/default.conf',
  EventData: { Syscall: 'SYS_OPENAT' },
  Result: 'Passed',
  Cwd: '/'
}
const ALERT = {
  Timestamp: 1767001234,
  UpdatedTime: '2025-12-29T09:40:34.512877Z',
  HostName: 'worker-2',
  NamespaceName: 'wordpress-mysql',
  PolicyName: 'harden-wordpress-pkg-mngr-exec',
  Severity: '5',
  ATags: ['NIST', 'SI-4'],
  Action: 'Block',
  Cwd: '/var/www/html/'
}
const MESSAGE = { Timestamp: 1767001260, UpdatedTime: '2025-12-29T09:41:00.000100Z', HostName: 'worker-1', Type: 'Message', Level: 'INFO', Message: 'hello' }

/** Appends raw protobuf fields to an encoded message: unknown numbers a newer KubeArmor might send. */
function withUnknownFields (encoded: Buffer): Buffer {
  return Buffer.concat([
    encoded,
    Buffer.from([0xd0, 0x05, 0x2a]), // field 90, varint 42
    Buffer.from([0xda, 0x05, 0x03, 0x61, 0x62, 0x63]), // field 91, bytes "abc"
    Buffer.from([0xe5, 0x05, 1, 2, 3, 4]), // field 92, fixed32
    Buffer.from([0xe9, 0x05, 1, 2, 3, 4, 5, 6, 7, 8]) // field 93, fixed64
  ])
}

interface Harness {
  server: TestLogService
  sink: FakeSink
  pipeline: IngestPipeline
  connector: KubeArmorConnector
  stop(): Promise<void>
}

interface HarnessOptions {
  mappings?: KubeArmorMappings
  server?: TestLogService
  sink?: FakeSink
  pipeline?: Partial<IngestPipelineInit>
}

async function startHarness (options: HarnessOptions = {}): Promise<Harness> {
  const server = options.server ?? new TestLogService()
  if (options.server === undefined) await server.start()
  const sink = options.sink ?? new FakeSink()
  const pipeline = createIngestPipeline({ sink, logger: silentLogger, batchRows: 100, flushIntervalMs: 20, ...options.pipeline })
  const connector = createKubeArmorConnector({
    sources: [server.address],
    pipeline,
    mappings: options.mappings ?? createKubeArmorMappings(),
    logger: silentLogger,
    reconnectInitialMs: 20,
    reconnectMaxMs: 200,
    healthCheckTimeoutMs: 1000
  })
  await pipeline.start()
  await connector.start()
  const harness: Harness = {
    server,
    sink,
    pipeline,
    connector,
    async stop () {
      await connector.stop()
      await pipeline.stop()
      harness.server.stop() // a test may have replaced the server (restart)
    }
  }
  return harness
}

const subscribed = (server: TestLogService, streams: readonly KubeArmorStream[] = ['logs', 'alerts', 'messages']) =>
  waitFor(() => streams.every(s => server.calls[s].size > 0), { what: `subscriptions to ${streams.join(',')}`, timeoutMs: 5000 })

describe('KubeArmor connector', () => {
  const harnesses: Harness[] = []
  after(async () => { for (const h of harnesses) await h.stop() })

  it('subscribes to all three streams with Filter all, after a health check, and stores mapped rows', async () => {
    const h = await startHarness()
    harnesses.push(h)
    await subscribed(h.server)
    assert.deepEqual([...h.server.filters].sort(), ['WatchAlerts:all', 'WatchLogs:all', 'WatchMessages:all'])
    assert.ok(h.server.healthChecks >= 3, 'one HealthCheck per subscription')
    h.server.send('logs', LOG)
    h.server.send('alerts', ALERT)
    h.server.send('messages', MESSAGE)
    await waitFor(() => h.sink.records('logs').length === 1 && h.sink.records('alert').length === 1 && h.sink.records('message').length === 1, { what: 'rows' })
    const log = h.sink.records('logs')[0] as Record<string, unknown>
    assert.equal(log.namespace, 'default')
    assert.equal(log.owner_ref, 'Deployment')
    assert.equal(log.host_pid, 247101)
    assert.equal(log.uid, 0)
    assert.equal(log.updated_timestamp, Date.parse('2025-12-29T09:40:40.104Z') * 1000 + 233)
    const alert = h.sink.records('alert')[0] as Record<string, unknown>
    assert.equal(alert.severity, 5)
    assert.equal(alert.atag, 'NIST,SI-4')
    assert.equal(alert.cwd, '/var/www/html/')
    assert.equal((h.sink.records('message')[0] as Record<string, unknown>).level, 'INFO')

    const statuses = h.connector.status()
    assert.deepEqual(statuses.map(s => [s.name, s.status, s.request, s.policy, s.dataMessages, s.proto, s.connection]), [
      [`kubearmor-logs@${h.server.address}`, 'Active', 'WatchLogs (Filter = all)', 'kubearmor-logs', 1, 'kubearmor', h.server.address],
      [`kubearmor-alert@${h.server.address}`, 'Active', 'WatchAlerts (Filter = all)', 'kubearmor-alert', 1, 'kubearmor', h.server.address],
      [`kubearmor-message@${h.server.address}`, 'Active', 'WatchMessages (Filter = all)', 'kubearmor-message', 1, 'kubearmor', h.server.address]
    ])
    assert.ok(statuses.every(s => s.lastMessageTime !== null && s.rejected === 0 && s.reconnects === 0))
  })

  it('re-subscribes after the server aborts its streams (UNAVAILABLE, CANCELLED, INTERNAL, OK end)', async () => {
    const h = await startHarness()
    harnesses.push(h)
    await subscribed(h.server)
    const aborts: Array<[grpc.status, string]> = [
      [grpc.status.UNAVAILABLE, 'relay restarting'],
      [grpc.status.CANCELLED, 'Call cancelled'],
      [grpc.status.INTERNAL, 'boom']
    ]
    for (const [round, [code, details]] of aborts.entries()) {
      h.server.abortAll(code, details)
      await subscribed(h.server)
      h.server.send('logs', { ...LOG, PID: round + 10 })
      await waitFor(() => h.sink.records('logs').some(r => r.pid === round + 10), { what: `row after abort ${round}` })
    }
    // a stream the server ends with OK (KubeArmor's shutdown) is re-subscribed too
    for (const call of h.server.calls.logs) call.end()
    await waitFor(() => (h.connector.status()[0]?.reconnects ?? 0) >= 4, { what: 'reconnect after OK end' })
    await subscribed(h.server, ['logs'])
    h.server.send('logs', { ...LOG, PID: 99 })
    await waitFor(() => h.sink.records('logs').some(r => r.pid === 99), { what: 'row after OK end' })
    const logs = h.connector.status()[0]
    assert.ok(logs !== undefined)
    assert.equal(logs.status, 'Active')
    assert.ok(logs.reconnects >= 4)
    assert.match(logs.lastError ?? '', /stream ended by the server/)
  })

  it('survives a server stop and restart on the same port: rows after the restart arrive', async () => {
    const h = await startHarness()
    harnesses.push(h)
    await subscribed(h.server)
    h.server.send('logs', { ...LOG, PID: 1 })
    await waitFor(() => h.sink.records('logs').length === 1, { what: 'first row' })
    const port = h.server.port
    h.server.stop()
    await waitFor(() => h.connector.status().every(s => s.status === 'Reconnecting'), { what: 'reconnecting' })
    assert.match(h.connector.status()[0]?.lastError ?? '', /UNAVAILABLE|CANCELLED/)
    const restarted = new TestLogService()
    await restarted.start(port)
    h.server = restarted
    await subscribed(restarted)
    restarted.send('logs', { ...LOG, PID: 2 })
    restarted.send('alerts', ALERT)
    await waitFor(() => h.sink.records('logs').length === 2 && h.sink.records('alert').length === 1, { what: 'rows after restart' })
    assert.deepEqual(h.sink.records('logs').map(r => r.pid), [1, 2])
    assert.ok(h.connector.status().every(s => s.status === 'Active'))
  })

  it('treats a HealthCheck that does not echo the nonce as an error and retries', async () => {
    const server = new TestLogService()
    server.nonceSkew = 1
    await server.start()
    const h = await startHarness({ server })
    harnesses.push(h)
    await waitFor(() => h.connector.status().every(s => s.reconnects >= 1), { what: 'failed health checks' })
    const status = h.connector.status()[0]
    assert.equal(status?.status, 'Reconnecting')
    assert.match(status?.lastError ?? '', /KUBEARMOR_HEALTH_CHECK_FAILED: nonce \d+ answered with \d+/)
    assert.equal(server.calls.logs.size, 0, 'no stream opened while the health check fails')
    server.nonceSkew = 0
    await subscribed(server)
    assert.ok(h.connector.status().every(s => s.status === 'Active'))
  })

  it('skips unknown fields, rejects a garbage message with its bytes, and keeps the stream going', async () => {
    const h = await startHarness()
    harnesses.push(h)
    await subscribed(h.server)
    const definition = protoLoader.loadSync(KUBEARMOR_PROTO_PATH, { ...KUBEARMOR_LOADER_OPTIONS })
    const encodeLog = (definition['feeder.LogService'] as grpc.ServiceDefinition).WatchLogs?.responseSerialize as (v: unknown) => Buffer
    h.server.send('logs', withUnknownFields(encodeLog({ ...LOG, PID: 7 })))
    const garbage = Buffer.from([0x0a, 0xff, 0x01, 0x41]) // field 2 claims 255 bytes, has 1
    h.server.send('logs', garbage)
    h.server.send('logs', { ...LOG, PID: 8 })
    await waitFor(() => h.sink.records('logs').length === 2 && h.sink.records('rejects').length === 1, { what: 'rows and reject' })
    assert.deepEqual(h.sink.records('logs').map(r => [r.pid, r.pod_name]), [[7, 'nginx-779797d5bd-wlrsn'], [8, 'nginx-779797d5bd-wlrsn']])
    const reject = h.sink.records('rejects')[0] as Record<string, unknown>
    assert.equal(reject.source, h.server.address)
    assert.equal(reject.stream, 'logs')
    assert.match(String(reject.error), /KUBEARMOR_DECODE_FAILED/)
    assert.equal(reject.raw, `base64:${garbage.toString('base64')}`)
    const status = h.connector.status()[0]
    assert.equal(status?.dataMessages, 3)
    assert.equal(status?.rejected, 1)
    assert.equal(status?.reconnects, 0, 'the bad message did not end the subscription')
  })

  it('sends records that fail mapping to rejects with the raw JSON and keeps going', async () => {
    const policies = mergeWithDefaults(parseMappingPolicies({
      mapping: { id: 'strict-logs', stream: 'logs', table: 'strict', schema: { pod: { type: 'string', bring: '[PodName]' }, pid: { type: 'int', bring: '[PID]' } } }
    }))
    const h = await startHarness({ mappings: createKubeArmorMappings({ policies }) })
    harnesses.push(h)
    await subscribed(h.server, ['logs'])
    const { PID: _pid, ...withoutPid } = LOG
    h.server.send('logs', withoutPid) // (Go's proto3 encoder also omits PID 0): PID is missing and required
    h.server.send('logs', { ...LOG, PID: 5 })
    await waitFor(() => h.sink.records('strict').length === 1 && h.sink.records('rejects').length === 1, { what: 'row and reject' })
    const reject = h.sink.records('rejects')[0] as Record<string, unknown>
    assert.match(String(reject.error), /MAPPING_FAILED \(strict-logs\): column pid: required value \[PID\] is missing/)
    const raw = JSON.parse(String(reject.raw)) as Record<string, unknown>
    assert.equal(raw.PodName, 'nginx-779797d5bd-wlrsn')
    assert.equal(raw.PID, undefined)
    assert.deepEqual(h.sink.records('strict')[0], { pod: 'nginx-779797d5bd-wlrsn', pid: 5 })
    assert.equal(h.connector.status()[0]?.policy, 'strict-logs')
    assert.equal(h.connector.status()[0]?.rejected, 1)
  })

  it('pauses its streams while the pipeline is full and loses nothing when storage catches up', async () => {
    const sink = new FakeSink()
    let open: () => void = () => {}
    sink.gate = new Promise(resolve => { open = resolve })
    const h = await startHarness({ sink, pipeline: { batchRows: 5, highWaterRows: 10, maxBufferedRows: 1000 } })
    harnesses.push(h)
    await subscribed(h.server, ['logs'])
    for (let pid = 1; pid <= 300; pid++) h.server.send('logs', { ...LOG, PID: pid })
    await waitFor(() => h.pipeline.stats().rowsBuffered >= 10, { what: 'pipeline at its high-water mark' })
    await new Promise(resolve => setTimeout(resolve, 100)) // give a stream that ignored the pause time to overrun
    const buffered = h.pipeline.stats().rowsBuffered
    assert.ok(buffered < 60, `paused stream kept feeding the pipeline: ${buffered} rows buffered`)
    sink.gate = undefined
    open()
    await waitFor(() => h.sink.records('logs').length === 300, { what: 'all rows after resume' })
    assert.deepEqual(h.sink.records('logs').map(r => r.pid), Array.from({ length: 300 }, (_v, i) => i + 1))
    assert.equal(h.pipeline.stats().rowsDropped, 0)
  })

  it('ends a subscription the server does not implement as Terminated (Error)', async () => {
    const definition = protoLoader.loadSync(KUBEARMOR_PROTO_PATH, { ...KUBEARMOR_LOADER_OPTIONS })
    const server = new grpc.Server()
    // a server with HealthCheck but no Watch* implementations answers UNIMPLEMENTED
    server.addService(definition['feeder.LogService'] as grpc.ServiceDefinition, {
      HealthCheck: (call: grpc.ServerUnaryCall<{ nonce?: number }, unknown>, callback: grpc.sendUnaryData<unknown>) => { callback(null, { Retval: call.request.nonce }) }
    })
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => { if (err !== null) reject(err); else resolve(bound) })
    })
    const pipeline = createIngestPipeline({ sink: new FakeSink(), logger: silentLogger })
    const connector = createKubeArmorConnector({
      sources: [`127.0.0.1:${port}`], streams: ['logs'], pipeline, mappings: createKubeArmorMappings(), logger: silentLogger, reconnectInitialMs: 20
    })
    try {
      await connector.start()
      await waitFor(() => connector.status()[0]?.status === 'Terminated (Error)', { what: 'terminated' })
      assert.match(connector.status()[0]?.lastError ?? '', /UNIMPLEMENTED/)
    } finally {
      await connector.stop()
      await pipeline.stop()
      server.forceShutdown()
    }
  })

  it('stop() ends every subscription as Stopped and flushes what was received', async () => {
    const h = await startHarness()
    await subscribed(h.server)
    h.server.send('alerts', ALERT)
    await waitFor(() => h.connector.status()[1]?.dataMessages === 1, { what: 'alert received' })
    await h.stop()
    assert.ok(h.connector.status().every(s => s.status === 'Stopped'))
    assert.equal(h.sink.records('alert').length, 1)
  })
})

describe('get grpc client(s)', () => {
  let h: Harness
  before(async () => {
    h = await startHarness()
    await subscribed(h.server)
    h.server.send('logs', LOG)
    await waitFor(() => h.connector.status()[0]?.dataMessages === 1, { what: 'one message' })
  })
  after(async () => { await h.stop() })

  it('renders the status table with EdgeLake-like columns', () => {
    const table = grpcClientStatusTable(h.connector.status())
    assert.deepEqual(table.columns, ['Name (ID)', 'Status', 'Connection', 'Proto Name', 'Request Msg', 'Policy Type', 'Policy ID',
      'Data Msgs', 'Rejected', 'Timeouts', 'Reconnects', 'Last Message', 'Error'])
    assert.equal(table.rows.length, 3)
    const logs = table.rows[0] as unknown[]
    assert.deepEqual(logs.slice(0, 11), [`kubearmor-logs@${h.server.address}`, 'Active', h.server.address, 'kubearmor',
      'WatchLogs (Filter = all)', 'mapping', 'kubearmor-logs', 1, 0, 0, 0])
    assert.match(String(logs[11]), /^\d{4}-\d\d-\d\dT/)
    assert.equal(table.preferJson, false)
  })

  it('answers `get grpc client`, `get grpc clients` and `where format = json and name = ...` on GET', async () => {
    const handlers = createGrpcClientCommands(() => h.connector.status())
    assert.deepEqual(handlers.map(c => c.words.join(' ')), ['get grpc client', 'get grpc clients'])
    assert.ok(handlers.every(c => c.methods.length === 1 && c.methods[0] === 'GET'))
    const ctx = { method: 'GET' as const, headers: {} }
    const plain = await handlers[0]?.execute('get grpc client', ctx)
    assert.equal(plain?.kind, 'table')
    assert.equal(plain?.kind === 'table' ? plain.rows.length : 0, 3)
    const json = await handlers[1]?.execute(`get grpc clients where format = json and name = kubearmor-alert@${h.server.address}`, ctx)
    assert.ok(json?.kind === 'table')
    assert.equal(json.preferJson, true)
    assert.equal(json.rows.length, 1)
    assert.equal(json.rows[0]?.[0], `kubearmor-alert@${h.server.address}`)
    await assert.rejects(handlers[0]?.execute('get grpc client where color = red', ctx) ?? Promise.resolve(), /unsupported condition/)
  })
})
