/**
 * Holistic and order-sensitive aggregates through the planner, in one process (helpers/network-harness.ts): median,
 * quantiles (numeric, TIMESTAMP, VARCHAR, list forms, WITHIN GROUP), mode, DISTINCT aggregates at high cardinality,
 * string_agg/list/array_agg with ORDER BY and DISTINCT, mixed with ordinary aggregates, HAVING, LIMIT, increments().
 * Every answer equals one DuckDB's over the union of the operators' rows; the plans say what operators send.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { TableSchema } from '@fedlake/core'
import { differences } from '../../../test/helpers/compare-answers.js'
import { generateMetrics, METRICS_COLUMNS, METRICS_TABLE } from '../../../test/helpers/holistic-data.js'
import { HOLISTIC_QUERIES } from '../../../test/helpers/holistic-queries.js'
import { DBMS, generateKubeArmorData, NOW } from '../../../test/helpers/kubearmor-data.js'
import { createNetwork } from './helpers/network-harness.js'
import type { Network, NetworkRun } from './helpers/network-harness.js'

const metricsSchema: TableSchema = { dbms: DBMS, table: METRICS_TABLE, columns: METRICS_COLUMNS.map(c => ({ ...c })) }

describe('planner, holistic aggregates', () => {
  let network: Network
  before(async () => {
    const kubearmor = generateKubeArmorData(7)
    const metrics = generateMetrics(5)
    network = await createNetwork({
      dbms: DBMS,
      tables: [kubearmor.schemas.logs, metricsSchema],
      rows: kubearmor.rows.map((tables, i) => ({ logs: tables.logs ?? [], metrics: (metrics[i] ?? []).map(r => METRICS_COLUMNS.map(c => r[c.name])) })),
      now: NOW
    })
  })
  after(async () => { await network.close() })

  const explainOf = (run: NetworkRun): string => run.executed.kind === 'network' ? run.executed.explain.join('\n') : ''

  it(`${HOLISTIC_QUERIES.length} queries answer as one DuckDB over the union`, async () => {
    const failures: string[] = []
    for (const q of HOLISTIC_QUERIES) {
      try {
        const got = await network.query(q.sql)
        const want = await network.reference(q.reference ?? q.sql)
        const diff = differences(got, want, /order by/i.test(q.reference ?? q.sql))
        if (diff !== undefined) failures.push(`${q.sql}\n  ${diff}\n  ${got.sql.join('\n  ')}`)
      } catch (err) {
        failures.push(`${q.sql}\n  ${(err as Error).message}`)
      }
    }
    assert.deepEqual(failures, [], failures.join('\n\n'))
  })

  it('median from value counts: operators send (group, value, count), far fewer rows than the group has', async () => {
    const got = await network.query('select g, median(x), quantile_disc(x, 0.9), mode(k) from metrics group by g order by g')
    assert.equal(got.sql[1], 'SELECT g AS __k0, x AS __v0, count_star() AS __n FROM metrics GROUP BY 1, 2')
    assert.equal(got.sql[2], 'SELECT g AS __k0, k AS __v0, count_star() AS __n FROM metrics GROUP BY 1, 2')
    const explain = explainOf(got)
    assert.match(explain, /__h0: value counts per group, interpolated between the two values around \(n-1\)·q/)
    assert.match(explain, /__h1: value counts per group, the value at DuckDB's quantile_disc index/)
    assert.match(explain, /__h2: value counts per group, the most frequent value/)
    assert.match(explain, /operators \(__p1\): value counts of x per group/)
    const shipped = (await network.onOperator(0, 'select count(*) from (select g, x from metrics group by all)')).rows[0]?.[0] as bigint
    const rows = (await network.onOperator(0, 'select count(*) from metrics')).rows[0]?.[0] as bigint
    assert.ok(shipped < rows, `${shipped} value counts for ${rows} rows`)
  })

  it('string_agg ordered by another column pulls the rows of the two columns; the same aggregates share fragments', async () => {
    const got = await network.query("select g, string_agg(s, ',' order by seq), list(s order by seq), median(x), quantile_cont(x, 0.9) from metrics where x < 50 group by g order by g")
    assert.equal(got.sql.length, 4, got.sql.join('\n'))
    assert.equal(got.sql[1], 'SELECT g AS __k0, s AS __v0, seq AS __v1 FROM metrics WHERE (x < 50)')
    assert.match(explainOf(got), /rows \(s, seq\) per group, aggregated on the query node/)
    assert.match(explainOf(got), /operators \(__p1\): rows of s, seq per group/)
  })

  it('a FILTER goes to the operators\' WHERE; a NULL group key still joins its group', async () => {
    const got = await network.query('select g, median(x) filter (where s = \'w1\') from metrics group by g order by g nulls first')
    assert.equal(got.sql[1], "SELECT g AS __k0, x AS __v0, count_star() AS __n FROM metrics WHERE (s = 'w1') GROUP BY 1, 2")
    assert.equal(got.rows[0]?.[0], null)
    assert.notEqual(got.rows[0]?.[1], null)
  })

  it('no operator answering: a global holistic aggregate answers its one row of NULLs', async () => {
    const none = await network.query('select median(x), mode(k), string_agg(s, \',\' order by seq), count(*) from metrics', { answeringOperators: [] })
    assert.deepEqual(none.rows, [[null, null, null, 0n]])
  })

  it('period() with holistic aggregates: every fragment reads phase two\'s window', async () => {
    const got = await network.query("select median(pid), quantile_disc(\"timestamp\", [0.1, 0.9]), string_agg(pod_name, ',' order by \"timestamp\") from logs where period(day, 2, '2026-03-20 00:00:00', \"timestamp\")")
    const t = "(select max(\"timestamp\") from logs where \"timestamp\" <= '2026-03-20 00:00:00')"
    const want = await network.reference(`select median(pid), quantile_disc("timestamp", [0.1, 0.9]), string_agg(pod_name, ',' order by "timestamp") from logs where "timestamp" > ${t} - interval 2 day and "timestamp" <= ${t}`)
    assert.equal(differences(got, want, true), undefined)
    assert.equal(got.sql.length, 2 + 5, 'the probe and its merge; the partials, two value-count fragments, one rows fragment, the merge')
  })

  it('aggregates whose result depends on the multiset only, in other forms, are exact by expanding the counts', async () => {
    const got = await network.query('select g, mad(x), entropy(k), quantile_cont(x, -0.25) from metrics group by g order by g')
    const want = await network.reference('select g, mad(x), entropy(k), quantile_cont(x, -0.25) from metrics group by g order by g')
    assert.equal(differences(got, want, true), undefined)
    assert.match(explainOf(got), /expanded back to rows on the query node/)
  })
})
