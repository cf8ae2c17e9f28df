/**
 * The main thread's event-loop delay, in windows: each `take()` returns the delays since the previous one
 * and starts a new window. A stalled loop delays every timer and socket of the node (REST, liveness frames,
 * the KubeArmor streams), so this is the number that says whether the node keeps serving.
 *
 * The sampling starts with the first `take()`, not with the node: the histogram wakes the thread every
 * RESOLUTION_MS, which costs an idle node ~8 ms of CPU per second (most of its idle cost when it has few
 * peers; fifty such nodes on one machine would spend 0.4 cores on it), and nobody may ever ask.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { IntervalHistogram } from 'node:perf_hooks'
import type { Startable } from '@fedlake/core'

export interface EventLoopWindow {
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** Length of the window (0 on the first take: sampling starts then). */
  readonly sinceMs: number
}

export interface EventLoopMonitor extends Startable {
  take(): EventLoopWindow
  /** Whether the histogram samples the loop (from the first take until stop). */
  sampling(): boolean
}

const RESOLUTION_MS = 10

export function createEventLoopMonitor (): EventLoopMonitor {
  let histogram: IntervalHistogram | undefined
  let running = false
  let windowStart = performance.now()
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100
  return {
    async start () {
      running = true
    },
    async stop () {
      running = false
      histogram?.disable()
      histogram = undefined
    },
    sampling: () => histogram !== undefined,
    take () {
      const now = performance.now()
      const h = histogram
      if (h === undefined) {
        if (running) {
          histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
          histogram.enable()
        }
        windowStart = now
        return { p50Ms: 0, p99Ms: 0, maxMs: 0, sinceMs: 0 }
      }
      const window = h.count === 0
        ? { p50Ms: 0, p99Ms: 0, maxMs: 0, sinceMs: Math.round(now - windowStart) }
        // the histogram counts the sampling resolution itself as delay
        : { p50Ms: Math.max(0, ms(h.percentile(50)) - RESOLUTION_MS), p99Ms: Math.max(0, ms(h.percentile(99)) - RESOLUTION_MS), maxMs: Math.max(0, ms(h.max) - RESOLUTION_MS), sinceMs: Math.round(now - windowStart) }
      h.reset()
      windowStart = now
      return window
    }
  }
}
