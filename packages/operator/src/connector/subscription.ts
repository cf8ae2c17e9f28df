/**
 * One KubeArmor subscription: (source, stream) -> health check -> Watch* stream -> mapping ->
 * pipeline, re-subscribing forever with backoff until stopped.
 *
 * Messages are decoded, mapped and pushed synchronously as the channel reads them (grpc-channel.ts);
 * the pipeline's backpressure pauses the call. The call's one status ends an attempt. UNAVAILABLE,
 * CANCELLED we did not cause, DEADLINE_EXCEEDED, INTERNAL, an OK end (KubeArmor ends a stream with OK on shutdown or an unknown filter) and anything else
 * transient are retried; UNIMPLEMENTED, UNAUTHENTICATED, PERMISSION_DENIED and INVALID_ARGUMENT
 * cannot be fixed by retrying and end the subscription as `Terminated (Error)`.
 */
import { delay } from '@fedlake/core'
import type { KubeArmorStream, Logger } from '@fedlake/core'
import { INGEST_ERRORS } from '../errors-ingest.js'
import type { IngestPipeline } from '../ingest/pipeline.js'
import { MappingError } from '../mapping/compile.js'
import type { CompiledMapping } from '../mapping/compile.js'
import { rawBytesText, rawRecordText } from '../mapping/rejects.js'
import { createBackoff } from './backoff.js'
import {
  DecodeFailure, decodeAlert, decodeLog, decodeMessage, decodeReplyMessage, encodeNonceMessage,
  encodeRequestMessage, safeDeserializer
} from './decode.js'
import type { GrpcChannel, GrpcServerStream } from './grpc-channel.js'
import { GRPC_STATUS, grpcStatusName } from './grpc-codes.js'
import type { GrpcCallStatus } from './grpc-codes.js'
import type { GrpcClientState, GrpcClientStatus } from './status.js'
import type { WatermarkTracker } from './watermark.js'

export const LOG_SERVICE_PATH = '/feeder.LogService'

interface StreamSpec {
  readonly method: string
  /** EdgeLake's client name for the stream. */
  readonly clientName: string
  readonly deserialize: (bytes: Buffer) => object | DecodeFailure
}

export const STREAM_SPECS: Readonly<Record<KubeArmorStream, StreamSpec>> = {
  logs: { method: 'WatchLogs', clientName: 'kubearmor-logs', deserialize: safeDeserializer(decodeLog) },
  alerts: { method: 'WatchAlerts', clientName: 'kubearmor-alert', deserialize: safeDeserializer(decodeAlert) },
  messages: { method: 'WatchMessages', clientName: 'kubearmor-message', deserialize: safeDeserializer(decodeMessage) }
}

const TERMINAL_CODES: ReadonlySet<number> = new Set([
  GRPC_STATUS.UNIMPLEMENTED, GRPC_STATUS.UNAUTHENTICATED, GRPC_STATUS.PERMISSION_DENIED, GRPC_STATUS.INVALID_ARGUMENT
])

/** The sink side of the pipeline a subscription needs. */
export type SubscriptionPipeline = Pick<IngestPipeline, 'push' | 'reject'>

export type SourceTransport = 'plaintext' | 'tls' | 'mtls'

export interface SubscriptionInit {
  /** The source's channel, shared by its subscriptions. */
  readonly channel: GrpcChannel
  /** host:port */
  readonly source: string
  /** How the channel reaches the source (shown in the status). @default plaintext */
  readonly transport?: SourceTransport
  readonly stream: KubeArmorStream
  readonly filter: string
  readonly mappings: readonly CompiledMapping[]
  readonly pipeline: SubscriptionPipeline
  readonly logger: Logger
  readonly reconnectInitialMs: number
  readonly reconnectMaxMs: number
  readonly healthCheckTimeoutMs: number
  /** Told when a run of this subscription starts (its first event) and when it breaks. */
  readonly watermark?: WatermarkTracker
}

export interface Subscription {
  readonly name: string
  /** Runs until stop(); never rejects. */
  run(): Promise<void>
  stop(): void
  /** Resumes a stream paused because the pipeline was full. */
  resume(): void
  status(): GrpcClientStatus
}

type Ending = GrpcCallStatus

function randomNonce (): number {
  return 1 + Math.floor(Math.random() * 0x7ffffffe)
}

export function createSubscription (init: SubscriptionInit): Subscription {
  const { channel, source, stream, pipeline, mappings } = init
  const spec = STREAM_SPECS[stream]
  const name = `${spec.clientName}@${source}`
  const logger = init.logger.child('subscription', { client: name })
  const path = `${LOG_SERVICE_PATH}/${spec.method}`
  const request = encodeRequestMessage(init.filter)
  const backoff = createBackoff(init.reconnectInitialMs, init.reconnectMaxMs)
  const stopController = new AbortController()

  let state: GrpcClientState = 'Connecting'
  let dataMessages = 0
  let rejected = 0
  let timeouts = 0
  let reconnects = 0
  let lastError: string | null = null
  let lastMessageAt = 0
  let call: GrpcServerStream | undefined
  let healthCheckAbort: AbortController | undefined
  let paused = false
  let warnedNoHealthCheck = false
  /** The current call has delivered an event: its run is under way. */
  let running = false
  const tables = [...new Set(mappings.map(m => `${m.schema.dbms}.${m.schema.table}`))]

  const onMessage = (bytes: Buffer, compressed: boolean): void => {
    const message = compressed ? new DecodeFailure(bytes, 'compressed message (no compression was negotiated)') : spec.deserialize(bytes)
    if (backoff.attempts > 0) backoff.reset()
    dataMessages++
    lastMessageAt = Date.now()
    if (!running) {
      running = true
      init.watermark?.runStarted(name, tables, eventTimeMs(message) ?? lastMessageAt)
    }
    let ok = true
    if (message instanceof DecodeFailure) {
      rejected++
      ok = pipeline.reject({ source, stream, error: `${INGEST_ERRORS.KUBEARMOR_DECODE_FAILED}: ${message.reason}`, raw: rawBytesText(message.bytes) })
    } else {
      let failed = false
      for (const mapping of mappings) {
        const rows = mapping.map(message)
        if (rows instanceof MappingError) {
          failed = true
          ok = pipeline.reject({ source, stream, error: `${rows.code} (${rows.policyId}): ${rows.message}`, raw: rawRecordText(rows.record) }) && ok
          continue
        }
        for (const row of rows) ok = pipeline.push(mapping.schema, row) && ok
      }
      if (failed) rejected++
    }
    if (!ok && call !== undefined && !paused) {
      paused = true
      call.pause()
    }
  }

  const healthCheck = async (): Promise<Ending | undefined> => {
    const nonce = randomNonce()
    healthCheckAbort = new AbortController()
    const reply = await channel.unary(`${LOG_SERVICE_PATH}/HealthCheck`, encodeNonceMessage(nonce), {
      timeoutMs: init.healthCheckTimeoutMs, signal: healthCheckAbort.signal
    })
    healthCheckAbort = undefined
    if (reply.code === GRPC_STATUS.UNIMPLEMENTED) {
      // HealthCheck is deprecated upstream; a server without it may still stream
      if (!warnedNoHealthCheck) logger.warn('HealthCheck not implemented by the server; streaming without it')
      warnedNoHealthCheck = true
      return undefined
    }
    if (reply.code !== GRPC_STATUS.OK) return { code: reply.code, details: `HealthCheck: ${reply.details}` }
    const decoded = reply.message === undefined ? undefined : safeDeserializer(decodeReplyMessage)(reply.message)
    const retval = decoded instanceof DecodeFailure ? undefined : (decoded?.Retval ?? 0)
    if (retval !== nonce) {
      return { code: GRPC_STATUS.UNKNOWN, details: `${INGEST_ERRORS.KUBEARMOR_HEALTH_CHECK_FAILED}: nonce ${nonce} answered with ${String(retval)}` }
    }
    return undefined
  }

  const watch = async (): Promise<Ending> => await new Promise<Ending>(resolve => {
    paused = false
    state = 'Active'
    const current = channel.serverStream(path, request, {
      onMessage,
      onStatus: (status) => {
        if (call === current) call = undefined
        if (running) init.watermark?.runEnded(name, tables)
        running = false
        resolve(status)
      }
    })
    call = current
  })

  const attempt = async (): Promise<Ending> => {
    const failed = await healthCheck()
    if (failed !== undefined) return failed
    if (stopController.signal.aborted) return { code: GRPC_STATUS.CANCELLED, details: 'stopped' }
    return await watch()
  }

  return {
    name,

    async run () {
      while (!stopController.signal.aborted) {
        const ending = await attempt()
        if (stopController.signal.aborted) break
        if (ending.code === GRPC_STATUS.DEADLINE_EXCEEDED) timeouts++
        const previousError = lastError
        lastError = ending.code === GRPC_STATUS.OK
          ? 'stream ended by the server'
          : `${grpcStatusName(ending.code)}: ${ending.details}`
        if (TERMINAL_CODES.has(ending.code)) {
          state = 'Terminated (Error)'
          logger.error('subscription terminated', { code: INGEST_ERRORS.KUBEARMOR_SUBSCRIPTION_FAILED, grpcCode: ending.code, details: ending.details })
          return
        }
        state = 'Reconnecting'
        reconnects++
        const wait = backoff.next()
        // a source that stays down repeats the same error every few seconds: say it once
        const fields = { grpcCode: ending.code, details: ending.details, retryInMs: wait, reconnects }
        if (lastError === previousError) logger.debug('subscription ended; re-subscribing', fields)
        else logger.warn('subscription ended; re-subscribing', fields)
        try { await delay(wait, stopController.signal) } catch { break }
      }
      state = 'Stopped'
    },

    stop () {
      stopController.abort()
      healthCheckAbort?.abort()
      call?.cancel()
      if (state !== 'Terminated (Error)') state = 'Stopped'
    },

    resume () {
      if (!paused) return
      paused = false
      call?.resume()
    },

    status () {
      return {
        name,
        source,
        stream,
        status: state,
        connection: init.transport === undefined || init.transport === 'plaintext' ? source : `${source} (${init.transport})`,
        proto: 'kubearmor',
        request: `${spec.method} (Filter = ${init.filter})`,
        policy: mappings.map(m => m.id).join(','),
        dataMessages,
        rejected,
        timeouts,
        reconnects,
        lastError,
        lastMessageTime: lastMessageAt === 0 ? null : new Date(lastMessageAt).toISOString()
      }
    }
  }
}

/** The event's own time (KubeArmor's epoch-seconds Timestamp) in ms, when it has one. */
function eventTimeMs (message: object): number | undefined {
  const seconds = (message as { Timestamp?: unknown }).Timestamp
  return typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : undefined
}
