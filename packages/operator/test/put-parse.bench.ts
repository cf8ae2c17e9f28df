/**
 * Benchmark (not a test): the cost of parsing PUT bodies, against a bare JSON.parse of the same text.
 *   node --conditions=source --import tsx packages/operator/test/put-parse.bench.ts [megabytes]
 *
 * Bodies: a JSON array and NDJSON of sensor-like rows (timestamps, strings, small integers, floats), and
 * the same array with one 19-digit integer per row (the exact-integer path).
 */
import { parsePutBody } from '../src/put/index.js'

const megabytes = Number(process.argv[2] ?? 10)

function rowsOfSize (bytes: number, bigIds: boolean): object[] {
  const rows: object[] = []
  let size = 2
  for (let i = 0; size < bytes; i++) {
    const row = {
      ts: `2026-01-01 10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}`,
      device: `device-${i % 500}`,
      site: 'lab-2',
      value: Math.round(Math.sin(i) * 1e6) / 1e3,
      count: i,
      ok: i % 3 === 0,
      note: i % 10 === 0 ? 'a "quoted" note, with {braces} and [brackets]' : null
    }
    rows.push(bigIds ? { id: `__BIG${i}__`, ...row } : row)
    size += JSON.stringify(row).length + (bigIds ? 30 : 1)
  }
  return rows
}

function bodyOf (rows: object[], bigIds: boolean): string {
  const text = JSON.stringify(rows)
  return bigIds ? text.replace(/"__BIG(\d+)__"/g, (_m, i: string) => String(10n ** 18n * 9n + BigInt(i))) : text
}

function time (label: string, bytes: number, run: () => unknown): void {
  for (let i = 0; i < 3; i++) run() // warm up
  const samples: number[] = []
  for (let i = 0; i < 10; i++) {
    const start = performance.now()
    run()
    samples.push(performance.now() - start)
  }
  samples.sort((a, b) => a - b)
  const median = samples[Math.floor(samples.length / 2)] as number
  console.log(`${label.padEnd(44)} ${median.toFixed(1).padStart(7)} ms  (${(bytes / 1e6 / (median / 1000)).toFixed(0)} MB/s, min ${(samples[0] as number).toFixed(1)} ms)`)
}

const target = megabytes * 1e6
const plainRows = rowsOfSize(target, false)
const array = bodyOf(plainRows, false)
const ndjson = plainRows.map(r => JSON.stringify(r)).join('\n')
const bigArray = bodyOf(rowsOfSize(target, true), true)
console.log(`bodies: array ${(array.length / 1e6).toFixed(1)} MB (${plainRows.length} rows), ndjson ${(ndjson.length / 1e6).toFixed(1)} MB, array with 19-digit ids ${(bigArray.length / 1e6).toFixed(1)} MB`)

time('JSON.parse(array)', array.length, () => JSON.parse(array))
time('parsePutBody(array)', array.length, () => parsePutBody(array))
time('parsePutBody(Buffer of array)', array.length, () => parsePutBody(Buffer.from(array)))
time('parsePutBody(ndjson)', ndjson.length, () => parsePutBody(ndjson))
time('JSON.parse(array with 19-digit ids)', bigArray.length, () => JSON.parse(bigArray))
time('parsePutBody(array with 19-digit ids)', bigArray.length, () => parsePutBody(bigArray))
