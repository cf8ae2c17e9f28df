/**
 * One KubeArmor subscription: (source, stream) -> health check -> Watch* stream -> mapping ->
 * pipeline, re-subscribing forever with backoff until stopped.
 *
 * Ending rules (reference/libraries.md §4): only the `status` event ends an attempt (`end` also
 * fires after `error`). UNAVAILABLE, CANCELLED we did not cause, DEADLINE_EXCEEDED, INTERNAL,
 * an OK end (KubeArmor ends a stream with OK on shutdown or an unknown filter) and anything else
 * transient are retried; UNIMPLEMENTED, UNAUTHENTICATED, PERMISSION_DENIED and INVALID_ARGUMENT
 * cannot be fixed by retrying and end the subscription as `Terminated (Error)`.
 */
import { Metadata, status as Status } from '@grpc/grpc-js'
import type { Client, ClientReadableStream, ServiceError } from '@grpc/grpc-js'
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
import type { GrpcClientState, GrpcClientStatus } from './status.js'

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
  Status.UNIMPLEMENTED, Status.UNAUTHENTICATED, Status.PERMISSION_DENIED, Status.INVALID_ARGUMENT
])

/** The sink side of the pipeline a subscription needs. */
export type SubscriptionPipeline = Pick<IngestPipeline, 'push' | 'reject'>

export interface SubscriptionInit {
  readonly client: Client
  /** host:port */
  readonly source: string
  readonly stream: KubeArmorStream
  readonly filter: string
  readonly mappings: readonly CompiledMapping[]
  readonly pipeline: SubscriptionPipeline
  readonly logger: Logger
  readonly reconnectInitialMs: number
  readonly reconnectMaxMs: number
  readonly healthCheckTimeoutMs: number
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

interface Ending { readonly code: number, readonly details: string }

function randomNonce (): number {
  return 1 + Math.floor(Math.random() * 0x7ffffffe)
}

function codeName (code: number): string {
  return (Status as unknown as Record<number, string>)[code] ?? String(code)
}

export function createSubscription (init: SubscriptionInit): Subscription {
  const { client, source, stream, pipeline, mappings } = init
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
  let call: ClientReadableStream<object | DecodeFailure> | undefined
  let cancelHealthCheck: (() => void) | undefined
  let paused = false
  let warnedNoHealthCheck = false

  const onMessage = (message: object | DecodeFailure): void => {
    if (backoff.attempts > 0) backoff.reset()
    dataMessages++
    lastMessageAt = Date.now()
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
    return await new Promise<Ending | undefined>(resolve => {
      const unary = client.makeUnaryRequest(
        `${LOG_SERVICE_PATH}/HealthCheck`, encodeNonceMessage, safeDeserializer(decodeReplyMessage), nonce,
        new Metadata(), { deadline: Date.now() + init.healthCheckTimeoutMs },
        (err: ServiceError | null, reply?: { Retval?: number } | DecodeFailure) => {
          cancelHealthCheck = undefined
          if (err !== null) {
            if (err.code === Status.UNIMPLEMENTED) {
              // HealthCheck is deprecated upstream; a server without it may still stream
              if (!warnedNoHealthCheck) logger.warn('HealthCheck not implemented by the server; streaming without it')
              warnedNoHealthCheck = true
              resolve(undefined)
              return
            }
            resolve({ code: err.code, details: `HealthCheck: ${err.details}` })
            return
          }
          const retval = reply instanceof DecodeFailure ? undefined : (reply?.Retval ?? 0)
          if (retval !== nonce) {
            resolve({ code: Status.UNKNOWN, details: `${INGEST_ERRORS.KUBEARMOR_HEALTH_CHECK_FAILED}: nonce ${nonce} answered with ${String(retval)}` })
            return
          }
          resolve(undefined)
        })
      cancelHealthCheck = () => { unary.cancel() }
    })
  }

  const watch = async (): Promise<Ending> => await new Promise<Ending>(resolve => {
    paused = false
    const current = client.makeServerStreamRequest(path, (b: Buffer) => b, spec.deserialize, request, new Metadata())
    call = current
    state = 'Active'
    current.on('data', onMessage)
    current.on('error', () => { /* the status event carries the same information */ })
    current.on('status', (s: { code: number, details: string }) => {
      // messages still buffered by a paused stream are delivered before the next attempt
      if (paused) current.resume()
      if (call === current) call = undefined
      resolve({ code: s.code, details: s.details })
    })
  })

  const attempt = async (): Promise<Ending> => {
    const failed = await healthCheck()
    if (failed !== undefined) return failed
    if (stopController.signal.aborted) return { code: Status.CANCELLED, details: 'stopped' }
    return await watch()
  }

  return {
    name,

    async run () {
      while (!stopController.signal.aborted) {
        const ending = await attempt()
        if (stopController.signal.aborted) break
        if (ending.code === Status.DEADLINE_EXCEEDED) timeouts++
        const previousError = lastError
        lastError = ending.code === Status.OK
          ? 'stream ended by the server'
          : `${codeName(ending.code)}: ${ending.details}`
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
      cancelHealthCheck?.()
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
        status: state,
        connection: source,
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
