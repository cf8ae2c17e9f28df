import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isFedlakeError } from '@fedlake/core'
import { coerceValue, columnNameOf, inferSchema, parsePutBody, parseTimestampMicros } from '../src/put/index.js'

describe('parsePutBody', () => {
  it('accepts one object, an array of objects, and NDJSON with blank lines', () => {
    assert.deepEqual(parsePutBody('{"a":1}'), [{ a: 1 }])
    assert.deepEqual(parsePutBody(Buffer.from('\ufeff  [{"a":1},{"a":2}]  ')), [{ a: 1 }, { a: 2 }])
    assert.deepEqual(parsePutBody('{"a":1}\n\n{"a":"}{"}\r\n  \n{"a":3}\n'), [{ a: 1 }, { a: '}{' }, { a: 3 }])
    assert.deepEqual(parsePutBody('{\n  "a": 1\n}\n{\n  "a": "x\\"}"\n}'), [{ a: 1 }, { a: 'x"}' }], 'pretty-printed objects in sequence')
    assert.deepEqual(parsePutBody('[{"a":1}]\n[{"a":2}]'), [{ a: 1 }, { a: 2 }])
  })

  const bad: [string, number, RegExp][] = [
    ['', 1, /empty/],
    ['   \n ', 1, /empty/],
    ['{"a":1}\n{"a":2\n{"a":3}', 2, /unterminated/],
    ['{"a":1}\n{"a":2,}\n{"a":3}', 2, /invalid JSON/],
    ['{"a":1}\nnot json\n', 2, /expected a JSON object/],
    ['[{"a":1}, 2]', 1, /element 1 .* not an object/],
    ['[]', 1, /empty/],
    ['42', 1, /expected a JSON object/],
    ['{"a":1}\n{"a":2}\n{"a":', 3, /unterminated/],
    ['{"a":1}\n[1]', 2, /element 0/]
  ]
  for (const [body, line, reason] of bad) {
    it(`refuses the whole body: ${JSON.stringify(body)}`, () => {
      assert.throws(() => parsePutBody(body), (err: unknown) =>
        isFedlakeError(err, 'PUT_MALFORMED_BODY') && err.details.line === line && reason.test(err.message) && /line \d+, column \d+/.test(err.message))
    })
  }

  it('refuses bytes that are not UTF-8', () => {
    assert.throws(() => parsePutBody(Buffer.from([0x7b, 0xff, 0x7d])), (err: unknown) => isFedlakeError(err, 'PUT_MALFORMED_BODY'))
  })
})

describe('parseTimestampMicros', () => {
  it('parses ISO-8601 and EdgeLake timestamps to epoch microseconds (UTC unless an offset is given)', () => {
    const base = Date.UTC(2025, 0, 2, 3, 4, 5) * 1000
    assert.equal(parseTimestampMicros('2025-01-02 03:04:05'), base)
    assert.equal(parseTimestampMicros('2025-01-02T03:04:05Z'), base)
    assert.equal(parseTimestampMicros('2025-01-02 03:04:05.123456'), base + 123456)
    assert.equal(parseTimestampMicros('2025-01-02T03:04:05.1Z'), base + 100000)
    assert.equal(parseTimestampMicros('2025-01-02T03:04:05.123456789Z'), base + 123456)
    assert.equal(parseTimestampMicros('2025-01-02T05:04:05+02:00'), base)
    assert.equal(parseTimestampMicros('2025-01-02T01:04:05-0200'), base)
    assert.equal(parseTimestampMicros('2025-01-02T03:04'), base - 5_000_000)
    assert.equal(parseTimestampMicros('2025-01-02'), Date.UTC(2025, 0, 2) * 1000)
    assert.equal(parseTimestampMicros('0099-01-01'), -59042995200000000, 'years below 100 are not shifted to 19xx')
  })

  it('refuses what is not a real timestamp', () => {
    for (const text of ['2025-02-30', '2025-13-01', '2025-01-02 24:00:00', 'd0', '2025', '1700000000', '2025-01-02X03:04:05', '']) {
      assert.equal(parseTimestampMicros(text), undefined, text)
    }
  })
})

describe('inferSchema', () => {
  it('types every column from the whole batch, not its first value', () => {
    const schema = inferSchema('Test', 'Readings', [
      { Device: 'd0', value: 1, count: 1, ok: true, at: '2025-01-02 03:04:05', tags: ['x'], note: null, mixed: 1 },
      { Device: 'device-long-name', value: 2.5, count: 2, ok: false, at: '2025-01-02T03:04:06Z', tags: { a: 1 }, mixed: 'one' },
      { Device: 'd2', value: 3, count: null, ok: null, at: null, extra: 7 }
    ])
    assert.deepEqual(schema, {
      dbms: 'test',
      table: 'readings',
      columns: [
        { name: 'device', type: 'VARCHAR' },
        { name: 'value', type: 'DOUBLE' },
        { name: 'count', type: 'BIGINT' },
        { name: 'ok', type: 'BOOLEAN' },
        { name: 'at', type: 'TIMESTAMP' },
        { name: 'tags', type: 'VARCHAR' },
        { name: 'note', type: 'VARCHAR' },
        { name: 'mixed', type: 'VARCHAR' },
        { name: 'extra', type: 'BIGINT' }
      ]
    })
  })

  it('falls back to VARCHAR for strings that are only sometimes timestamps, and DOUBLE for huge integers', () => {
    const schema = inferSchema('d', 't', [{ a: '2025-01-02', b: 2 ** 60 }, { a: 'soon', b: 1 }])
    assert.deepEqual(schema.columns, [{ name: 'a', type: 'VARCHAR' }, { name: 'b', type: 'DOUBLE' }])
  })

  it('sanitises column names and refuses two keys of one row that land on one column', () => {
    assert.equal(columnNameOf('Temp (C)'), 'temp__c_')
    assert.equal(columnNameOf('1st'), '_1st')
    assert.equal(columnNameOf(''), '_')
    assert.throws(() => inferSchema('d', 't', [{ Value: 1, value: 2 }]), (err: unknown) => isFedlakeError(err, 'PUT_DUPLICATE_COLUMN'))
    assert.deepEqual(inferSchema('d', 't', [{ Value: 1 }, { value: 2 }]).columns, [{ name: 'value', type: 'BIGINT' }])
  })

  it('refuses unusable dbms and table names', () => {
    for (const [dbms, table] of [['my-db', 't'], ['d', '../t'], ['', 't'], ['d', 'x'.repeat(64)]]) {
      assert.throws(() => inferSchema(dbms as string, table as string, [{ a: 1 }]), (err: unknown) => isFedlakeError(err, 'PUT_INVALID_NAME'))
    }
  })
})

describe('coerceValue', () => {
  it('fits values to column types without losing anything', () => {
    assert.equal(coerceValue(null, 'BIGINT'), null)
    assert.equal(coerceValue(undefined, 'BIGINT'), null)
    assert.equal(coerceValue('42', 'BIGINT'), 42)
    assert.equal(coerceValue(42, 'INTEGER'), 42)
    assert.equal(coerceValue(2 ** 31, 'INTEGER'), undefined)
    assert.equal(coerceValue(1.5, 'BIGINT'), undefined)
    assert.equal(coerceValue('1.5', 'DOUBLE'), 1.5)
    assert.equal(coerceValue('', 'DOUBLE'), undefined)
    assert.equal(coerceValue('abc', 'DOUBLE'), undefined)
    assert.equal(coerceValue('TRUE', 'BOOLEAN'), true)
    assert.equal(coerceValue(1, 'BOOLEAN'), undefined)
    assert.equal(coerceValue('2025-01-02 03:04:05', 'TIMESTAMP'), Date.UTC(2025, 0, 2, 3, 4, 5) * 1000)
    assert.equal(coerceValue(1735787045, 'TIMESTAMP'), undefined)
    assert.equal(coerceValue(7, 'VARCHAR'), '7')
    assert.equal(coerceValue(false, 'VARCHAR'), 'false')
    assert.equal(coerceValue({ a: [1] }, 'VARCHAR'), '{"a":[1]}')
  })
})

describe('parsePutBody: exact numbers and limits', () => {
  it('keeps integers beyond 2^53 exact as bigints, and smaller ones as numbers', () => {
    const rows = parsePutBody('{"a":9007199254740993,"b":-9007199254740993,"c":12345678901234567890,"d":170141183460469231731687303715884105727,"e":9007199254740991,"f":1234567890123456,"g":1.5,"h":"12345678901234567890"}')
    assert.deepEqual(rows, [{ a: 9007199254740993n, b: -9007199254740993n, c: 12345678901234567890n, d: 2n ** 127n - 1n, e: 9007199254740991, f: 1234567890123456, g: 1.5, h: '12345678901234567890' }])
  })

  it('finds them in arrays, nested objects and every NDJSON line, after strings that look like numbers', () => {
    const body = '{"s":"x\\" 12345678901234567890","n":[1,12345678901234567891,{"k":-12345678901234567892}]}\n\n[{"a":99999999999999999999}]'
    assert.deepEqual(parsePutBody(body), [
      { s: 'x" 12345678901234567890', n: [1, 12345678901234567891n, { k: -12345678901234567892n }] },
      { a: 99999999999999999999n }
    ])
  })

  it('refuses numbers beyond a double\'s range and integers beyond 128 bits, naming row and key', () => {
    const cases: [string, RegExp][] = [
      ['{"a":1}\n{"v":1e400}', /row 1, key v: 1e400 is not a finite number/],
      ['[{"v":-1e400}]', /row 0, key v: -1e400 is not a finite number/],
      ['{"v":{"deep":[0,1.7976931348623159e308]}}', /row 0, key v\.deep\[1\]: .* is not a finite number/],
      [`{"v":1${'0'.repeat(400)}.5}`, /key v: .* is not a finite number/],
      ['{"v":170141183460469231731687303715884105728}', /key v: 170141183460469231731687303715884105728 does not fit a 128-bit integer/],
      [`{"v":${'9'.repeat(100_000)}}`, /key v: 9{20}\.\.\.\(100000 characters\) does not fit a 128-bit integer/]
    ]
    for (const [body, message] of cases) {
      assert.throws(() => parsePutBody(body), (err: unknown) => isFedlakeError(err, 'PUT_TYPE_MISMATCH') && message.test(err.message), body.slice(0, 60))
    }
    assert.deepEqual(parsePutBody('{"tiny":1e-400,"max":1.7976931348623157e308}'), [{ tiny: 0, max: Number.MAX_VALUE }], 'underflow to 0 and the largest double are finite')
  })

  it('keeps invalid JSON invalid: a long number in a key position, with leading zeros, or a bare dot', () => {
    for (const body of ['{12345678901234567890:1}', '{"a":1,12345678901234567890:1}', '{"a":0012345678901234567}', '{"a":1.e400}', '{"a" 12345678901234567890}']) {
      assert.throws(() => parsePutBody(body), (err: unknown) => isFedlakeError(err, 'PUT_MALFORMED_BODY') && /invalid JSON/.test(err.message), body)
    }
  })

  it('refuses nesting deeper than 64 levels quickly, before JSON.parse', () => {
    const depth = 100_000
    const started = performance.now()
    assert.throws(() => parsePutBody(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`), (err: unknown) =>
      isFedlakeError(err, 'PUT_MALFORMED_BODY') && /nested deeper than 64 levels/.test(err.message) && err.details.column === 69)
    assert.ok(performance.now() - started < 1000)
    assert.deepEqual(parsePutBody(`{"a":${'['.repeat(63)}${']'.repeat(63)}}`).length, 1, '64 levels with the row object')
  })
})

describe('inferSchema and coerceValue with exact integers', () => {
  it('types 64-bit integers BIGINT and larger ones HUGEINT; mixed with fractions, DOUBLE', () => {
    const schema = inferSchema('d', 't', [{ a: 9007199254740993n, b: 2n ** 64n, c: 2n ** 60n, d: 1 }, { a: 1, b: 1, c: 0.5, d: 2n ** 62n }])
    assert.deepEqual(schema.columns, [{ name: 'a', type: 'BIGINT' }, { name: 'b', type: 'HUGEINT' }, { name: 'c', type: 'DOUBLE' }, { name: 'd', type: 'BIGINT' }])
  })

  it('never rounds: an integer a column cannot hold exactly does not fit', () => {
    assert.equal(coerceValue(2n ** 63n - 1n, 'BIGINT'), 2n ** 63n - 1n)
    assert.equal(coerceValue(2n ** 63n, 'BIGINT'), undefined)
    assert.equal(coerceValue('12345678901234567890', 'BIGINT'), undefined)
    assert.equal(coerceValue('-9007199254740993', 'BIGINT'), -9007199254740993n)
    assert.equal(coerceValue(2n ** 100n, 'HUGEINT'), 2n ** 100n)
    assert.equal(coerceValue(5, 'HUGEINT'), 5)
    assert.equal(coerceValue(2n ** 127n, 'HUGEINT'), undefined)
    assert.equal(coerceValue(2n ** 60n, 'DOUBLE'), 2 ** 60, 'a power of two is exact as a double')
    assert.equal(coerceValue(9007199254740993n, 'DOUBLE'), undefined)
    assert.equal(coerceValue(12345678901234567890n, 'VARCHAR'), '12345678901234567890')
    assert.equal(coerceValue({ id: 12345678901234567890n, list: [1n] }, 'VARCHAR'), '{"id":12345678901234567890,"list":[1]}')
    assert.equal(coerceValue(3n, 'INTEGER'), 3)
  })

  it('refuses timestamps a JS number cannot hold to the microsecond', () => {
    assert.equal(coerceValue('2255-06-05 00:00:00', 'TIMESTAMP'), Date.UTC(2255, 5, 5) * 1000)
    assert.equal(coerceValue('2300-01-01 00:00:00', 'TIMESTAMP'), undefined)
    assert.equal(coerceValue('1600-01-01', 'TIMESTAMP'), undefined)
  })
})
