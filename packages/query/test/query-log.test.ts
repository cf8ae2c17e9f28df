import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { QUERY_DURATION_BUCKETS_SECONDS } from '@fedlake/query'
import { QueryLog } from '../src/network/query-log.js'

describe('query log totals', () => {
  it('counts queries by outcome, buckets their durations and counts sub-queries per operator, beyond the entries it keeps', () => {
    const log = new QueryLog(2)
    const a = log.start('kubearmor', 'select 1')
    a.subqueries.push({ node: 'op-1', peerId: 'p1', state: 'completed', rows: 1, ms: 1 })
    a.subqueries.push({ node: 'op-2', peerId: 'p2', state: 'failed', rows: 0, ms: 1, error: 'unreachable' })
    log.finish(a, 'failed', 3, 'op-2: unreachable')
    const b = log.start('kubearmor', 'select 2')
    b.subqueries.push({ node: 'op-1', peerId: 'p1', state: 'completed', rows: 5, ms: 1 })
    log.finish(b, 'completed', 700)
    log.finish(b, 'failed', 800, 'a second finish is ignored')
    const c = log.start('kubearmor', 'select 3')
    log.finish(c, 'cancelled', 400_000)
    log.start('kubearmor', 'select 4')

    const totals = log.totals()
    assert.equal(totals.started, 4)
    assert.deepEqual(totals.finished, { completed: 1, failed: 1, cancelled: 1 })
    assert.equal(log.recent().length, 2, 'the log keeps its capacity; the totals do not depend on it')
    assert.equal(b.state, 'completed')
    assert.equal(c.state, 'failed')
    assert.equal(c.error, 'cancelled')
    const bucketOf = (seconds: number): number => QUERY_DURATION_BUCKETS_SECONDS.findIndex(bound => seconds <= bound)
    assert.equal(totals.durationCounts[bucketOf(0.003)], 1)
    assert.equal(totals.durationCounts[bucketOf(0.7)], 1)
    assert.equal(totals.durationCounts.at(-1), 1, '400 s is over every bound')
    assert.equal(totals.durationCounts.reduce((n, c) => n + c, 0), 3)
    assert.ok(Math.abs(totals.durationSumSeconds - 400.703) < 1e-9)
    assert.deepEqual(Object.fromEntries(totals.subqueries), { 'op-1': { sent: 2, failed: 0 }, 'op-2': { sent: 1, failed: 1 } })
  })
})
