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
