import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { decodeEvent } from '@fedlake/kubearmor-sim'
import grpc from '@grpc/grpc-js'
import { createHealthClient, createTestBed, wireView } from './grpc-client.js'

const bed = createTestBed()
const simulator = bed.simulator
const client = bed.client

after(async () => {
  await bed.closeAll()
})

describe('LogService wire semantics', () => {
  it('echoes the HealthCheck nonce into Retval', async () => {
    const sim = await simulator({ rate: 10 })
    const c = client(sim)
    assert.equal(await c.healthCheck(11), 11)
    assert.equal(await c.healthCheck(-7), -7)
    assert.equal(await c.healthCheck(0) ?? 0, 0)
  })

  it('serves grpc.health.v1 SERVING for feeder.LogService on the same port', async () => {
    const sim = await simulator({ rate: 10 })
    const health = createHealthClient(sim.address)
    const check = (service: string): Promise<number> => new Promise((resolve, reject) => {
      health.Check(service, { deadline: Date.now() + 5000 }, (err, status) => { if (err !== null) reject(err); else resolve(status ?? 0) })
    })
    try {
      assert.equal(await check('feeder.LogService'), 1, 'SERVING')
      await assert.rejects(check('nope.Service'), (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND)
    } finally {
      health.close()
    }
  })

  it('ends WatchAlerts/WatchLogs with OK and no messages for filters KubeArmor does not accept', async () => {
    const sim = await simulator({ rate: 2000, debug: true })
    const c = client(sim)
    for (const [stream, filter] of [['alerts', 'system'], ['alerts', ''], ['alerts', 'ALL'], ['logs', 'policy'], ['logs', ''], ['logs', 'bogus']] as const) {
      const watch = c.watch(stream, filter)
      const status = await watch.done
      assert.equal(status.code, grpc.status.OK, `${stream}/${filter}`)
      assert.equal(watch.events.length, 0, `${stream}/${filter}`)
    }
    assert.equal(sim.stats().streams.logs.subscriptions, 0)
  })

  it('accepts all/policy on alerts, all/system on logs and any filter on messages, never filtering content', async () => {
    const sim = await simulator({ rate: 3000, debug: true, mix: { logs: 0.5, alerts: 0.3, messages: 0.2 } })
    const c = client(sim)
    const watches = [c.watch('alerts', 'all'), c.watch('alerts', 'policy'), c.watch('logs', 'all'), c.watch('logs', 'system'), c.watch('messages', ''), c.watch('messages', 'whatever')]
    await Promise.all(watches.map(w => w.atLeast(60)))
    for (const w of watches) w.cancel()
    const statuses = await Promise.all(watches.map(w => w.done))
    assert.ok(statuses.every(s => s.code === grpc.status.CANCELLED))
    // Same events whatever the accepted filter: pairs agree from the later subscriber's first event on.
    for (const [x, y] of [[0, 1], [2, 3], [4, 5]] as const) {
      const a = watches[x]!.events
      const b = watches[y]!.events
      const key = (e: Record<string, unknown>): string => `${String(e.HostName)}|${String(e.UpdatedTime)}`
      const [longer, shorter] = a.findIndex(e => key(e) === key(b[0]!)) >= 0 ? [a, b] : [b, a]
      const offset = longer.findIndex(e => key(e) === key(shorter[0]!))
      assert.ok(offset >= 0)
      assert.deepEqual(longer.slice(offset, offset + 30), shorter.slice(0, 30))
    }
    assert.ok(watches[2]!.events.every(e => e.Type === 'HostLog' || e.Type === 'ContainerLog'))
    assert.ok(watches[0]!.events.every(e => String(e.Type).startsWith('Matched')))
    assert.ok(watches[4]!.events.every(e => e.Type === 'Message'))
    await waitFor(() => sim.stats().subscribers === 0, { what: 'subscribers cleaned up' })
  })

  it('sends exactly count events across streams; stats agree with what the client received, field by field', async () => {
    const sim = await simulator({ count: 700, seed: 5, record: true })
    const c = client(sim)
    const logs = c.watch('logs', 'system')
    const alerts = c.watch('alerts', 'policy')
    await sim.whenCountReached()
    const stats = sim.stats()
    assert.equal(stats.generated, 700)
    assert.equal(stats.streams.logs.generated + stats.streams.alerts.generated + stats.streams.messages.generated, 700)
    assert.equal(stats.streams.messages.generated, 0)
    assert.ok(stats.streams.alerts.generated > 0 && stats.streams.logs.generated > stats.streams.alerts.generated)
    await logs.atLeast(stats.streams.logs.generated)
    await alerts.atLeast(stats.streams.alerts.generated)
    await waitFor(() => sim.stats().sent === 700, { what: 'all 700 sent' })
    const after = sim.stats()
    assert.equal(after.streams.logs.sent, logs.events.length)
    assert.equal(after.streams.alerts.sent, alerts.events.length)
    assert.equal(after.dropped, 0)
    assert.equal(after.generating, false)
    assert.equal(after.subscribers, 2, 'streams stay open after count')

    const recorded = sim.recorded()
    assert.equal(recorded.length, 700)
    const sentLogs = recorded.filter(r => r.stream === 'logs')
    const sentAlerts = recorded.filter(r => r.stream === 'alerts')
    sentLogs.forEach((r, i) => {
      assert.equal(r.sent, true)
      assert.deepEqual(wireView(logs.events[i]), wireView(r.event))
      assert.deepEqual(wireView(logs.events[i]), wireView(decodeEvent('logs', r.bytes)))
    })
    sentAlerts.forEach((r, i) => assert.deepEqual(wireView(alerts.events[i]), wireView(r.event)))
    assert.ok(recorded.every((r, i) => r.seq === i + 1))
  })

  it('never replays: a late subscriber gets only events published after it subscribed', async () => {
    const sim = await simulator({ rate: 3000, mix: { alerts: 0 } })
    const published = new Map<string, number>()
    let seqNow = 0
    sim.onEvent(e => {
      seqNow = e.seq
      const ev = e.event as { HostName: string, UpdatedTime: string }
      published.set(`${ev.HostName}|${ev.UpdatedTime}`, e.seq)
    })
    const c = client(sim)
    const early = c.watch('logs', 'all')
    await early.atLeast(300)
    const seqBeforeLate = seqNow
    const late = c.watch('logs', 'all')
    await late.atLeast(200)
    const seqOf = (e: Record<string, unknown>): number => published.get(`${String(e.HostName)}|${String(e.UpdatedTime)}`) ?? -1
    assert.ok(late.events.every(e => seqOf(e) > seqBeforeLate), 'late subscriber saw an event from before it subscribed')
    // Everything the late one got, the early one gets too (each subscriber gets every event).
    const key = (e: Record<string, unknown>): string => `${String(e.HostName)}|${String(e.UpdatedTime)}`
    const firstLate = late.events.slice(0, 100).map(key)
    await waitFor(() => { const earlyKeys = new Set(early.events.map(key)); return firstLate.every(k => earlyKeys.has(k)) }, { what: 'early subscriber got the late one\'s events' })
    assert.ok(early.events.some(e => seqOf(e) <= seqBeforeLate))
    early.cancel()
    late.cancel()
  })

  it('gives each of several subscribers every event, in the same order', async () => {
    const sim = await simulator({ count: 400, waitForSubscribers: ['logs', 'logs', 'alerts', 'alerts'] })
    const a = client(sim)
    const b = client(sim)
    const watches = [a.watch('logs', 'all'), a.watch('alerts', 'all'), b.watch('logs', 'system'), b.watch('alerts', 'policy')]
    await sim.whenCountReached()
    const { logs, alerts } = sim.stats().streams
    await Promise.all([watches[0]!.atLeast(logs.generated), watches[2]!.atLeast(logs.generated), watches[1]!.atLeast(alerts.generated), watches[3]!.atLeast(alerts.generated)])
    assert.equal(logs.generated + alerts.generated, 400)
    assert.deepEqual(watches[0]!.events, watches[2]!.events)
    assert.deepEqual(watches[1]!.events, watches[3]!.events)
    for (const stream of [logs, alerts]) {
      assert.equal(stream.subscribers, 2)
      for (const s of stream.subscriberDetails) assert.equal(s.dropped, 0)
    }
    await waitFor(() => sim.stats().streams.logs.subscriberDetails.every(s => s.sent === logs.generated))
  })

  it('routes injected raw bytes with unknown future field numbers; standard clients decode them', async () => {
    const sim = await simulator({ count: 0, waitForSubscribers: [] })
    const c = client(sim)
    const raw = client(sim, true)
    const logs = c.watch('logs', 'all')
    const alerts = c.watch('alerts', 'all')
    const rawLogs = raw.watch('logs', 'all')
    await waitFor(() => sim.stats().subscribers === 3)
    const known = { Timestamp: 1767001240, UpdatedTime: '2025-12-29T09:40:40.104233Z', HostName: 'worker-1', Type: 'ContainerLog', Operation: 'File', Resource: '/etc/hosts' }
    const unknownFields = Buffer.from([
      0xa8, 0x02, 0x2a, // field 37 (Log > 34) varint 42
      0x92, 0x03, 0x03, 0x61, 0x62, 0x63, // field 50 length-delimited "abc"
      0x99, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, // field 99 fixed64
      0xc5, 0x0c, 1, 2, 3, 4 // field 200 fixed32
    ])
    const { encodeEvent } = await import('@fedlake/kubearmor-sim')
    const logBytes = Buffer.concat([encodeEvent('logs', known), unknownFields])
    sim.injectRaw('logs', logBytes)
    const alertBytes = Buffer.concat([encodeEvent('alerts', { ...known, Type: 'MatchedPolicy', Severity: '5' }), Buffer.from([0xe8, 0x02, 0x07])]) // field 45 varint 7
    sim.injectRaw('alerts', alertBytes)
    sim.inject('logs', {}) // the legacy empty message dummy_kube_server.py sends
    await logs.atLeast(2)
    await alerts.atLeast(1)
    await rawLogs.atLeast(2)
    assert.deepEqual(wireView(logs.events[0]), known)
    assert.deepEqual(wireView(logs.events[1]), {})
    assert.equal(alerts.events[0]!.Severity, '5')
    assert.deepEqual(rawLogs.events[0], logBytes, 'raw bytes are delivered verbatim')
    const stats = sim.stats()
    assert.equal(stats.injected, 3)
    assert.equal(stats.generated, 0)
    assert.equal(stats.streams.logs.injected, 2)
  })
})
