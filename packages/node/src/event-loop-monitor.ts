/**
 * The main thread's event-loop delay, in windows: each `take()` returns the delays since the previous one
 * and starts a new window. A stalled loop delays every timer and socket of the node (REST, liveness frames,
 * the KubeArmor streams), so this is the number that says whether the node keeps serving.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { IntervalHistogram } from 'node:perf_hooks'
import type { Startable } from '@fedlake/core'

export interface EventLoopWindow {
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** Length of the window. */
  readonly sinceMs: number
}

export interface EventLoopMonitor extends Startable {
  take(): EventLoopWindow
}

const RESOLUTION_MS = 10

export function createEventLoopMonitor (): EventLoopMonitor {
  let histogram: IntervalHistogram | undefined
  let windowStart = performance.now()
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100
  return {
    async start () {
      histogram ??= monitorEventLoopDelay({ resolution: RESOLUTION_MS })
      histogram.enable()
      windowStart = performance.now()
    },
    async stop () {
      histogram?.disable()
    },
    take () {
      const h = histogram
      const now = performance.now()
      const window = h === undefined || h.count === 0
        ? { p50Ms: 0, p99Ms: 0, maxMs: 0, sinceMs: Math.round(now - windowStart) }
        // the histogram counts the sampling resolution itself as delay
        : { p50Ms: Math.max(0, ms(h.percentile(50)) - RESOLUTION_MS), p99Ms: Math.max(0, ms(h.percentile(99)) - RESOLUTION_MS), maxMs: Math.max(0, ms(h.max) - RESOLUTION_MS), sinceMs: Math.round(now - windowStart) }
      h?.reset()
      windowStart = now
      return window
    }
  }
}
