/** The ingest watermark: per table, since when every source feeding it has run without a break. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createWatermarkTracker } from '../src/connector/watermark.js'

describe('ingest watermark', () => {
  it('covers a table from the whole second after the latest run start of its sources, and not at all while one is broken', () => {
    const tracker = createWatermarkTracker()
    let changes = 0
    tracker.onChange(() => { changes++ })
    tracker.runStarted('logs@relay-1', ['kubearmor.logs'], Date.parse('2026-01-01T10:00:00.400Z'))
    assert.deepEqual(tracker.current(), { 'kubearmor.logs': Date.parse('2026-01-01T10:00:01Z') }, 'events earlier in that second were missed')
    tracker.runStarted('logs@relay-2', ['kubearmor.logs'], Date.parse('2026-01-01T10:00:05Z'))
    assert.equal(tracker.current()['kubearmor.logs'], Date.parse('2026-01-01T10:00:06Z'), 'the second source holds its events from later on')
    tracker.runEnded('logs@relay-1', ['kubearmor.logs'])
    assert.equal(tracker.current()['kubearmor.logs'], null, 'a broken source: the table is not covered')
    tracker.runStarted('logs@relay-1', ['kubearmor.logs'], Date.parse('2026-01-01T10:01:00Z'))
    assert.equal(tracker.current()['kubearmor.logs'], Date.parse('2026-01-01T10:01:01Z'), 'covered again from the new run')
    assert.equal(changes, 4)
    tracker.runStarted('logs@relay-1', ['kubearmor.logs'], Date.parse('2026-01-01T10:01:00Z'))
    assert.equal(changes, 4, 'no change, no notice')
  })
})
