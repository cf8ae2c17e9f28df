import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { isFedlakeError, waitFor } from '@fedlake/core'
import { SIM_ERRORS, createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { AbortCode } from '@fedlake/kubearmor-sim'
import grpc from '@grpc/grpc-js'
import { createTestBed } from './grpc-client.js'

const dirs: string[] = []
const bed = createTestBed()
const simulator = bed.simulator
const client = bed.client

after(async () => {
  await bed.closeAll()
  await Promise.all(dirs.map(d => rm(d, { recursive: true, force: true })))
})

const RESTART_CODES = new Set([grpc.status.CANCELLED, grpc.status.UNAVAILABLE])

describe('test hooks', () => {
  it('abortStreams ends live streams with the requested status; clients can subscribe again', async () => {
    const sim = await simulator({ rate: 2000, debug: true })
    const c = client(sim)
    for (const code of ['UNAVAILABLE', 'CANCELLED', 'INTERNAL'] as const satisfies readonly AbortCode[]) {
      const logs = c.watch('logs', 'all')
      const messages = c.watch('messages', '')
      await logs.atLeast(5)
      await waitFor(() => sim.stats().subscribers === 2)
      assert.equal(sim.abortStreams(code), 2)
      const [a, b] = await Promise.all([logs.done, messages.done])
      assert.equal(a.code, grpc.status[code])
      assert.equal(b.code, grpc.status[code])
      assert.equal(sim.stats().subscribers, 0)
    }
    const again = c.watch('logs', 'all')
    await again.atLeast(5)
    again.cancel()
  })

  it('restart drops connections and listens again on the same port', async () => {
    const sim = await simulator({ rate: 2000 })
    const port = sim.port
    const c = client(sim)
    const before = c.watch('logs', 'all')
    await before.atLeast(5)
    await sim.restart()
    assert.ok(RESTART_CODES.has((await before.done).code), 'client sees CANCELLED or UNAVAILABLE')
    assert.equal(sim.port, port)
    const afterRestart = c.watch('logs', 'all', { waitForReady: true, deadlineMs: 10_000 })
    await afterRestart.atLeast(5)
    assert.equal(await c.healthCheck(3), 3)
    assert.equal(sim.stats().streams.logs.subscribers, 1)
    afterRestart.cancel()
  })

  it('refuseConnections closes the port for a while, then serves again on it', async () => {
    const sim = await simulator({ rate: 2000 })
    const port = sim.port
    const existing = client(sim).watch('logs', 'all')
    await existing.atLeast(5)
    const refusing = sim.refuseConnections(1000)
    assert.ok(RESTART_CODES.has((await existing.done).code))
    const fresh = client(sim)
    const refused = fresh.watch('logs', 'all')
    assert.equal((await refused.done).code, grpc.status.UNAVAILABLE)
    await refusing
    assert.equal(sim.port, port)
    const back = fresh.watch('logs', 'all', { waitForReady: true, deadlineMs: 10_000 })
    await back.atLeast(5)
    back.cancel()
  })

  it('stop ends open streams with status OK', async () => {
    const sim = createKubeArmorSimulator({ port: 0, rate: 1000 })
    await sim.start()
    const watch = client(sim).watch('logs', 'all')
    await watch.atLeast(3)
    await sim.stop()
    assert.equal((await watch.done).code, grpc.status.OK)
    assert.equal(sim.stats().running, false)
    await sim.stop()
  })

  it('dumps every sent event as Go-style JSON lines, in one file or one per stream', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubearmor-sim-'))
    dirs.push(dir)
    const single = join(dir, 'all.ndjson')
    const sim = createKubeArmorSimulator({ port: 0, count: 120, dump: single, record: true })
    await sim.start()
    const c = client(sim)
    const logs = c.watch('logs', 'all')
    const alerts = c.watch('alerts', 'all')
    await sim.whenCountReached()
    await logs.atLeast(sim.stats().streams.logs.generated)
    await alerts.atLeast(sim.stats().streams.alerts.generated)
    await sim.stop()
    const lines = (await readFile(single, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as { stream: string, event: Record<string, unknown> })
    assert.equal(lines.length, 120)
    for (const stream of ['logs', 'alerts'] as const) {
      // In each stream, the dump holds exactly the recorded events, in order (streams interleave by first write).
      const dumped = lines.filter(l => l.stream === stream).map(l => l.event)
      const recorded = sim.recorded().filter(r => r.stream === stream).map(r => r.event as Record<string, unknown>)
      assert.deepEqual(dumped.map(e => e.UpdatedTime), recorded.map(e => e.UpdatedTime))
      assert.deepEqual(dumped[0], JSON.parse(JSON.stringify(recorded[0])))
    }
    for (const { event } of lines) {
      assert.equal(typeof event.Timestamp, 'number')
      assert.ok('PPID' in event && 'UID' in event, 'PPID and UID are never omitted')
      assert.ok(!Object.values(event).some(v => v === '' || v === null), 'omitempty')
    }

    const perStream = join(dir, 'events-{stream}.ndjson')
    const sim2 = createKubeArmorSimulator({ port: 0, count: 60, dump: perStream, waitForSubscribers: ['logs'], mix: { alerts: 0 } })
    await sim2.start()
    const w = client(sim2).watch('logs', 'all')
    await w.atLeast(60)
    await sim2.stop()
    const logLines = (await readFile(join(dir, 'events-logs.ndjson'), 'utf8')).trim().split('\n')
    assert.equal(logLines.length, 60)
    assert.equal((JSON.parse(logLines[0]!) as Record<string, unknown>).ClusterName, 'default')
  })

  it('uses the daemon and relay queue sizes and rejects bad options and busy ports with coded errors', async () => {
    const daemon = await simulator({ rate: 10, profile: 'daemon' })
    const relay = await simulator({ rate: 10 })
    assert.deepEqual(['logs', 'alerts', 'messages'].map(s => daemon.stats().streams[s as 'logs'].queueCapacity), [1000, 1000, 1000])
    assert.deepEqual(['logs', 'alerts', 'messages'].map(s => relay.stats().streams[s as 'logs'].queueCapacity), [10_000, 1000, 1000])
    assert.equal(relay.stats().profile, 'relay')
    const busy = createKubeArmorSimulator({ port: daemon.port })
    await assert.rejects(busy.start(), (err: unknown) => isFedlakeError(err, SIM_ERRORS.SIM_BIND_FAILED))
    assert.throws(() => createKubeArmorSimulator({ rate: -1 }), (err: unknown) => isFedlakeError(err, SIM_ERRORS.SIM_INVALID_OPTION))
    assert.throws(() => createKubeArmorSimulator({ nodes: 0 }), (err: unknown) => isFedlakeError(err, SIM_ERRORS.SIM_INVALID_OPTION))
    assert.throws(() => createKubeArmorSimulator({ queueSize: 0 }), (err: unknown) => isFedlakeError(err, SIM_ERRORS.SIM_INVALID_OPTION))
    const idle = createKubeArmorSimulator({ port: 0 })
    assert.throws(() => idle.inject('logs', {}), (err: unknown) => isFedlakeError(err, SIM_ERRORS.SIM_NOT_RUNNING))
  })
})
