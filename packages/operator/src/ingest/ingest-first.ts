/**
 * Ingest before queries. While the ingest pipeline is under pressure (its commits lag behind what arrives), queries
 * on this operator run one at a time: every running query takes CPU the commits need, and once the buffer reaches
 * its mark the KubeArmor streams pause and KubeArmor drops events (it does not replay). Queries already running
 * when the pressure starts go on; a new one waits, first come first served, until no other query runs, until the
 * pressure ends, after `maxWaitMs` at the latest (a pipeline that stays behind must not starve queries), or at once
 * when its signal aborts (the storage then refuses it as cancelled, as it refuses any aborted query).
 *
 * One at a time and not none: a client loop that keeps 32 queries in flight gets the same throughput from one
 * running query as from many (the CPU is the limit either way), while the commits compete with one query's
 * threads instead of every query's.
 */
import type { IngestPipeline } from './pipeline.js'

export interface IngestFirstGate {
  /** Resolves, with a release to call when the query ends, once the query may start. Never rejects. Release is idempotent. */
  admit(signal?: AbortSignal): Promise<() => void>
  /** Queries that waited for their turn or for the pressure to end, since start. */
  held(): number
  /** Queries admitted and not released. */
  running(): number
}

export interface IngestFirstOptions {
  /** Longest a query waits under pressure. @default 5000 */
  readonly maxWaitMs?: number
  /** Queries that may run at once under pressure. @default 1 */
  readonly runningUnderPressure?: number
}

interface Waiter { readonly admit: () => void }

export function createIngestFirstGate (pipeline: Pick<IngestPipeline, 'underPressure' | 'onPressureChange'>, options: IngestFirstOptions = {}): IngestFirstGate {
  const maxWaitMs = options.maxWaitMs ?? 5000
  const limit = options.runningUnderPressure ?? 1
  const waiters: Waiter[] = []
  let running = 0
  let held = 0

  const releaser = (): (() => void) => {
    let released = false
    return () => {
      if (released) return
      released = true
      running--
      if (running < limit) waiters.shift()?.admit()
    }
  }

  return {
    held: () => held,
    running: () => running,
    async admit (signal) {
      if (signal?.aborted === true || !pipeline.underPressure() || (running < limit && waiters.length === 0)) {
        running++
        return releaser()
      }
      held++
      await new Promise<void>(resolve => {
        let admitted = false
        const waiter: Waiter = {
          admit: () => {
            if (admitted) return
            admitted = true
            clearTimeout(timer)
            stopListening()
            signal?.removeEventListener('abort', waiter.admit)
            const at = waiters.indexOf(waiter)
            if (at >= 0) waiters.splice(at, 1)
            // counted now, not when the caller resumes: a release or an admit in between must see it running
            running++
            resolve()
          }
        }
        const timer = setTimeout(waiter.admit, maxWaitMs)
        const stopListening = pipeline.onPressureChange(pressured => { if (!pressured) waiter.admit() })
        signal?.addEventListener('abort', waiter.admit, { once: true })
        waiters.push(waiter)
      })
      return releaser()
    }
  }
}
