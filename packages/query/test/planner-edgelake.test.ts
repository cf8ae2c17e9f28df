/**
 * increments() and period() over the network against EdgeLake's semantics written directly in SQL on the
 * reference database (DuckDB has neither function): buckets as time_bucket() restarted at each parent unit,
 * period as subqueries finding T.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isFedlakeError } from '@fedlake/core'
import { differences } from '../../../test/helpers/compare-answers.js'
import { DBMS, generateKubeArmorData, kubeArmorSchemas, NOW, row } from '../../../test/helpers/kubearmor-data.js'
import { createNetwork } from './helpers/network-harness.js'
import type { Network, NetworkRun } from './helpers/network-harness.js'

/** EdgeLake's bucket of `ts` for (unit, n), written independently of the planner's formulas. */
function bucket (unit: string, n: number, ts = '"timestamp"'): string {
  const parent: Record<string, string> = { second: 'minute', minute: 'hour', hour: 'day', day: 'month', month: 'year' }
  if (unit === 'year') return `year(${ts}) // ${n}`
  if (unit === 'week') return n === 1 ? `date_trunc('week', ${ts})` : `time_bucket(INTERVAL '${n} weeks', ${ts}, date_trunc('week', make_date(isoyear(${ts})::INTEGER, 1, 4)))`
  return `time_bucket(INTERVAL '${n} ${unit}s', ${ts}, date_trunc('${parent[unit] as string}', ${ts}))`
}

describe('increments() and period() over the network', () => {
  let network: Network
  before(async () => {
    const data = generateKubeArmorData(7)
    network = await createNetwork({ dbms: DBMS, tables: [data.schemas.logs, data.schemas.alert], rows: data.rows, now: NOW })
  })
  after(async () => { await network.close() })

  async function same (sql: string, reference: string, ordered: boolean): Promise<NetworkRun> {
    const got = await network.query(sql)
    const want = await network.reference(reference)
    assert.ok(want.rows.length > 0 || /2020-01-01|pid < 0/.test(sql), 'the reference answers rows')
    const diff = differences(got, want, ordered)
    assert.equal(diff, undefined, `${diff ?? ''}\n${got.sql.join('\n')}`)
    return got
  }

  it("EdgeLake's seed increments query: buckets are keys, not columns; ORDER BY first, then the bucket", async () => {
    const got = await same(
      "select increments(hour, 1, updated_timestamp), result, min(updated_timestamp) as min_ts, max(updated_timestamp) as max_ts, count(*) as row_count from logs where operation='File' group by result ORDER by min_ts",
      `select result, min(updated_timestamp) as min_ts, max(updated_timestamp) as max_ts, count(*) as row_count from logs where operation='File' group by result, ${bucket('hour', 1, 'updated_timestamp')}`,
      false)
    assert.deepEqual(got.columns, ['result', 'min_ts', 'max_ts', 'row_count'])
    const minTs = got.rows.map(r => r[1] === null ? null : String(r[1]))
    const nonNull = minTs.filter((v): v is string => v !== null)
    assert.deepEqual(nonNull, [...nonNull].sort(), 'rows ordered by min_ts')
    assert.ok(minTs.indexOf(null) < 0 || minTs.slice(minTs.indexOf(null)).every(v => v === null), 'NULL min_ts last')
  })

  const units: [string, string, number][] = [
    ['second', 'second', 1], ['seconds', 'second', 15], ['minute', 'minute', 1], ['minute', 'minute', 7], ['hours', 'hour', 1],
    ['hour', 'hour', 5], ['day', 'day', 1], ['days', 'day', 3], ['week', 'week', 1], ['weeks', 'week', 2], ['month', 'month', 1],
    ['months', 'month', 2], ['year', 'year', 1], ['years', 'year', 3]
  ]
  for (const [written, unit, n] of units) {
    it(`increments(${written}, ${n}, timestamp): calendar buckets inside the parent unit, rows in bucket order`, async () => {
      const b = bucket(unit, n)
      await same(
        `select increments(${written}, ${n}, "timestamp"), min("timestamp") as first, max("timestamp") as last, count(*) as n, avg(pid) from logs where pid > 1000`,
        `select min("timestamp") as first, max("timestamp") as last, count(*) as n, avg(pid) from logs where pid > 1000 group by ${b} order by ${b} nulls last`,
        true)
    })
  }

  it('increments with GROUP BY, ORDER BY and HAVING: the user order first, then the bucket', async () => {
    await same(
      "select increments(day, 1, \"timestamp\"), pod_name, count(*) as c, max(pid) from logs where pod_name in ('pod-a', 'pod-x') group by pod_name having count(*) > 1 order by pod_name desc",
      `select pod_name, count(*) as c, max(pid) from logs where pod_name in ('pod-a', 'pod-x') group by pod_name, ${bucket('day', 1)} having count(*) > 1 order by pod_name desc, ${bucket('day', 1)} nulls last`,
      true)
  })

  it('increments whose bucket is also a GROUP BY key of the query', async () => {
    await same(
      "select increments(hour, 1, \"timestamp\"), date_trunc('hour', \"timestamp\") as h, count(*) from logs where pid > 40000 group by h",
      "select date_trunc('hour', \"timestamp\") as h, count(*) from logs where pid > 40000 group by h order by h nulls last",
      true)
  })

  const optimised: [string, string, string, number][] = [
    // 36 days / 1000 points = 3110.4 s: minutes, 52 of them
    ["\"timestamp\" >= '2026-03-01' and \"timestamp\" < '2026-04-06'", 'increments("timestamp")', 'minute', 52],
    // / 10 points = 311040 s: days, 4 of them
    ["\"timestamp\" >= '2026-03-01' and \"timestamp\" < '2026-04-06'", 'increments("timestamp", 10)', 'day', 4],
    // / 40 points = 77760 s: hours, 22 of them
    ["\"timestamp\" between '2026-03-01' and '2026-04-06'", 'increments(40, "timestamp")', 'hour', 22],
    // 7 days up to now / 1000 = 604.8 s: minutes, 10 of them
    ['"timestamp" > now() - 7 days', 'increments("timestamp")', 'minute', 10]
  ]
  for (const [where, call, unit, n] of optimised) {
    it(`${call} where ${where}: the width from the WHERE span is ${unit}, ${n}`, async () => {
      const got = await same(
        `select ${call}, count(*) as n, max(pid) from logs where ${where}`,
        `select count(*) as n, max(pid) from logs where ${where} group by ${bucket(unit, n)} order by ${bucket(unit, n)}`,
        true)
      assert.ok(got.executed.kind === 'network' && got.executed.explain.some(l => l.includes(`increments(${unit}, ${n},`)), String(got.executed.explain))
      assert.equal(got.plan.kind === 'network' && got.plan.dependsOnNow, undefined)
    })
  }

  it('increments(col) with a fixed lower bound and no upper bound depends on now: the plan says so', async () => {
    const got = await network.query("select increments(\"timestamp\"), count(*) from logs where \"timestamp\" >= '2026-03-30'")
    assert.equal(got.plan.kind === 'network' && got.plan.dependsOnNow, true)
  })

  it("EdgeLake's seed period query over alert", async () => {
    const t = "(select max(\"timestamp\") from alert where \"timestamp\" <= now())"
    const got = await same(
      'select updated_timestamp as timestamp, cluster_name, namespace, pod_name as pod, severity, policy_name as policy, message, action, result, tag, resource, source from alert where period(day, 1, now(), timestamp)',
      `select updated_timestamp as timestamp, cluster_name, namespace, pod_name as pod, severity, policy_name as policy, message, action, result, tag, resource, source from alert where "timestamp" > ${t} - interval 1 day and "timestamp" <= ${t}`,
      false)
    assert.equal(got.plan.kind, 'period')
  })

  const periods: [string, string, string][] = [
    ['period(week, 1, now(), "timestamp")', '"timestamp" <= now()', "interval '7 days'"],
    ['period(days, 3, now(), "timestamp") and uid = 0', '"timestamp" <= now()', "interval '3 days'"],
    ["period(hours, 36, '2026-03-20 12:00:00', \"timestamp\")", "\"timestamp\" <= '2026-03-20 12:00:00'", "interval '36 hours'"],
    ["period(minute, 90, now(), \"timestamp\", and pod_name = 'pod-b')", "\"timestamp\" <= now() and pod_name = 'pod-b'", "interval '90 minutes'"],
    ['period(month, 1, now() - 10 days, "timestamp")', '"timestamp" <= now() - 10 days', "interval '1 month'"]
  ]
  for (const [condition, probe, width] of periods) {
    it(`where ${condition}`, async () => {
      const t = `(select max("timestamp") from logs where ${probe})`
      const extra = condition.includes('uid = 0') ? ' and uid = 0' : ''
      await same(
        `select pod_name, count(*) as n, min("timestamp") from logs where ${condition} group by pod_name order by pod_name`,
        `select pod_name, count(*) as n, min("timestamp") from logs where "timestamp" > ${t} - ${width} and "timestamp" <= ${t}${extra} group by pod_name order by pod_name`,
        true)
    })
  }

  it('period with increments', async () => {
    const t = '(select max("timestamp") from logs where "timestamp" <= now())'
    await same('select increments(hour, 6, "timestamp"), count(*), max(pid) from logs where period(day, 2, now(), "timestamp")',
      `select count(*), max(pid) from logs where "timestamp" > ${t} - interval 2 day and "timestamp" <= ${t} group by ${bucket('hour', 6)} order by ${bucket('hour', 6)}`, true)
  })

  it('period with no row at or before the date: no rows, but a global aggregate still answers its row', async () => {
    const count = await network.query("select count(*), max(pid) from logs where period(day, 1, '2020-01-01', \"timestamp\")")
    assert.deepEqual(count.rows, [[0n, null]])
    const rows = await network.query("select pid from logs where period(day, 1, '2020-01-01', \"timestamp\")")
    assert.equal(rows.executed.kind, 'empty')
    assert.deepEqual([rows.columns, rows.rows], [['pid'], []])
  })

  it('bad increments()/period() arguments are refused with PLAN_INVALID_ARGUMENT', async () => {
    const bad = [
      'select increments(fortnight, 1, "timestamp"), count(*) from logs',
      'select increments(hour, 0, "timestamp"), count(*) from logs',
      'select increments(hour, 1, pod_name), count(*) from logs',
      'select increments("timestamp"), count(*) from logs',
      'select count(*) from logs where increments(hour, 1, "timestamp") is not null',
      'select count(*) from logs where period(day, 1, now(), pid)',
      'select count(*) from logs where period(day, 1, now(), "timestamp") or uid = 0',
      'select count(*) from logs where period(eons, 1, now(), "timestamp")'
    ]
    for (const sql of bad) {
      await assert.rejects(network.query(sql), (err: unknown) => isFedlakeError(err, 'PLAN_INVALID_ARGUMENT'), sql)
    }
  })
})

describe('period() when the latest row sits on an operator that holds nothing else of the window', () => {
  const { logs, alert } = kubeArmorSchemas()
  const at = (hoursBeforeT: number): string => new Date(Date.UTC(2026, 4, 10, 12) - hoursBeforeT * 3_600_000).toISOString().replace('T', ' ').replace('Z', '')
  let network: Network
  before(async () => {
    const event = (hoursBeforeT: number, pid: number): ReturnType<typeof row> => row(logs, { timestamp: at(hoursBeforeT), pid, pod_name: `p${pid % 2}` })
    network = await createNetwork({
      dbms: DBMS,
      tables: [logs, alert],
      rows: [
        { logs: [event(2, 1), event(5, 2), event(40, 3)] },
        { logs: [event(0, 4)] },
        { logs: [event(10, 5), event(30, 6), event(23.5, 7)] }
      ],
      now: new Date(Date.UTC(2026, 4, 11))
    })
  })
  after(async () => { await network.close() })

  it('T comes from the whole network, and each operator keeps its own rows of (T - 1 day, T]', async () => {
    assert.deepEqual((await network.onOperator(1, 'select max("timestamp") = (select max("timestamp") from logs) from logs')).rows, [[true]])
    const got = await network.query('select pid, pod_name from logs where period(day, 1, now(), "timestamp") order by pid')
    assert.deepEqual(got.rows.map(r => r[0]), [1, 2, 4, 5, 7])
    const want = await network.reference("select pid, pod_name from logs where \"timestamp\" > (select max(\"timestamp\") from logs) - interval 1 day and \"timestamp\" <= (select max(\"timestamp\") from logs) order by pid")
    assert.equal(differences(got, want, true), undefined)
    const count = await network.query('select count(*) from logs where period(hour, 6, now(), "timestamp")')
    assert.deepEqual(count.rows, [[3n]])
  })
})
