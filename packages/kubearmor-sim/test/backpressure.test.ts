import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import type { KubeArmorSimulator, SubscriberStats } from '@fedlake/kubearmor-sim'
import grpc from '@grpc/grpc-js'
import { createTestBed, nonReadingSubscriber } from './grpc-client.js'

const bed = createTestBed()
const simulator = bed.simulator
const client = bed.client

after(async () => {
  await bed.closeAll()
})

function details (sim: KubeArmorSimulator): SubscriberStats[] {
  return [...sim.stats().streams.logs.subscriberDetails].sort((a, b) => a.id - b.id)
}

describe('queues and backpressure', () => {
  it('bounds the queue of a client that does not read and counts its drops, without hurting a reading one', async () => {
    const sim = await simulator({ rate: 800, queueSize: 400, mix: { alerts: 0 }, waitForSubscribers: ['logs', 'logs'] })
    const slow = nonReadingSubscriber(sim.address, 'logs', 'all')
    await waitFor(() => sim.stats().streams.logs.subscribers === 1, { what: 'slow subscriber registered' })
    const fast = client(sim).watch('logs', 'all')
    await waitFor(() => (details(sim)[0]?.dropped ?? 0) > 600, { timeoutMs: 20_000, what: 'drops for the slow subscriber' })
    const stats = sim.stats()
    const [slowStats, fastStats] = [...stats.streams.logs.subscriberDetails].sort((a, b) => a.id - b.id) as [SubscriberStats, SubscriberStats]
    // Both subscribed before generation started, so each has seen every generated event exactly once.
    for (const s of [slowStats, fastStats]) assert.equal(s.sent + s.queued + s.dropped, stats.streams.logs.generated)
    assert.equal(slowStats.capacity, 400)
    assert.equal(slowStats.queued, 400, 'the slow queue is full and stays bounded')
    assert.ok(slowStats.sent < 400, `write() === false was honoured after the HTTP/2 window: ${slowStats.sent} written`)
    assert.equal(fastStats.dropped, 0)
    assert.equal(stats.streams.logs.dropped, slowStats.dropped)
    await fast.atLeast(1000)
    slow.close()
    await waitFor(() => sim.stats().streams.logs.subscribers === 1, { what: 'slow subscriber removed' })
    assert.equal(sim.stats().streams.logs.subscriberDetails[0]!.id, fastStats.id)
    fast.cancel()
  })

  it('stall() stops writing: the queue fills and drops while generation goes on, then delivery resumes', async () => {
    const sim = await simulator({ rate: 4000, queueSize: 100, mix: { alerts: 0 }, waitForSubscribers: ['logs'] })
    const watch = client(sim).watch('logs', 'all')
    await watch.atLeast(50)
    const sentBefore = details(sim)[0]!.sent
    const generatedBefore = sim.stats().generated
    const stalled = sim.stall(400)
    assert.equal(sim.stats().stalled, true)
    await stalled
    const during = details(sim)[0]!
    assert.equal(sim.stats().stalled, false)
    assert.ok(sim.stats().generated - generatedBefore > 800, 'generation continued during the stall')
    assert.ok(during.sent - sentBefore <= 100 + 1, `at most one queue's worth written on resume: ${during.sent - sentBefore}`)
    assert.ok(during.dropped > 500, `drops during the stall: ${during.dropped}`)
    const received = watch.events.length
    await watch.atLeast(received + 200)
    watch.cancel()
  })

  it('cleans up after an aggressive re-subscriber with short deadlines (EdgeLake style) without leaking', async () => {
    const sim = await simulator({ rate: 2000, debug: true })
    const c = client(sim)
    const first = c.watch('logs', 'all', { deadlineMs: 80 })
    assert.equal((await first.done).code, grpc.status.DEADLINE_EXCEEDED)
    const resourcesBefore = process.getActiveResourcesInfo().length
    const rounds = 30
    for (let i = 0; i < rounds; i++) {
      const watches = [c.watch('logs', 'all', { deadlineMs: 80 }), c.watch('alerts', 'all', { deadlineMs: 80 }), c.watch('messages', '', { deadlineMs: 80 })]
      const statuses = await Promise.all(watches.map(w => w.done))
      for (const s of statuses) assert.equal(s.code, grpc.status.DEADLINE_EXCEEDED)
    }
    await waitFor(() => sim.stats().subscribers === 0, { what: 'all subscribers removed' })
    const stats = sim.stats()
    // A call whose deadline passes before the handler runs never becomes a subscriber; most do.
    for (const stream of ['logs', 'alerts', 'messages'] as const) assert.ok(stats.streams[stream].subscriptions > rounds / 2, `${stream} subscriptions`)
    for (const stream of ['logs', 'alerts', 'messages'] as const) assert.equal(stats.streams[stream].subscriberDetails.length, 0)
    assert.ok(process.getActiveResourcesInfo().length <= resourcesBefore + 3, `active resources ${resourcesBefore} -> ${process.getActiveResourcesInfo().length}`)
  })

  it('paces unthrottled generation by its subscribers: a fast reader loses nothing', async () => {
    const sim = await simulator({ count: 15_000, mix: { alerts: 0 } })
    const watch = client(sim).watch('logs', 'all')
    await sim.whenCountReached()
    await watch.atLeast(15_000, 30_000)
    const stats = sim.stats()
    assert.equal(stats.dropped, 0)
    assert.equal(stats.streams.logs.sent, 15_000)
    assert.equal(watch.events.length, 15_000)
    assert.ok(stats.generatedPerSecond > 0)
    watch.cancel()
  })
})
