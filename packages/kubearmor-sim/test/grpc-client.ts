/**
 * Test helper: a plain @grpc/grpc-js client built from proto/kubearmor.proto with proto-loader,
 * exactly as a third-party collector would build it, plus a small stream collector.
 */
import http2 from 'node:http2'
import { KUBEARMOR_LOADER_OPTIONS, KUBEARMOR_PROTO_PATH } from '@fedlake/core'
import type { KubeArmorStream } from '@fedlake/core'
import grpc from '@grpc/grpc-js'
import type { ClientReadableStream, ServiceError, StatusObject } from '@grpc/grpc-js'
import protoLoader from '@grpc/proto-loader'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { KubeArmorSimulator, SimulatorInit } from '@fedlake/kubearmor-sim'

const definition = protoLoader.loadSync(KUBEARMOR_PROTO_PATH, { ...KUBEARMOR_LOADER_OPTIONS })
const feeder = (grpc.loadPackageDefinition(definition) as unknown as { feeder: { LogService: grpc.ServiceClientConstructor } }).feeder

export const METHOD: Readonly<Record<KubeArmorStream, string>> = { logs: 'WatchLogs', alerts: 'WatchAlerts', messages: 'WatchMessages' }

type Method = (request: unknown, metadataOrOptions?: unknown, options?: unknown) => ClientReadableStream<unknown>

export interface LogServiceClient {
  raw: grpc.Client
  healthCheck(nonce: number): Promise<number | undefined>
  watch(stream: KubeArmorStream, filter: string, options?: { deadlineMs?: number, waitForReady?: boolean, paused?: boolean }): Collector
  close(): void
}

export interface Collector {
  readonly events: Array<Record<string, unknown>>
  /** Resolves with the final status (OK, CANCELLED, ...). */
  readonly done: Promise<StatusObject>
  readonly call: ClientReadableStream<unknown>
  /** Resolves once at least n events arrived. */
  atLeast(n: number, timeoutMs?: number): Promise<void>
  cancel(): void
}

function collect (call: ClientReadableStream<unknown>, paused: boolean): Collector {
  const events: Array<Record<string, unknown>> = []
  const waiters: Array<{ n: number, resolve: () => void }> = []
  let finished: StatusObject | undefined
  const done = new Promise<StatusObject>(resolve => {
    call.on('status', (s: StatusObject) => { finished = s; resolve(s) })
  })
  call.on('error', (_err: ServiceError) => { /* the status event carries it */ })
  if (!paused) {
    call.on('data', (event: Record<string, unknown>) => {
      events.push(event)
      for (const w of [...waiters]) if (events.length >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve() }
    })
  }
  return {
    events,
    done,
    call,
    atLeast (n, timeoutMs = 10_000) {
      if (events.length >= n) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`got ${events.length} of ${n} events (status ${finished?.code ?? 'open'})`)), timeoutMs)
        waiters.push({ n, resolve: () => { clearTimeout(timer); resolve() } })
      })
    },
    cancel: () => { call.cancel() }
  }
}

export function createClient (address: string, options: { raw?: boolean, credentials?: grpc.ChannelCredentials } = {}): LogServiceClient {
  let Ctor = feeder.LogService
  if (options.raw === true) {
    const service: Record<string, unknown> = { ...feeder.LogService.service }
    for (const m of Object.values(METHOD)) service[m] = { ...(feeder.LogService.service[m] as object), responseDeserialize: (b: Buffer) => b }
    Ctor = grpc.makeGenericClientConstructor(service as grpc.ServiceDefinition, 'LogService')
  }
  const client = new Ctor(address, options.credentials ?? grpc.credentials.createInsecure())
  const methods = client as unknown as Record<string, Method>
  return {
    raw: client,
    healthCheck: nonce => new Promise((resolve, reject) => {
      (client as unknown as Record<string, (req: unknown, opts: unknown, cb: (err: ServiceError | null, reply?: { Retval?: number }) => void) => void>)
        .HealthCheck!({ nonce }, { deadline: Date.now() + 5000 }, (err, reply) => { if (err) reject(err); else resolve(reply?.Retval) })
    }),
    watch (stream, filter, opts = {}) {
      const metadata = new grpc.Metadata(opts.waitForReady === true ? { waitForReady: true } : undefined)
      const callOptions = opts.deadlineMs === undefined ? {} : { deadline: Date.now() + opts.deadlineMs }
      const call = (methods[METHOD[stream]] as Method).call(client, { Filter: filter }, metadata, callOptions)
      return collect(call, opts.paused === true)
    },
    close: () => { client.close() }
  }
}

/** Drops proto3 defaults so generated objects and decoded ones compare equal. */
export function normalize (value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(normalize)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      const n = normalize(v)
      if (n !== undefined) out[k] = n
    }
    return out
  }
  if (value === '' || value === 0 || value === undefined || value === null) return undefined
  return value
}

/** normalize, but also removes empty maps/arrays at the top level (proto-loader materialises them). */
export function wireView (event: unknown): Record<string, unknown> {
  const n = normalize(event) as Record<string, unknown>
  for (const key of ['EventData', 'ATags']) {
    const v = n[key]
    if (v !== undefined && typeof v === 'object' && Object.keys(v as object).length === 0) delete n[key]
  }
  return n
}

/**
 * A subscriber that never reads, at the HTTP/2 level: it sends one Watch* request and never
 * consumes the response, so no WINDOW_UPDATE goes back and the server's writes stop after the
 * 64 KiB window. (A grpc-js client that ignores its stream keeps reading and buffers everything
 * in memory instead, so it cannot play this role.)
 */
export function nonReadingSubscriber (address: string, stream: KubeArmorStream, filter: string): { close(): void } {
  const session = http2.connect(`http://${address}`)
  session.on('error', () => { /* closed by the test */ })
  const body = Buffer.concat([Buffer.from([0x0a, Buffer.byteLength(filter)]), Buffer.from(filter)])
  const frame = Buffer.alloc(5 + body.length)
  frame.writeUInt32BE(body.length, 1)
  body.copy(frame, 5)
  const request = session.request({ ':method': 'POST', ':path': `/feeder.LogService/${METHOD[stream]}`, 'content-type': 'application/grpc', te: 'trailers' })
  request.on('error', () => { /* closed by the test */ })
  request.end(frame)
  request.pause()
  return { close: () => { request.close(); session.destroy() } }
}

/** The simulators and clients one test file starts; `closeAll` (from `after`) stops every one of them. */
export interface TestBed {
  simulator(init: SimulatorInit): Promise<KubeArmorSimulator>
  client(sim: KubeArmorSimulator, raw?: boolean): LogServiceClient
  closeAll(): Promise<void>
}

export function createTestBed (): TestBed {
  const started: KubeArmorSimulator[] = []
  const clients: LogServiceClient[] = []
  return {
    async simulator (init) {
      const sim = createKubeArmorSimulator({ port: 0, ...init })
      await sim.start()
      started.push(sim)
      return sim
    },
    client (sim, raw = false) {
      const c = createClient(sim.address, { raw })
      clients.push(c)
      return c
    },
    async closeAll () {
      for (const c of clients) c.close()
      await Promise.all(started.map(s => s.stop()))
    }
  }
}

/** One grpc.health.v1.Health method, messages coded by hand as in health.ts: the response is the status number. */
const healthMethod = (name: string, responseStream: boolean): Record<string, unknown> => ({
  path: `/grpc.health.v1.Health/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: (service: string) => Buffer.concat([Buffer.from([0x0a, service.length]), Buffer.from(service)]),
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => (b.length >= 2 && b[0] === 0x08 ? b[1] : 0)
})

/** A grpc.health.v1.Health client: Check and Watch give the serving status number (1 = SERVING). */
const HealthClient = grpc.makeGenericClientConstructor({ Check: healthMethod('Check', false), Watch: healthMethod('Watch', true) } as unknown as grpc.ServiceDefinition, 'Health')

export interface HealthStub {
  Check(service: string, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, status?: number) => void): void
  Watch(service: string): grpc.ClientReadableStream<number>
}

export function createHealthClient (address: string, credentials = grpc.credentials.createInsecure()): HealthStub & grpc.Client {
  return new HealthClient(address, credentials) as unknown as HealthStub & grpc.Client
}
