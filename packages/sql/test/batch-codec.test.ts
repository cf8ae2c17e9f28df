import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isFedlakeError } from '@fedlake/core'
import { batchFromValues, decodeBatch, decodeFrame, encodeBatch, encodeBatchFrames } from '../src/index.js'
import type { BatchValue, ResultBatch, ResultField } from '../src/index.js'

const fields: ResultField[] = [
  { name: 'b', type: 'BOOLEAN' }, { name: 'i', type: 'INTEGER' }, { name: 'd', type: 'DOUBLE' }, { name: 'big', type: 'BIGINT' },
  { name: 'ts', type: 'TIMESTAMP' }, { name: 's', type: 'VARCHAR' }, { name: 'h', type: 'HUGEINT' }, { name: 'l', type: 'INTEGER[]' }
]

/** A seeded generator, so a failure can be replayed. */
function rng (seed: number): () => number {
  let s = seed >>> 0
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32 }
}

function randomRows (n: number, seed: number): BatchValue[][] {
  const next = rng(seed)
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T
  const maybe = <T>(v: T): T | null => next() < 0.2 ? null : v
  return Array.from({ length: n }, () => [
    maybe(next() < 0.5), maybe(Math.floor(next() * 2 ** 31) - 2 ** 30), maybe(pick([0.1, -2.5e300, NaN, Infinity, -0, next()])),
    maybe(BigInt(Math.floor(next() * 2 ** 53)) * 1024n - 2n ** 62n), maybe(1_700_000_000_000_000 + Math.floor(next() * 1e12)),
    maybe(pick(['pod-a', 'pod-b', '', 'héllo ✓ 日本', 'x'.repeat(300), 'quote " and \\\\ backslash'])),
    maybe(pick(['170141183460469231731687303715884105727', '-1', '0'])), maybe([1, null, Math.floor(next() * 100)])
  ])
}

function roundTrip (batch: ResultBatch): ResultBatch {
  return decodeBatch(encodeBatch(batch))
}

describe('batch codec', () => {
  it('round-trips every vector kind exactly, NULLs included', () => {
    for (const seed of [1, 2, 3]) {
      const batch = batchFromValues(fields, randomRows(2048, seed))
      const back = roundTrip(batch)
      assert.equal(back.rowCount, batch.rowCount, `seed ${seed}`)
      batch.vectors.forEach((vector, c) => {
        const got = back.vectors[c]
        assert.equal(got?.kind, vector.kind)
        assert.deepEqual(got?.valid, vector.valid, `seed ${seed}, column ${c}`)
        if (vector.kind === 'f64') {
          const values = got?.values as Float64Array
          vector.values.forEach((v, r) => { if (vector.valid?.[r] !== 0) assert.ok(Object.is(values[r], v), `seed ${seed}, row ${r}: ${values[r]} vs ${v}`) })
        } else {
          assert.deepEqual(got?.values, vector.values, `seed ${seed}, column ${c}`)
        }
      })
    }
  })

  it('stores a repeated string once', () => {
    const rows: BatchValue[][] = Array.from({ length: 2048 }, (_, r) => [`host-${r % 4}-${'x'.repeat(100)}`])
    const size = encodeBatch(batchFromValues([{ name: 's', type: 'VARCHAR' }], rows)).length
    assert.ok(size < 2048 * 4 + 4 * 120 + 64, `dictionary-encoded (${size} bytes)`)
  })

  it('handles empty batches and refuses malformed bytes with an error, never a crash', () => {
    assert.deepEqual(roundTrip(batchFromValues(fields, [])).rowCount, 0)
    const good = encodeBatch(batchFromValues(fields, randomRows(10, 9)))
    for (const bad of [good.subarray(0, good.length - 1), good.subarray(0, 5), new Uint8Array([1, 0, 0, 0, 1, 0, 9, 0]), Uint8Array.from([...good, 0])]) {
      assert.throws(() => decodeBatch(bad), (err: unknown) => isFedlakeError(err) && /malformed/.test(err.message))
    }
  })

  it('cuts a batch of wide rows into frames under a size, rows in order, and keeps a single row over it whole', () => {
    const wide: ResultField[] = [{ name: 'id', type: 'BIGINT' }, { name: 'pad', type: 'VARCHAR' }]
    // rows of uneven width (100 B to ~20 KB), each string distinct so the dictionary cannot shrink them
    const rows: BatchValue[][] = Array.from({ length: 2048 }, (_, r) => [BigInt(r), `${r}-${'x'.repeat(r % 7 === 0 ? 20_000 : 100)}`])
    const batch = batchFromValues(wide, rows)
    const max = 256 * 1024
    assert.ok(encodeBatch(batch).length > 4 * max, 'the whole batch is over the size')
    const frames = encodeBatchFrames(batch, max)
    assert.ok(frames.length > 4, `${frames.length} frames`)
    for (const frame of frames) assert.ok(frame.byteLength <= max, `a frame of ${frame.byteLength} bytes`)
    const back: BatchValue[][] = []
    for (const frame of frames) {
      const decoded = decodeFrame(frame)
      assert.equal(decoded.kind, 'batch')
      if (decoded.kind !== 'batch') continue
      const [ids, pads] = decoded.batch.vectors
      for (let r = 0; r < decoded.batch.rowCount; r++) back.push([(ids?.values as BigInt64Array)[r] as bigint, (pads?.values as string[])[r] as string])
    }
    assert.deepEqual(back, rows)

    assert.equal(encodeBatchFrames(batch, 64 * 1024 * 1024).length, 1, 'a batch under the size is one frame')
    const oneRow = encodeBatchFrames(batchFromValues(wide, [[1n, 'y'.repeat(2 * max)]]), max)
    assert.equal(oneRow.length, 1, 'a single row over the size stays one frame (the transport names its size)')
  })
})
