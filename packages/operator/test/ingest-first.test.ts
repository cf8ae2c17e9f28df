import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createIngestFirstGate } from '../src/ingest/index.js'

/** A pipeline whose pressure the test sets. */
function pressure (initial: boolean): { underPressure(): boolean, onPressureChange(l: (p: boolean) => void): () => void, set(p: boolean): void, listeners(): number } {
  let value = initial
  const listeners = new Set<(p: boolean) => void>()
  return {
    underPressure: () => value,
    onPressureChange (l) { listeners.add(l); return () => { listeners.delete(l) } },
    set (p) { value = p; for (const l of [...listeners]) l(p) },
    listeners: () => listeners.size
  }
}

const turn = async (): Promise<void> => await new Promise(resolve => setImmediate(resolve))

describe('ingest-first gate', () => {
  it('lets queries start at once without pressure, any number of them', async () => {
    const pipeline = pressure(false)
    const gate = createIngestFirstGate(pipeline)
    const releases = await Promise.all([gate.admit(), gate.admit(), gate.admit()])
    assert.equal(gate.held(), 0)
    assert.equal(gate.running(), 3)
    for (const release of releases) { release(); release() }
    assert.equal(gate.running(), 0, 'release is idempotent')
  })

  it('under pressure runs one query at a time, first come first served', async () => {
    const pipeline = pressure(true)
    const gate = createIngestFirstGate(pipeline, { maxWaitMs: 60_000 })
    const first = await gate.admit()
    const order: string[] = []
    const second = gate.admit().then(release => { order.push('second'); return release })
    const third = gate.admit().then(release => { order.push('third'); return release })
    await turn()
    assert.deepEqual(order, [], 'both wait while the first runs')
    assert.equal(gate.held(), 2)
    first()
    const releaseSecond = await second
    await turn()
    assert.deepEqual(order, ['second'], 'one more starts when the first ends')
    releaseSecond()
    ;(await third)()
    assert.deepEqual(order, ['second', 'third'])
    assert.equal(gate.running(), 0)
    assert.equal(pipeline.listeners(), 0, 'stops listening')
  })

  it('waits for queries that started before the pressure, and lets every waiting query go when it ends', async () => {
    const pipeline = pressure(false)
    const gate = createIngestFirstGate(pipeline, { maxWaitMs: 60_000 })
    const before = await Promise.all([gate.admit(), gate.admit()])
    pipeline.set(true)
    let started = 0
    const waiting = [gate.admit(), gate.admit(), gate.admit()].map(async p => { const release = await p; started++; return release })
    before[0]?.()
    await turn()
    assert.equal(started, 0, 'one query still runs')
    pipeline.set(false)
    const releases = await Promise.all(waiting)
    assert.equal(started, 3)
    assert.equal(gate.running(), 4)
    for (const release of [...releases, ...before]) release()
    assert.equal(gate.running(), 0)
    assert.equal(pipeline.listeners(), 0)
  })

  it('holds a query at most maxWaitMs, and not at all once its signal aborts', async () => {
    const pipeline = pressure(true)
    const gate = createIngestFirstGate(pipeline, { maxWaitMs: 50 })
    const busy = await gate.admit()
    const t = performance.now()
    const late = await gate.admit()
    assert.ok(performance.now() - t >= 45, 'waited about maxWaitMs')
    const controller = new AbortController()
    const waiting = gate.admit(controller.signal)
    controller.abort()
    const aborted = await waiting
    const already = await gate.admit(controller.signal)
    assert.equal(gate.running(), 4, 'an aborted query is let through (the storage refuses it)')
    for (const release of [busy, late, aborted, already]) release()
    assert.equal(pipeline.listeners(), 0)
  })
})
