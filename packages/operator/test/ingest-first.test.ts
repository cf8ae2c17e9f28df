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

describe('ingest-first gate', () => {
  it('lets a query start at once without pressure', async () => {
    const pipeline = pressure(false)
    const gate = createIngestFirstGate(pipeline)
    await gate.wait()
    assert.equal(gate.held(), 0)
  })

  it('holds a query while the pipeline is under pressure, and lets it go when the pressure ends', async () => {
    const pipeline = pressure(true)
    const gate = createIngestFirstGate(pipeline, 60_000)
    let started = false
    const waiting = gate.wait().then(() => { started = true })
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(started, false, 'held')
    assert.equal(gate.held(), 1)
    pipeline.set(false)
    await waiting
    assert.equal(started, true)
    assert.equal(pipeline.listeners(), 0, 'stops listening')
  })

  it('holds a query at most maxWaitMs, and not at all once its signal aborts', async () => {
    const pipeline = pressure(true)
    const gate = createIngestFirstGate(pipeline, 50)
    const t = performance.now()
    await gate.wait()
    assert.ok(performance.now() - t >= 45, 'waited about maxWaitMs')
    const controller = new AbortController()
    const slow = createIngestFirstGate(pipeline, 60_000)
    const waiting = slow.wait(controller.signal)
    controller.abort()
    await waiting
    assert.equal(pipeline.listeners(), 0)
  })
})
