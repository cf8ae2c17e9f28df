import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { settledWith } from '../src/observed-stream.js'
import type { ResultBatch, ResultStream } from '../src/result-batch.js'

/** A stream of `batches` empty batches that fails at `failAt` when set. */
function streamOf (batches: number, failAt?: number): ResultStream & { cancelled: number } {
  const stream = {
    fields: [{ name: 'n', type: 'INTEGER' }],
    cancelled: 0,
    cancel () { stream.cancelled++ },
    async * [Symbol.asyncIterator] (): AsyncGenerator<ResultBatch> {
      for (let i = 0; i < batches; i++) {
        if (i === failAt) throw new Error('boom')
        yield { rowCount: 0, vectors: [] }
      }
    }
  }
  return stream
}

describe('settledWith', () => {
  it('calls back once the stream is read to its end, not before', async () => {
    let ends = 0
    const stream = settledWith(streamOf(3), () => { ends++ })
    let seen = 0
    for await (const _ of stream) { seen++; assert.equal(ends, 0, 'not while batches come') }
    assert.equal(seen, 3)
    assert.equal(ends, 1)
    stream.cancel()
    assert.equal(ends, 1, 'once')
  })

  it('calls back when the stream fails, when the reader leaves early and when it is cancelled', async () => {
    let ends = 0
    await assert.rejects(async () => { for await (const _ of settledWith(streamOf(3, 1), () => { ends++ })) { /* read */ } }, /boom/)
    assert.equal(ends, 1, 'failed')
    for await (const _ of settledWith(streamOf(3), () => { ends++ })) break
    assert.equal(ends, 2, 'left early')
    const inner = streamOf(3)
    const cancelled = settledWith(inner, () => { ends++ })
    assert.deepEqual(cancelled.fields, inner.fields)
    cancelled.cancel(new Error('stop'))
    assert.equal(inner.cancelled, 1, 'the inner stream is cancelled')
    assert.equal(ends, 3, 'cancelled')
  })
})
