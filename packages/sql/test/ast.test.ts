import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { NON_FINITE_MARKER, parsedSqlFromJson, printableAstJson, NUMBER_TOKEN_MARKER } from '../src/index.js'
import type { ParsedSqlOk } from '../src/index.js'

describe('parsedSqlFromJson / printableAstJson', () => {
  const text = '{"error":false,"statements":[{"big":9007199254740993,"neg":-170141183460469231731687303715884105727,' +
    '"loc":18446744073709551615,"safe":9007199254740991,"d":-1.5e-7,"dbl":1000000000.0,"e":1e+300,"half":0.5,"inf":-Infinity,"nan":NaN,"s":"9007199254740993 Infinity"}]}'

  it('reads integers beyond 2^53, integral doubles and non-finite tokens as markers, leaving strings and safe numbers alone', () => {
    const parsed = parsedSqlFromJson(text) as ParsedSqlOk
    assert.deepEqual(parsed.statements[0], {
      big: NUMBER_TOKEN_MARKER + '9007199254740993',
      neg: NUMBER_TOKEN_MARKER + '-170141183460469231731687303715884105727',
      loc: NUMBER_TOKEN_MARKER + '18446744073709551615',
      safe: 9007199254740991,
      d: -1.5e-7,
      dbl: NUMBER_TOKEN_MARKER + '1000000000.0',
      e: 1e300,
      half: 0.5,
      inf: NON_FINITE_MARKER + '-Infinity',
      nan: NON_FINITE_MARKER + 'NaN',
      s: '9007199254740993 Infinity'
    })
  })

  it('writes the markers back as the exact tokens DuckDB wrote', () => {
    const printed = printableAstJson(parsedSqlFromJson(text) as ParsedSqlOk)
    assert.equal(printed, text)
  })
})
