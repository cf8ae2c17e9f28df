/**
 * The KubeArmor connector: for every source (daemon or relay, host:port) and stream it keeps a
 * feeder.LogService subscription alive (subscription.ts) and feeds mapped rows to the pipeline.
 * One gRPC channel (one HTTP/2 connection, grpc-channel.ts) per source is shared by its streams and
 * health checks.
 */
import { FedlakeError, CORE_ERRORS } from '@fedlake/core'
import type { KubeArmorStream, Logger, Startable } from '@fedlake/core'
import type { IngestPipeline } from '../ingest/pipeline.js'
import type { KubeArmorMappings } from '../mapping/kubearmor-mappings.js'
import { createGrpcChannel, DEFAULT_GRPC_WINDOW_BYTES } from './grpc-channel.js'
import type { GrpcChannel, GrpcTlsOptions } from './grpc-channel.js'
import type { GrpcClientStatus } from './status.js'
import { createSubscription } from './subscription.js'
import type { SourceTransport, Subscription } from './subscription.js'
import type { WatermarkTracker } from './watermark.js'

export interface KubeArmorConnectorInit {
  /** KubeArmor LogService endpoints, host:port. */
  readonly sources: readonly string[]
  /** @default ['logs', 'alerts', 'messages'] */
  readonly streams?: readonly KubeArmorStream[]
  /** RequestMessage.Filter; KubeArmor accepts all/policy (alerts), all/system (logs). @default 'all' */
  readonly filter?: string
  readonly pipeline: Pick<IngestPipeline, 'push' | 'reject' | 'onDrain'>
  readonly mappings: KubeArmorMappings
  readonly logger: Logger
  /** First re-subscribe delay (ms); doubles up to reconnectMaxMs, with jitter. @default 250 */
  readonly reconnectInitialMs?: number
  /** @default 10000 */
  readonly reconnectMaxMs?: number
  /** Deadline of the HealthCheck made before every (re)subscription. @default 5000 */
  readonly healthCheckTimeoutMs?: number
  /**
   * HTTP/2 keepalive ping interval, to notice a silently dead connection (a stream may be idle for
   * good, e.g. messages). KubeArmor's gRPC servers keep grpc-go's default enforcement (pings at
   * most every 5 minutes, else GOAWAY), so stay above that. 0 disables. @default 360000
   */
  readonly keepaliveMs?: number
  /**
   * HTTP/2 flow-control window (bytes, per stream and for the connection) advertised to the source.
   * HTTP/2's default 64 KiB is about a hundred events: the source then waits for a WINDOW_UPDATE while
   * this process is busy with the previous burst, and neither side is ever fully busy. A larger window lets
   * the source keep sending during that time; pausing a stream (pipeline backpressure) still stops it after at
   * most this many bytes. @default 1048576
   */
  readonly flowControlWindowBytes?: number
  /** TLS (and mTLS) to every source; plaintext when absent, as KubeArmor serves by default. */
  readonly tls?: GrpcTlsOptions
  /** Where the subscriptions report their runs (the ingest watermark). */
  readonly watermark?: WatermarkTracker
}

export const DEFAULT_FLOW_CONTROL_WINDOW_BYTES = DEFAULT_GRPC_WINDOW_BYTES

function transportName (tls: GrpcTlsOptions | undefined): SourceTransport {
  if (tls === undefined) return 'plaintext'
  return tls.cert !== undefined ? 'mtls' : 'tls'
}

export interface KubeArmorConnector extends Startable {
  /** One entry per (source, stream), in the order given. */
  status(): GrpcClientStatus[]
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/

export function createKubeArmorConnector (init: KubeArmorConnectorInit): KubeArmorConnector {
  const streams = init.streams ?? ['logs', 'alerts', 'messages']
  const filter = init.filter ?? 'all'
  const reconnectInitialMs = init.reconnectInitialMs ?? 250
  const reconnectMaxMs = Math.max(init.reconnectMaxMs ?? 10_000, reconnectInitialMs)
  const logger = init.logger.child('kubearmor')
  for (const source of init.sources) {
    if (!HOST_PORT.test(source)) throw new FedlakeError(CORE_ERRORS.CONFIG_INVALID, `KubeArmor source '${source}' is not host:port`)
  }

  let channels: GrpcChannel[] = []
  let subscriptions: Subscription[] = []
  let runs: Array<Promise<void>> = []
  let stopDrain: (() => void) | undefined
  let started = false

  return {
    async start () {
      if (started) return
      started = true
      subscriptions = []
      for (const source of init.sources) {
        const channel = createGrpcChannel({
          address: source,
          flowControlWindowBytes: init.flowControlWindowBytes ?? DEFAULT_FLOW_CONTROL_WINDOW_BYTES,
          keepaliveMs: init.keepaliveMs ?? 360_000,
          ...(init.tls !== undefined ? { tls: init.tls } : {})
        })
        channels.push(channel)
        for (const stream of streams) {
          subscriptions.push(createSubscription({
            channel,
            source,
            transport: transportName(init.tls),
            stream,
            filter,
            mappings: init.mappings.byStream[stream],
            pipeline: init.pipeline,
            logger,
            reconnectInitialMs,
            reconnectMaxMs,
            healthCheckTimeoutMs: init.healthCheckTimeoutMs ?? 5000,
            ...(init.watermark !== undefined ? { watermark: init.watermark } : {})
          }))
        }
      }
      // resumed outside the pipeline's drain notification: a resumed stream pushes its kept messages at once
      stopDrain = init.pipeline.onDrain(() => { setImmediate(() => { for (const s of subscriptions) s.resume() }) })
      runs = subscriptions.map(s => s.run())
      logger.info('subscribing', { sources: init.sources, streams, filter, transport: transportName(init.tls) })
    },

    async stop () {
      if (!started) return
      for (const s of subscriptions) s.stop()
      await Promise.all(runs)
      stopDrain?.()
      for (const c of channels) c.close()
      channels = []
      runs = []
      started = false
      // the subscriptions stay, so their final statuses remain visible after stop
    },

    status () {
      return subscriptions.map(s => s.status())
    }
  }
}
