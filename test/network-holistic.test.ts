/**
 * Holistic aggregates over a real network: three operator processes hold disjoint rows of `metrics`
 * (helpers/holistic-data.ts) and the KubeArmor logs, a query node answers; every answer must equal one DuckDB's
 * over the union of the rows (helpers/network-fixture.ts). The queries (helpers/holistic-queries.ts) cover medians
 * and quantiles (numeric, timestamp, text, list forms, NULLs, empty groups), mode, count distinct over 20,000
 * values, string_agg/list with ORDER BY and DISTINCT, mixed with ordinary aggregates, HAVING, LIMIT, increments().
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { differences } from './helpers/compare-answers.js'
import { generateMetrics, METRICS_TABLE } from './helpers/holistic-data.js'
import { HOLISTIC_QUERIES } from './helpers/holistic-queries.js'
import { startNetworkFixture } from './helpers/network-fixture.js'
import type { NetworkFixture } from './helpers/network-fixture.js'
import { restCommand } from './helpers/processes.js'

describe('holistic aggregates over three operators', { timeout: 600_000 }, () => {
  let net: NetworkFixture
  before(async () => {
    net = await startNetworkFixture(11, [], [{ name: METRICS_TABLE, rows: generateMetrics(5) }])
  })
  after(async () => { await net?.close() })

  it(`${HOLISTIC_QUERIES.length} queries answer as one DuckDB over the union`, async () => {
    assert.ok(HOLISTIC_QUERIES.length >= 40)
    const distinctIds = await net.reference(`select count(distinct id) from ${METRICS_TABLE}`)
    assert.equal(distinctIds.rows[0]?.[0], 20_000, 'count distinct is tested at high cardinality')
    const failures: string[] = []
    for (const q of HOLISTIC_QUERIES) {
      const got = await net.ask(q.sql)
      const want = await net.reference(q.reference ?? q.sql)
      if (got.status !== 200 || got.answer === undefined) { failures.push(`${q.sql}\n  status ${got.status}: ${got.text.slice(0, 300)}`); continue }
      const diff = got.answer.rows.length === 0 && want.rows.length === 0 ? undefined : differences(got.answer, want, /order by/i.test(q.reference ?? q.sql))
      if (diff !== undefined) failures.push(`${q.sql}\n  ${diff}`)
    }
    assert.deepEqual(failures, [], failures.join('\n\n'))
  })

  it('query explain says how each holistic aggregate is computed and what the operators send', async () => {
    const explain = await restCommand(net.url, `query explain sql kubearmor "select g, median(x), mode(k), string_agg(s, ',' order by seq), count(distinct id) from ${METRICS_TABLE} group by g"`)
    assert.equal(explain.status, 200, explain.text)
    assert.match(explain.text, /value counts per group, interpolated/)
    assert.match(explain.text, /value counts per group, the most frequent value/)
    assert.match(explain.text, /rows \(s, seq\) per group, aggregated on the query node/)
    assert.match(explain.text, /operators run \(__p1\): SELECT g AS __k0, x AS __v0, count_star\(\) AS __n FROM metrics GROUP BY 1, 2/)
    assert.match(explain.text, /operators run \(__p3\): SELECT g AS __k0, s AS __v0, seq AS __v1 FROM metrics/)
  })
})
