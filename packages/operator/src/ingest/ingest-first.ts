/**
 * Ingest before queries. While the ingest pipeline is under pressure (its commits lag behind what arrives), a new
 * query on this operator waits before it starts: a running query takes the CPU the commits need, and once the
 * buffer reaches its mark the KubeArmor streams pause and KubeArmor drops events (it does not replay). Queries
 * already running go on. A waiting query starts when the pressure ends, after `maxWaitMs` at the latest (a
 * pipeline that stays behind must not starve queries), or at once when its signal aborts (the storage then
 * refuses it as cancelled, as it refuses any aborted query).
 */
import type { IngestPipeline } from './pipeline.js'

export interface IngestFirstGate {
  /** Resolves when a query may start. Never rejects. */
  wait(signal?: AbortSignal): Promise<void>
  /** Queries that waited for the pressure to end, since start. */
  held(): number
}

export function createIngestFirstGate (pipeline: Pick<IngestPipeline, 'underPressure' | 'onPressureChange'>, maxWaitMs = 2000): IngestFirstGate {
  let held = 0
  return {
    held: () => held,
    async wait (signal) {
      if (!pipeline.underPressure() || signal?.aborted === true) return
      held++
      await new Promise<void>(resolve => {
        const done = (): void => {
          clearTimeout(timer)
          stopListening()
          signal?.removeEventListener('abort', done)
          resolve()
        }
        const timer = setTimeout(done, maxWaitMs)
        const stopListening = pipeline.onPressureChange(pressured => { if (!pressured) done() })
        signal?.addEventListener('abort', done, { once: true })
      })
    }
  }
}
