/**
 * A faithful KubeArmor LogService (feeder.LogService) on gRPC: KubeArmor's filter rules, routing
 * by Type, per-subscriber bounded queues with drop-when-full, no replay, daemon/relay keepalive,
 * plus test hooks (abort, restart, refuse, stall, inject) and exact counters.
 * See docs/kubearmor-simulator.md for the behaviour contract.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { FedlakeError, silentLogger } from '@fedlake/core'
import type { KubeArmorStream, Logger, Startable } from '@fedlake/core'
import grpc from '@grpc/grpc-js'
import type { ServerUnaryCall, ServerWritableStream, sendUnaryData } from '@grpc/grpc-js'
import type { Clock } from './clock.js'
import type { DumpWriter } from './dump.js'
import { createDumpWriter } from './dump.js'
import { SIM_ERRORS } from './errors.js'
import { FanOut, STREAMS } from './fanout.js'
import type { Envelope, StreamCounters, Subscriber, SubscriberStats, WatchCall } from './fanout.js'
import { createEventGenerator } from './generator.js'
import type { EventGenerator, EventGeneratorInit } from './generator.js'
import { HEALTH_SERVICE, healthHandlers } from './health.js'
import { serverServiceDefinition } from './proto.js'
import { addReflection } from './reflection.js'
import type { Seed } from './random.js'
import { createEventSource } from './source.js'
import type { EventSource } from './source.js'
import { checkTls, serverCredentials, tlsMode } from './tls.js'
import type { SimulatorTls, TlsMode } from './tls.js'
import { encodeEvent } from './wire.js'

export type SimulatorProfile = 'daemon' | 'relay'
export type AbortCode = 'UNAVAILABLE' | 'CANCELLED' | 'INTERNAL'
/**
 * Where grpc.health.v1.Health is served: on the LogService port (KubeArmor before 2026-06), on a
 * separate plaintext port (KubeArmor since 2026-06, `gRPCHealthPort` 32766), or not at all.
 */
export type HealthMode = 'same-port' | 'separate-port' | 'off'

export interface SimulatorInit {
  /** @default '127.0.0.1' */
  host?: string
  /** 0 picks a free port. @default 32767 */
  port?: number
  /** Events per second over all streams; 0 or absent = as fast as the subscribers take them. */
  rate?: number
  /** Generate exactly this many events in total, then keep the streams open and idle. */
  count?: number
  /** @default 1 */
  seed?: Seed
  /** @default 2 */
  nodes?: number
  /** @default 8 */
  pods?: number
  /** ClusterName. @default 'default' */
  cluster?: string
  /** Send Message events (KubeArmor does only with --debug). @default false */
  debug?: boolean
  /**
   * 'relay' (default): one endpoint for all simulated nodes, queues of 1000 alerts/messages and
   * 10000 logs, keepalive 5 s, ` remotehost=` on tcp_ network logs. 'daemon': 1000 per stream,
   * keepalive 1 s / timeout 5 s (a real daemon serves only its own node: use nodes: 1).
   */
  profile?: SimulatorProfile
  /** Relative stream weights. @default { logs: 0.9, alerts: 0.1, messages: 0.01 (debug only) } */
  mix?: Partial<Record<KubeArmorStream, number>>
  /** Override the per-subscriber queue size (all streams, or per stream). */
  queueSize?: number | Partial<Record<KubeArmorStream, number>>
  /**
   * Do not generate until each of these streams has a subscriber (a stream listed twice needs two
   * subscribers, and so on). Default: with `count`, every
   * stream of the mix (so a test's client sees all N); without `count`, none (events generated
   * while nobody listens are lost, as in KubeArmor).
   */
  waitForSubscribers?: readonly KubeArmorStream[]
  /**
   * After this many generated events, re-send them in a loop with fresh timestamps (throughput
   * mode). Default: 20000 when unthrottled, 0 (always new events) with a rate.
   */
  recycleAfter?: number
  /** Keep every published event for `recorded()`. @default false */
  record?: boolean
  /** Write every sent event as Go-style JSON NDJSON; `{stream}` in the path = one file per stream. */
  dump?: string
  /**
   * Serve grpc.health.v1.Health (`""` and feeder.LogService are SERVING); false = no health service
   * at all. Where: see `healthPort`. @default true
   */
  healthService?: boolean
  /**
   * Serve grpc.health.v1.Health only on this separate plaintext port (never TLS), as KubeArmor does
   * since 2026-06 (port 32766); the LogService port then has no health service. 0 picks a free
   * port. Absent: health on the LogService port.
   */
  healthPort?: number
  /**
   * TLS on the LogService port (PEM contents); with `clientCa`, mTLS (client certificates required
   * and verified). Absent: insecure, KubeArmor's default.
   */
  tls?: SimulatorTls
  /**
   * Register gRPC server reflection (grpc.reflection.v1 and v1alpha) on the LogService port, as the
   * KubeArmor daemon does (the relay does not). @default false
   */
  reflection?: boolean
  /** In unthrottled mode, a subscriber whose full queue has not moved for this long stops holding generation back. @default 1000 */
  stalledSubscriberMs?: number
  /** Epoch-microsecond clock for event times. @default the wall clock */
  clock?: Clock
  /** Emulate KubeArmor's alert throttling (see EventGeneratorInit.throttle). @default false */
  throttle?: EventGeneratorInit['throttle']
  logger?: Logger
}

/** One event published to a stream, as seen by `onEvent` listeners and `recorded()`. */
export interface SimulatedEvent {
  /** 1-based publish order over all streams. */
  readonly seq: number
  readonly stream: KubeArmorStream
  /** The event object (undefined for injectRaw). */
  readonly event: object | undefined
  /** The exact protobuf bytes of the message. */
  readonly bytes: Uint8Array
  readonly injected: boolean
  /** Subscribers whose queue accepted it. */
  readonly accepted: number
  /** True once it has been written to at least one subscriber. */
  readonly sent: boolean
}

export type SimulatedEventListener = (event: SimulatedEvent) => void

export interface StreamStats {
  /** Events the generator produced for this stream. */
  readonly generated: number
  /** Events added with inject/injectRaw. */
  readonly injected: number
  /** Events written to at least one subscriber. */
  readonly sent: number
  /** Drops summed over every subscriber this stream ever had (queue full). */
  readonly dropped: number
  /** Events published while the stream had no subscriber (lost). */
  readonly unsubscribed: number
  /** Live subscribers now. */
  readonly subscribers: number
  /** Watch calls accepted since start (filter-rejected calls not included). */
  readonly subscriptions: number
  readonly queueCapacity: number
  /** Live subscribers, with their own sent/dropped/queued counters. */
  readonly subscriberDetails: readonly SubscriberStats[]
}

export interface SimulatorStats {
  readonly running: boolean
  readonly address: string
  readonly port: number
  readonly tls: TlsMode
  readonly health: HealthMode
  /** The separate health port, or null when health is not on a separate port. */
  readonly healthPort: number | null
  readonly reflection: boolean
  readonly profile: SimulatorProfile
  readonly cluster: string
  /** Rate limit in events/s, or null when unthrottled. */
  readonly rate: number | null
  readonly count: number | null
  /** True while the generator runs (started, subscribers present as configured, count not reached). */
  readonly generating: boolean
  readonly stalled: boolean
  readonly generated: number
  readonly injected: number
  readonly sent: number
  readonly dropped: number
  readonly subscribers: number
  /** Seconds since generation began (0 before). */
  readonly generationSeconds: number
  /** generated / generationSeconds. */
  readonly generatedPerSecond: number
  readonly streams: Readonly<Record<KubeArmorStream, StreamStats>>
}

export interface KubeArmorSimulator extends Startable {
  /** The bound port (the actual one when init.port was 0); 0 before start. */
  readonly port: number
  /** `host:port`. */
  readonly address: string
  /** The bound separate health port (`healthPort` init); 0 before start or when health is not on a separate port. */
  readonly healthPort: number
  /** How the LogService port is secured: off, on (TLS) or mtls. */
  readonly tls: TlsMode
  readonly health: HealthMode
  /** True when server reflection is registered on the LogService port. */
  readonly reflection: boolean
  readonly generator: EventGenerator
  stats(): SimulatorStats
  /** Called for every published event (generated or injected); returns an unsubscribe function. */
  onEvent(listener: SimulatedEventListener): () => void
  /** Published events in order (only with `record: true`). */
  recorded(): readonly SimulatedEvent[]
  /** Resolves once `count` events have been generated (never without `count`). */
  whenCountReached(): Promise<void>
  /** Ends every live Watch* call with this status; returns how many. */
  abortStreams(code: AbortCode, details?: string): number
  /** Drops every connection (clients see CANCELLED or UNAVAILABLE) and listens again on the same port (and health port). */
  restart(): Promise<void>
  /** Closes the port (and health port) for `ms` (new calls fail with UNAVAILABLE), then listens again on the same ports. */
  refuseConnections(ms: number): Promise<void>
  /** Stops writing to every call for `ms` while generation goes on: queues fill, then drop. */
  stall(ms: number): Promise<void>
  /** Publishes a hand-made event on a stream (counted as injected, not generated). */
  inject(stream: KubeArmorStream, event: object): void
  /** Publishes raw protobuf bytes as one message of the stream (unknown fields, odd wire types, ...). */
  injectRaw(stream: KubeArmorStream, bytes: Uint8Array): void
}

const ABORT_STATUS: Readonly<Record<AbortCode, grpc.status>> = {
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  CANCELLED: grpc.status.CANCELLED,
  INTERNAL: grpc.status.INTERNAL
}

/** KubeArmor's logServer.go accepts only these filters; anything else ends the call at once with OK. */
const ACCEPTED_FILTERS: Readonly<Record<KubeArmorStream, ReadonlySet<string> | undefined>> = {
  alerts: new Set(['all', 'policy']),
  logs: new Set(['all', 'system']),
  messages: undefined
}

const UNTHROTTLED_BATCH = 64
const SHUTDOWN_GRACE_MS = 300

function invalid (message: string, details: Record<string, unknown> = {}): FedlakeError {
  return new FedlakeError(SIM_ERRORS.SIM_INVALID_OPTION, message, details)
}

function checkInit (init: SimulatorInit): void {
  const nonNegativeInt = (name: string, value: number | undefined): void => {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) throw invalid(`${name} must be a non-negative integer`, { [name]: value })
  }
  nonNegativeInt('port', init.port)
  nonNegativeInt('healthPort', init.healthPort)
  if (init.healthPort !== undefined && init.healthPort > 65535) throw invalid('healthPort must be <= 65535', { healthPort: init.healthPort })
  if (init.healthPort !== undefined && init.healthService === false) throw invalid('healthPort needs the health service (healthService: false disables it)')
  if (init.healthPort !== undefined && init.healthPort !== 0 && init.healthPort === (init.port ?? 32767)) throw invalid('healthPort must differ from port', { port: init.port, healthPort: init.healthPort })
  checkTls(init.tls)
  nonNegativeInt('count', init.count)
  nonNegativeInt('recycleAfter', init.recycleAfter)
  if (init.port !== undefined && init.port > 65535) throw invalid('port must be <= 65535', { port: init.port })
  if (init.rate !== undefined && !(Number.isFinite(init.rate) && init.rate >= 0)) throw invalid('rate must be a number >= 0', { rate: init.rate })
  if (init.nodes !== undefined && (!Number.isInteger(init.nodes) || init.nodes < 1)) throw invalid('nodes must be an integer >= 1', { nodes: init.nodes })
  nonNegativeInt('pods', init.pods)
  if (init.profile !== undefined && init.profile !== 'daemon' && init.profile !== 'relay') throw invalid('profile must be daemon or relay', { profile: init.profile })
  const sizes = typeof init.queueSize === 'number' ? [init.queueSize] : Object.values(init.queueSize ?? {})
  for (const size of sizes) if (!Number.isInteger(size) || (size as number) < 1) throw invalid('queueSize must be an integer >= 1', { queueSize: init.queueSize })
  for (const stream of init.waitForSubscribers ?? []) if (!STREAMS.includes(stream)) throw invalid(`unknown stream ${String(stream)}`)
}

function bindAddress (host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`
}

function bindServer (server: grpc.Server, host: string, port: number, credentials: grpc.ServerCredentials, what: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(bindAddress(host, port), credentials, (err, bound) => {
      if (err !== null) {
        server.forceShutdown()
        reject(new FedlakeError(SIM_ERRORS.SIM_BIND_FAILED, `cannot listen${what} on ${bindAddress(host, port)}: ${err.message}`, { host, port }, { cause: err }))
      } else resolve(bound)
    })
  })
}

/** Stops a server: graceful waits up to SHUTDOWN_GRACE_MS for calls to finish, then drops connections. */
async function shutdownServer (server: grpc.Server, graceful: boolean): Promise<void> {
  if (!graceful) {
    server.forceShutdown()
    return
  }
  await new Promise<void>(resolve => {
    const timer = setTimeout(() => { server.forceShutdown(); resolve() }, SHUTDOWN_GRACE_MS)
    server.tryShutdown(() => { clearTimeout(timer); resolve() })
  })
}

class SimulatedEventRecord implements SimulatedEvent {
  constructor (
    readonly seq: number,
    private readonly envelope: Envelope,
    readonly injected: boolean,
    readonly accepted: number
  ) {}

  get stream (): KubeArmorStream { return this.envelope.stream }
  get event (): object | undefined { return this.envelope.event }
  get bytes (): Uint8Array { return this.envelope.bytes }
  get sent (): boolean { return this.envelope.written }
}

class Simulator implements KubeArmorSimulator {
  readonly generator: EventGenerator
  private readonly host: string
  private readonly requestedPort: number
  private readonly requestedHealthPort: number | undefined
  readonly tls: TlsMode
  readonly health: HealthMode
  readonly reflection: boolean
  private readonly profile: SimulatorProfile
  private readonly rate: number
  private readonly count: number | undefined
  private readonly waitStreams: readonly KubeArmorStream[]
  private readonly capacities: Readonly<Record<KubeArmorStream, number>>
  private readonly staleMs: number
  private readonly logger: Logger
  private readonly source: EventSource
  private readonly fanout: FanOut
  private readonly listeners = new Set<SimulatedEventListener>()
  private readonly records: SimulatedEvent[] | undefined
  private readonly healthWatches = new Set<ServerWritableStream<unknown, unknown>>()
  private readonly generatedBy: Record<KubeArmorStream, number> = { logs: 0, alerts: 0, messages: 0 }
  private readonly injectedBy: Record<KubeArmorStream, number> = { logs: 0, alerts: 0, messages: 0 }
  private readonly countReached: Promise<void>
  private resolveCountReached: () => void = () => {}
  private dump: DumpWriter | undefined
  private server: grpc.Server | undefined
  private healthServer: grpc.Server | undefined
  private boundPort = 0
  private boundHealthPort = 0
  private running = false
  private generating = false
  private generationStartedAt = 0
  private generationEndedAt = 0
  private seq = 0
  private generatedTotal = 0
  private loop: Promise<void> | undefined
  private wake: (() => void) | undefined
  private stallTimer: NodeJS.Timeout | undefined
  private stallResolvers: Array<() => void> = []

  constructor (private readonly init: SimulatorInit) {
    checkInit(init)
    this.host = init.host ?? '127.0.0.1'
    this.requestedPort = init.port ?? 32767
    this.requestedHealthPort = init.healthPort
    this.tls = tlsMode(init.tls)
    this.health = init.healthService === false ? 'off' : init.healthPort !== undefined ? 'separate-port' : 'same-port'
    this.reflection = init.reflection ?? false
    this.profile = init.profile ?? 'relay'
    this.rate = init.rate ?? 0
    this.count = init.count
    this.staleMs = init.stalledSubscriberMs ?? 1000
    this.logger = init.logger ?? silentLogger
    this.generator = createEventGenerator({
      seed: init.seed,
      nodes: init.nodes,
      pods: init.pods,
      cluster: init.cluster,
      debug: init.debug,
      mix: init.mix,
      relay: this.profile === 'relay',
      clock: init.clock,
      throttle: init.throttle
    })
    this.waitStreams = init.waitForSubscribers ?? (this.count !== undefined ? this.generator.streams : [])
    const base = this.profile === 'relay' ? { logs: 10_000, alerts: 1000, messages: 1000 } : { logs: 1000, alerts: 1000, messages: 1000 }
    const override = typeof init.queueSize === 'number' ? { logs: init.queueSize, alerts: init.queueSize, messages: init.queueSize } : init.queueSize ?? {}
    this.capacities = Object.freeze({ ...base, ...override })
    this.source = createEventSource(this.generator, init.recycleAfter ?? (this.rate > 0 ? 0 : 20_000))
    this.records = init.record === true ? [] : undefined
    this.countReached = new Promise(resolve => { this.resolveCountReached = resolve })
    this.fanout = new FanOut({
      capacity: stream => this.capacities[stream],
      onFirstWrite: envelope => {
        if (this.dump !== undefined && envelope.event !== undefined) this.dump.write(envelope.stream, envelope.event)
      },
      onChange: () => { this.onWake() }
    })
  }

  get port (): number { return this.boundPort }
  get address (): string { return bindAddress(this.host, this.boundPort) }
  get healthPort (): number { return this.boundHealthPort }

  async start (): Promise<void> {
    if (this.running) return
    if (this.init.dump !== undefined) this.dump = createDumpWriter(this.init.dump)
    try {
      await this.listen(this.requestedPort, this.requestedHealthPort)
    } catch (err) {
      await this.dump?.close()
      this.dump = undefined
      throw err
    }
    this.running = true
    this.logger.info('kubearmor simulator listening', {
      address: this.address, profile: this.profile, rate: this.rate, count: this.count ?? null,
      tls: this.tls, health: this.health, healthPort: this.boundHealthPort || null, reflection: this.reflection
    })
    this.loop = this.runGeneration().catch(err => {
      this.logger.error('generation stopped', { err })
    })
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.endStall()
    this.onWake()
    await this.loop
    await this.shutdown(true)
    await this.dump?.close()
    this.dump = undefined
    this.logger.info('kubearmor simulator stopped', { generated: this.generatedTotal })
  }

  // ---- gRPC server ----------------------------------------------------------------------------

  private serverOptions (): grpc.ServerOptions {
    return this.profile === 'daemon'
      ? { 'grpc.keepalive_time_ms': 1000, 'grpc.keepalive_timeout_ms': 5000, 'grpc.keepalive_permit_without_calls': 1 }
      : { 'grpc.keepalive_time_ms': 5000, 'grpc.keepalive_timeout_ms': 20_000, 'grpc.keepalive_permit_without_calls': 1 }
  }

  /** Binds the LogService port and, in separate-port mode, the health port; on failure nothing stays bound. */
  private async listen (port: number, healthPort: number | undefined): Promise<void> {
    const server = new grpc.Server(this.serverOptions())
    server.addService(serverServiceDefinition(), {
      HealthCheck: (call: ServerUnaryCall<{ nonce?: number }, { Retval: number }>, callback: sendUnaryData<{ Retval: number }>) => {
        callback(null, { Retval: call.request.nonce ?? 0 })
      },
      WatchLogs: (call: WatchCall) => { this.watch('logs', call) },
      WatchAlerts: (call: WatchCall) => { this.watch('alerts', call) },
      WatchMessages: (call: WatchCall) => { this.watch('messages', call) }
    })
    if (this.health === 'same-port') server.addService(HEALTH_SERVICE, this.healthImplementation())
    if (this.reflection) addReflection(server, { health: this.health === 'same-port' })
    this.boundPort = await bindServer(server, this.host, port, serverCredentials(this.init.tls), '')
    this.server = server
    if (this.health !== 'separate-port' || healthPort === undefined) return
    // KubeArmor's health server is plaintext whatever tlsEnabled says, with default server options.
    const health = new grpc.Server()
    health.addService(HEALTH_SERVICE, this.healthImplementation())
    try {
      this.boundHealthPort = await bindServer(health, this.host, healthPort, grpc.ServerCredentials.createInsecure(), ' (health)')
    } catch (err) {
      this.server = undefined
      this.boundPort = 0
      server.forceShutdown()
      throw err
    }
    this.healthServer = health
  }

  private healthImplementation (): grpc.UntypedServiceImplementation {
    const health = healthHandlers()
    return {
      ...health,
      Watch: (call: ServerWritableStream<unknown, unknown>) => {
        this.healthWatches.add(call)
        call.on('cancelled', () => this.healthWatches.delete(call))
        ;(health.Watch as (c: ServerWritableStream<unknown, unknown>) => void)(call)
      }
    }
  }

  /** Ends all calls; graceful = status OK then a short grace before dropping connections. */
  private async shutdown (graceful: boolean): Promise<void> {
    const servers = [this.server, this.healthServer].filter((s): s is grpc.Server => s !== undefined)
    this.server = undefined
    this.healthServer = undefined
    const subscribers = this.fanout.all()
    for (const subscriber of subscribers) this.fanout.remove(subscriber)
    if (graceful) {
      for (const subscriber of subscribers) subscriber.call.end()
      for (const call of this.healthWatches) call.end()
    }
    this.healthWatches.clear()
    await Promise.all(servers.map(server => shutdownServer(server, graceful)))
  }

  private watch (stream: KubeArmorStream, call: WatchCall): void {
    const filter = (call.request as { Filter?: string } | undefined)?.Filter ?? ''
    const accepted = ACCEPTED_FILTERS[stream]
    if ((accepted !== undefined && !accepted.has(filter)) || !this.running) {
      call.end()
      return
    }
    const subscriber = this.fanout.add(stream, filter, call)
    this.logger.debug('subscriber added', { stream, filter, id: subscriber.id })
    const remove = (): void => {
      if (subscriber.closed) return
      this.fanout.remove(subscriber)
      this.logger.debug('subscriber removed', { stream, id: subscriber.id, sent: subscriber.sent, dropped: subscriber.dropped })
    }
    call.on('cancelled', remove)
    call.on('close', remove)
    call.on('finish', remove)
  }

  // ---- generation -----------------------------------------------------------------------------

  private onWake (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private waitForChange (ms: number): Promise<void> {
    return new Promise(resolve => {
      const timer = setTimeout(() => { this.wake = undefined; resolve() }, ms)
      this.wake = () => { clearTimeout(timer); resolve() }
    })
  }

  private ready (): boolean {
    const needed: Record<KubeArmorStream, number> = { logs: 0, alerts: 0, messages: 0 }
    for (const stream of this.waitStreams) needed[stream]++
    return STREAMS.every(stream => this.fanout.subscribers[stream].size >= needed[stream])
  }

  private remaining (): number {
    return this.count === undefined ? Number.POSITIVE_INFINITY : this.count - this.generatedTotal
  }

  private async runGeneration (): Promise<void> {
    while (this.running && !this.ready()) await this.waitForChange(1000)
    if (!this.running) return
    if (this.remaining() <= 0) { this.finishCount(); return }
    this.generating = true
    this.generationStartedAt = performance.now()
    this.logger.info('generation started', { rate: this.rate, count: this.count ?? null })
    if (this.rate > 0) await this.runRated()
    else await this.runUnthrottled()
    this.generating = false
    this.generationEndedAt = performance.now()
  }

  private async runUnthrottled (): Promise<void> {
    const streams = this.generator.streams
    while (this.running && this.remaining() > 0) {
      if (!this.fanout.hasRoom(streams, UNTHROTTLED_BATCH, this.staleMs)) {
        await this.waitForChange(100)
        continue
      }
      const n = Math.min(UNTHROTTLED_BATCH, this.remaining())
      for (let i = 0; i < n; i++) this.emitGenerated()
      await nextTurn()
    }
    if (this.remaining() <= 0) this.finishCount()
  }

  private async runRated (): Promise<void> {
    const rate = this.rate
    const tickMs = rate >= 100 ? 10 : Math.min(100, 1000 / rate)
    const maxBurst = Math.max(1, Math.ceil(rate / 4))
    let base = performance.now()
    let emitted = 0
    while (this.running && this.remaining() > 0) {
      const due = Math.floor((performance.now() - base) * rate / 1000) - emitted
      if (due > 0) {
        const n = Math.min(due, maxBurst, this.remaining())
        for (let i = 0; i < n; i++) this.emitGenerated()
        emitted += n
        // Behind by more than a burst (CPU-bound): forget the backlog instead of catching up.
        if (due > maxBurst) base = performance.now() - emitted * 1000 / rate
      }
      if (this.remaining() <= 0) break
      await this.waitForTick(tickMs)
    }
    if (this.remaining() <= 0) this.finishCount()
  }

  private waitForTick (ms: number): Promise<void> {
    return new Promise(resolve => setTimeout(resolve, ms))
  }

  private finishCount (): void {
    if (this.generationEndedAt === 0) this.generationEndedAt = performance.now()
    this.logger.info('count reached', { count: this.count ?? null, generated: this.generatedTotal })
    this.resolveCountReached()
  }

  private get wantObjects (): boolean {
    return this.listeners.size > 0 || this.records !== undefined || this.dump !== undefined
  }

  private emitGenerated (): void {
    const produced = this.source.next(this.wantObjects)
    this.generatedTotal++
    this.generatedBy[produced.stream]++
    this.publish({ stream: produced.stream, bytes: produced.bytes, event: produced.event, written: false }, false)
  }

  private publish (envelope: Envelope, injected: boolean): void {
    const accepted = this.fanout.publish(envelope)
    this.seq++
    if (this.listeners.size === 0 && this.records === undefined) return
    const record = new SimulatedEventRecord(this.seq, envelope, injected, accepted)
    this.records?.push(record)
    for (const listener of this.listeners) {
      try { listener(record) } catch (err) { this.logger.warn('onEvent listener threw', { err }) }
    }
  }

  // ---- public hooks ---------------------------------------------------------------------------

  stats (): SimulatorStats {
    const streams = {} as Record<KubeArmorStream, StreamStats>
    let sent = 0
    let dropped = 0
    let subscribers = 0
    for (const stream of STREAMS) {
      const counters: StreamCounters = this.fanout.counters[stream]
      const live = [...this.fanout.subscribers[stream]]
      streams[stream] = {
        generated: this.generatedBy[stream],
        injected: this.injectedBy[stream],
        sent: counters.sent,
        dropped: counters.dropped,
        unsubscribed: counters.unsubscribed,
        subscribers: live.length,
        subscriptions: counters.subscriptions,
        queueCapacity: this.capacities[stream],
        subscriberDetails: live.map((s: Subscriber) => s.stats())
      }
      sent += counters.sent
      dropped += counters.dropped
      subscribers += live.length
    }
    const end = this.generating ? performance.now() : this.generationEndedAt
    const seconds = this.generationStartedAt === 0 ? 0 : Math.max(0, (end - this.generationStartedAt) / 1000)
    return {
      running: this.running,
      address: this.address,
      port: this.boundPort,
      tls: this.tls,
      health: this.health,
      healthPort: this.health === 'separate-port' && this.boundHealthPort !== 0 ? this.boundHealthPort : null,
      reflection: this.reflection,
      profile: this.profile,
      cluster: this.generator.topology.cluster,
      rate: this.rate > 0 ? this.rate : null,
      count: this.count ?? null,
      generating: this.generating,
      stalled: this.fanout.isStalled,
      generated: this.generatedTotal,
      injected: this.injectedBy.logs + this.injectedBy.alerts + this.injectedBy.messages,
      sent,
      dropped,
      subscribers,
      generationSeconds: seconds,
      generatedPerSecond: seconds > 0 ? Math.round(this.generatedTotal / seconds) : 0,
      streams
    }
  }

  onEvent (listener: SimulatedEventListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  recorded (): readonly SimulatedEvent[] {
    return this.records ?? []
  }

  whenCountReached (): Promise<void> {
    return this.countReached
  }

  abortStreams (code: AbortCode, details = `simulated ${code}`): number {
    const status = ABORT_STATUS[code]
    if (status === undefined) throw invalid(`abort code must be UNAVAILABLE, CANCELLED or INTERNAL, not ${String(code)}`)
    const subscribers = this.fanout.all()
    for (const subscriber of subscribers) {
      this.fanout.remove(subscriber)
      subscriber.call.emit('error', { code: status, details })
    }
    this.logger.info('streams aborted', { code, count: subscribers.length })
    return subscribers.length
  }

  private requireRunning (what: string): void {
    if (!this.running) throw new FedlakeError(SIM_ERRORS.SIM_NOT_RUNNING, `${what}: the simulator is not running`)
  }

  async restart (): Promise<void> {
    this.requireRunning('restart')
    const port = this.boundPort
    const healthPort = this.healthServer === undefined ? undefined : this.boundHealthPort
    await this.shutdown(false)
    await this.listen(port, healthPort)
    this.logger.info('restarted', { port, healthPort: healthPort ?? null })
  }

  async refuseConnections (ms: number): Promise<void> {
    this.requireRunning('refuseConnections')
    const port = this.boundPort
    const healthPort = this.healthServer === undefined ? undefined : this.boundHealthPort
    await this.shutdown(false)
    this.logger.info('refusing connections', { ms })
    await new Promise(resolve => setTimeout(resolve, ms))
    if (this.running) await this.listen(port, healthPort)
  }

  stall (ms: number): Promise<void> {
    this.requireRunning('stall')
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer)
    this.fanout.setStalled(true)
    const done = new Promise<void>(resolve => { this.stallResolvers.push(resolve) })
    this.stallTimer = setTimeout(() => { this.endStall() }, ms)
    return done
  }

  private endStall (): void {
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer)
    this.stallTimer = undefined
    if (this.fanout.isStalled) this.fanout.setStalled(false)
    const resolvers = this.stallResolvers
    this.stallResolvers = []
    for (const resolve of resolvers) resolve()
  }

  inject (stream: KubeArmorStream, event: object): void {
    this.requireRunning('inject')
    this.injectedBy[stream]++
    this.publish({ stream, bytes: encodeEvent(stream, event), event, written: false }, true)
  }

  injectRaw (stream: KubeArmorStream, bytes: Uint8Array): void {
    this.requireRunning('injectRaw')
    this.injectedBy[stream]++
    this.publish({ stream, bytes: Buffer.from(bytes), event: undefined, written: false }, true)
  }
}

export function createKubeArmorSimulator (init: SimulatorInit = {}): KubeArmorSimulator {
  return new Simulator(init)
}
