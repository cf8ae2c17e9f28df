import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createEventLoopMonitor } from '../src/event-loop-monitor.js'

/** Keeps the thread busy: the next timer (the histogram's sample) comes that much late. */
function block (ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) { /* busy */ }
}

const nextTimers = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 0)) }

describe('event-loop monitor', () => {
  it('samples nothing until the first take, then reports the delays of each window', async () => {
    const monitor = createEventLoopMonitor()
    await monitor.start()
    assert.equal(monitor.sampling(), false, 'a started monitor nobody asked does not wake the loop')
    const first = monitor.take()
    assert.deepEqual(first, { p50Ms: 0, p99Ms: 0, maxMs: 0, sinceMs: 0 })
    assert.equal(monitor.sampling(), true)
    // the histogram records the gap between two of its timer turns, so the first block only starts it
    for (let i = 0; i < 3; i++) {
      block(60)
      await nextTimers()
    }
    const window = monitor.take()
    assert.ok(window.maxMs >= 40, `a blocked loop shows in the window (max ${window.maxMs} ms)`)
    assert.ok(window.sinceMs >= 180, `the window spans the block (${window.sinceMs} ms)`)
    await monitor.stop()
    assert.equal(monitor.sampling(), false)
  })

  it('does not start sampling when asked before start or after stop', async () => {
    const monitor = createEventLoopMonitor()
    assert.equal(monitor.take().sinceMs, 0)
    assert.equal(monitor.sampling(), false)
    await monitor.start()
    await monitor.stop()
    monitor.take()
    assert.equal(monitor.sampling(), false)
  })
})
