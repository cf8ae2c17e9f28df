/**
 * Every SELECT DuckDB accepts, over the network: the fixture's three operators hold disjoint rows of logs and
 * alert (the third no alerts), the first also a small `pods` lookup table; one DuckDB holding the union of every
 * operator's rows is the reference. Joins (by pod and time window, with the lookup table, outer, semi, anti, ASOF,
 * LATERAL), IN / EXISTS / scalar / correlated subqueries, CTEs (recursive too), set operations, window functions,
 * QUALIFY, DISTINCT ON, ROLLUP / CUBE / GROUPING SETS and holistic aggregates must answer as the reference does
 * (as multisets without ORDER BY), hand-written and generated. Also: what `query explain` says of the relational
 * pull, and the merge cap's error, after which the node goes on serving.
 * Replay the generated queries: FEDLAKE_COVERAGE_SEED=<seed> [FEDLAKE_COVERAGE_QUERIES=<n>].
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { QueryAnswer } from './helpers/answers.js'
import { differences } from './helpers/compare-answers.js'
import { normalized, startNetworkFixture } from './helpers/network-fixture.js'
import type { NetworkFixture } from './helpers/network-fixture.js'
import { restCommand } from './helpers/processes.js'
import { generateCoverageQueries } from './helpers/sql-coverage-generator.js'

const SEED = Number(process.env.FEDLAKE_COVERAGE_SEED ?? 2718)
const COUNT = Number(process.env.FEDLAKE_COVERAGE_QUERIES ?? 100)

/** The lookup table, on the first operator only: pod-z has no logs, pod-d/h/i have no team. */
const PODS = [
  { pod_name: 'pod-a', team: 'core', tier: 1 }, { pod_name: 'pod-b', team: 'core', tier: 2 }, { pod_name: 'pod-c', team: 'edge', tier: 2 },
  { pod_name: 'pod-x', team: 'edge', tier: 3 }, { pod_name: 'pod-e', team: 'data', tier: 1 }, { pod_name: 'pod-f', team: 'data', tier: 2 },
  { pod_name: 'pod-g', team: 'core', tier: 3 }, { pod_name: 'pod-z', team: 'ghost', tier: 1 }
]

/** [sql, ordered]: ordered when the answer's row order is defined by ORDER BY. */
const HAND_WRITTEN: readonly (readonly [string, boolean])[] = [
  // joins across distributed tables: alerts with the logs of their pod in the hour before, logs with the lookup table
  ['SELECT a.pod_name AS pod, a.policy_name AS policy, count(l.pid) AS logs_before FROM alert a LEFT JOIN logs l ON l.pod_name = a.pod_name AND l."timestamp" BETWEEN a."timestamp" - INTERVAL 1 HOUR AND a."timestamp" WHERE a.severity >= 7 GROUP BY ALL', false],
  ['SELECT l.pod_name AS pod, l."timestamp" AS at, a."timestamp" AS alert_at FROM logs l JOIN alert a ON l.pod_name = a.pod_name AND a."timestamp" BETWEEN l."timestamp" AND l."timestamp" + INTERVAL 30 MINUTE WHERE l.operation = \'Process\'', false],
  ['SELECT p.team AS team, count(*) AS n FROM logs l JOIN pods p USING (pod_name) GROUP BY p.team', false],
  ['SELECT l.pod_name AS pod, p.team AS team FROM logs l LEFT JOIN pods p ON l.pod_name = p.pod_name WHERE p.team IS NULL', false],
  ['SELECT p.pod_name AS pod, count(l.pid) AS n FROM pods p LEFT JOIN logs l ON l.pod_name = p.pod_name AND l.operation = \'File\' GROUP BY 1', false],
  ['SELECT p.pod_name AS pod, l.pid AS pid FROM logs l RIGHT JOIN pods p ON l.pod_name = p.pod_name AND l.pid > 40000 WHERE p.tier < 3', false],
  ['SELECT coalesce(l.pod_name, p.pod_name) AS pod, count(l.pid) AS n, max(p.tier) AS tier FROM logs l FULL JOIN pods p ON l.pod_name = p.pod_name AND p.tier = 2 GROUP BY 1', false],
  ['SELECT count(*) AS n FROM logs l, alert a WHERE l.pid = a.pid AND l.pid IS NOT NULL', false],
  ['SELECT count(*) AS n, count(DISTINCT l1.pod_name) AS pods FROM logs l1 JOIN logs l2 ON l1.pid = l2.ppid', false],
  ['SELECT l.pod_name AS pod, a.severity AS sev FROM logs l JOIN alert a ON l.pod_name = a.pod_name AND l.pid = a.ppid', false],
  ['SELECT count(*) AS n FROM logs l SEMI JOIN alert a ON l.pod_name = a.pod_name AND a.severity > 8', false],
  ['SELECT count(*) AS n FROM logs l ANTI JOIN alert a ON l.pod_name = a.pod_name AND a.severity > 8', false],
  // alerts without a timestamp left out: DuckDB 1.5 paired one with a log row in the reference and not in the merge
  // (the same statement, rows in another physical order), so its answer for them is not defined by the data alone
  ['SELECT a.pod_name AS pod, a."timestamp" AS at, l.pid AS last_pid FROM alert a ASOF JOIN logs l ON a.pod_name = l.pod_name AND a."timestamp" >= l."timestamp" WHERE a."timestamp" IS NOT NULL', false],
  ['SELECT p.pod_name AS pod, t.last_pid FROM pods p, LATERAL (SELECT pid AS last_pid FROM logs l WHERE l.pod_name = p.pod_name AND l."timestamp" IS NOT NULL ORDER BY l."timestamp" DESC LIMIT 1) t', false],
  ['SELECT * FROM pods p JOIN (SELECT pod_name, count(*) AS n FROM alert GROUP BY 1) a USING (pod_name)', false],
  ['SELECT l.* EXCLUDE (labels, data) FROM logs l JOIN pods p ON l.pod_name = p.pod_name WHERE p.tier = 3 AND l.uid = 0', false],
  ['SELECT pod_name, sum(pid) OVER () AS total FROM pods JOIN logs USING (pod_name) WHERE tier = 1', false],
  ['SELECT to_json(p) AS j FROM pods p', false],
  // subqueries over distributed tables
  ['SELECT pod_name, pid FROM logs WHERE pid IN (SELECT pid FROM alert)', false],
  ['SELECT count(*) AS n FROM logs WHERE pod_name IN (SELECT pod_name FROM pods WHERE tier >= 2) AND pid > 1000', false],
  ['SELECT count(*) AS n FROM logs l WHERE EXISTS (SELECT 1 FROM alert a WHERE a.pid = l.pid AND a.severity > 3)', false],
  ['SELECT count(*) AS n FROM logs l WHERE l.uid = 0 AND NOT EXISTS (SELECT 1 FROM pods p WHERE p.pod_name = l.pod_name)', false],
  ['SELECT pod_name, (SELECT max(severity) FROM alert a WHERE a.pod_name = l.pod_name) AS worst FROM logs l GROUP BY pod_name', false],
  ['SELECT count(*) AS n FROM logs WHERE pid > (SELECT avg(pid) FROM logs)', false],
  ['SELECT pod_name, count(*) AS n FROM logs GROUP BY pod_name HAVING count(*) > (SELECT count(*) / 10 FROM alert)', false],
  ['SELECT (SELECT count(*) FROM logs) AS logs_n, (SELECT count(*) FROM alert) AS alerts_n, (SELECT count(*) FROM pods) AS pods_n', false],
  // CTEs and subqueries in FROM
  ['WITH recent AS (SELECT * FROM logs WHERE "timestamp" > \'2026-03-25\') SELECT pod_name, count(*) AS n FROM recent GROUP BY 1', false],
  ['WITH a AS (SELECT pod_name, count(*) AS c FROM alert GROUP BY 1) SELECT l.pod_name, count(*) AS n, any_value(a.c) AS alerts FROM logs l JOIN a USING (pod_name) GROUP BY 1', false],
  ['WITH alert AS (SELECT * FROM pods) SELECT count(*) AS n, max(tier) AS tier FROM alert', false],
  ['SELECT s.pod_name, s.n FROM (SELECT pod_name, count(*) AS n FROM logs GROUP BY 1) s WHERE s.n > 50', false],
  ['SELECT max(c) AS m FROM (SELECT count(*) AS c FROM alert GROUP BY pod_name, severity)', false],
  ['WITH RECURSIVE weeks(d) AS (SELECT TIMESTAMP \'2026-03-02\' UNION ALL SELECT d + INTERVAL 7 DAY FROM weeks WHERE d < TIMESTAMP \'2026-04-01\') SELECT d, (SELECT count(*) FROM logs WHERE "timestamp" >= d AND "timestamp" < d + INTERVAL 7 DAY) AS n FROM weeks', false],
  // table functions that make rows: time buckets with no gaps (the buckets without logs count 0), a lookup list
  ['SELECT g.t AS day, count(l.pid) AS n FROM generate_series(TIMESTAMP \'2026-03-01\', TIMESTAMP \'2026-04-10\', INTERVAL 1 DAY) g(t) LEFT JOIN logs l ON date_trunc(\'day\', l."timestamp") = g.t GROUP BY 1 ORDER BY 1', true],
  ['SELECT g.t AS bucket, count(a.pid) AS alerts FROM range(TIMESTAMP \'2026-03-01\', TIMESTAMP \'2026-04-10\', INTERVAL \'6 hours\') g(t) LEFT JOIN alert a ON time_bucket(INTERVAL 6 HOUR, a."timestamp") = g.t GROUP BY 1', false],
  ['SELECT u.x AS uid, count(l.pid) AS n FROM unnest([0, 1000, 65534, 7]) u(x) LEFT JOIN logs l ON l.uid = u.x GROUP BY 1', false],
  ['SELECT r.n, (SELECT count(*) FROM logs WHERE uid = r.n) AS c FROM range(0, 2) r(n)', false],
  // COLUMNS(...) inside an expression: DuckDB makes several columns of one select item
  ['SELECT min(COLUMNS(\'.*pid\')) FROM logs', false],
  ['SELECT pod_name, max(COLUMNS(\'^(pid|ppid)$\')) FROM logs GROUP BY 1', false],
  ['SELECT count(COLUMNS(* EXCLUDE (pod_name))) FROM alert', false],
  // set operations
  ['SELECT pod_name FROM logs UNION SELECT pod_name FROM pods', false],
  ['SELECT pod_name FROM pods EXCEPT SELECT pod_name FROM logs', false],
  ['SELECT uid FROM logs INTERSECT ALL SELECT uid FROM alert', false],
  ['SELECT pod_name FROM logs WHERE "timestamp" > \'2026-04-01\' INTERSECT SELECT pod_name FROM alert', false],
  ['(SELECT pod_name, pid FROM logs ORDER BY pid DESC NULLS LAST, "timestamp" LIMIT 5) UNION ALL (SELECT pod_name, pid FROM alert ORDER BY pid NULLS LAST, "timestamp" LIMIT 5)', false],
  // window functions and QUALIFY
  ['SELECT pod_name, "timestamp", sum(pid) OVER w AS running, avg(pid) OVER w AS avg_pid FROM logs WHERE "timestamp" IS NOT NULL WINDOW w AS (PARTITION BY pod_name ORDER BY "timestamp" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)', false],
  ['SELECT operation, pid, percent_rank() OVER (PARTITION BY operation ORDER BY pid) AS pr FROM logs', false],
  ['SELECT pod_name, "timestamp", lag("timestamp") OVER (PARTITION BY pod_name ORDER BY "timestamp") AS prev FROM logs WHERE "timestamp" IS NOT NULL QUALIFY "timestamp" - prev > INTERVAL 1 DAY', false],
  ['SELECT pod_name, pid FROM logs QUALIFY count(*) OVER (PARTITION BY pod_name) > 100', false],
  ['SELECT pod_name, pid, row_number() OVER (ORDER BY pid DESC NULLS LAST, "timestamp") AS rn FROM logs ORDER BY rn LIMIT 10', true],
  ['SELECT p.team AS team, l.pod_name AS pod, count(*) AS n FROM logs l JOIN pods p USING (pod_name) GROUP BY 1, 2 QUALIFY rank() OVER (PARTITION BY p.team ORDER BY count(*) DESC) = 1', false],
  // DISTINCT ON, grouping sets
  ['SELECT DISTINCT ON (operation) operation, pod_name, pid FROM logs WHERE pid IS NOT NULL AND "timestamp" IS NOT NULL ORDER BY operation, pid DESC, "timestamp"', true],
  ['SELECT namespace, operation, count(*) AS n FROM logs GROUP BY ROLLUP (namespace, operation) ORDER BY ALL NULLS FIRST', true],
  ['SELECT pod_name, result, grouping(pod_name, result) AS g, count(*) AS n FROM logs GROUP BY CUBE (pod_name, result)', false],
  ['SELECT cluster_name, hostname, max(pid) AS m FROM logs GROUP BY GROUPING SETS ((cluster_name), (hostname), (cluster_name, hostname))', false],
  // holistic aggregates
  ['SELECT pod_name, string_agg(process_name, \'|\' ORDER BY "timestamp") AS seq FROM logs WHERE "timestamp" IS NOT NULL GROUP BY 1', false],
  ['SELECT median(pid) AS med, quantile_cont(pid, [0.25, 0.75]) AS q FROM logs', false],
  ['SELECT namespace, count(DISTINCT pod_name) AS pods, median(uid) AS mu FROM logs GROUP BY 1', false],
  ['SELECT array_agg(DISTINCT pod_name ORDER BY pod_name) AS pods FROM alert', false],
  ['SELECT pod_name, percentile_disc(0.5) WITHIN GROUP (ORDER BY pid) AS p50 FROM alert GROUP BY 1', false],
  ['SELECT count(DISTINCT pod_name || \'/\' || operation) AS pairs, median(pid) AS med FROM logs', false],
  ['SELECT * FROM (PIVOT (SELECT operation, namespace FROM logs WHERE namespace IS NOT NULL) ON namespace IN (\'default\', \'prod\', \'dev\') USING count(*) GROUP BY operation)', false],
  ['SELECT count(DISTINCT (pod_name, operation)) AS pairs, count(DISTINCT (uid, pod_name)) FILTER (WHERE pid > 100) AS f FROM logs', false],
  // subqueries in FROM and CTEs answered as network queries of their own, their answers joined back
  ['SELECT l.operation, count(*) AS n FROM logs l JOIN (SELECT pod_name FROM logs GROUP BY pod_name ORDER BY count(*) DESC, pod_name LIMIT 3) t USING (pod_name) GROUP BY l.operation', false],
  ['WITH top AS (SELECT pod_name, count(*) AS c FROM logs GROUP BY 1 ORDER BY c DESC, 1 LIMIT 4) SELECT a.pod_name, a.severity, t.c, t2.c AS c2 FROM alert a JOIN top t USING (pod_name) JOIN top t2 ON t2.pod_name = a.pod_name', false],
  ['SELECT l.pod_name, count(*) AS n, any_value(m.med) AS med, any_value(m.q) AS q FROM logs l JOIN (SELECT pod_name, median(pid) AS med, quantile_disc(uid, 0.9) AS q FROM logs GROUP BY 1) m USING (pod_name) GROUP BY 1', false],
  ['SELECT a.pod_name, a.severity, f.top_pid FROM alert a JOIN (SELECT pod_name, max(pid) AS top_pid FROM logs WHERE operation = \'File\' AND uid = 0 GROUP BY 1) f ON f.pod_name = a.pod_name WHERE a.severity > 5', false],
  ['SELECT max(n) AS m, count(*) AS pods FROM (SELECT pod_name, sum(c) AS n FROM (SELECT pod_name, operation, count(*) AS c FROM logs WHERE uid = 0 GROUP BY 1, 2) x GROUP BY 1) y', false],
  ['SELECT p.team, s.pod_name, s.n FROM pods p LEFT JOIN (SELECT pod_name, count(*) AS n FROM alert WHERE severity > 3 GROUP BY 1) s USING (pod_name)', false],
  ['SELECT t.pod_name, t.pid, p.team FROM (SELECT pod_name, pid FROM logs ORDER BY pid DESC NULLS LAST, "timestamp" LIMIT 5) t LEFT JOIN pods p USING (pod_name)', false],
  ['SELECT count(*) AS n FROM logs l SEMI JOIN (SELECT pod_name FROM alert GROUP BY 1 HAVING count(*) > 3) a USING (pod_name)', false],
  ['SELECT count(*) AS n, count(DISTINCT l.pid) AS pids FROM logs l JOIN (SELECT DISTINCT pod_name FROM alert WHERE severity >= 7) a ON a.pod_name = l.pod_name', false],
  ['WITH c(pod, n) AS (SELECT pod_name, count(*) FROM alert GROUP BY 1) SELECT l.pod_name, c.n, count(*) AS logs_n FROM logs l, c WHERE l.pod_name = c.pod AND l.pid > 20000 GROUP BY ALL', false]
]

const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

describe('every SELECT over the network', { timeout: 900_000 }, () => {
  let net: NetworkFixture

  before(async () => {
    net = await startNetworkFixture(17)
    cleanups.push(async () => { await net.close() })
    await net.addTable('pods', [PODS, [], []])
  })

  /** Every query's network answer against the reference; failures listed with the query. */
  const compareAll = async (queries: readonly { sql: string, ordered: boolean }[]): Promise<string[]> => {
    const failures: string[] = []
    for (const [index, q] of queries.entries()) {
      let want: QueryAnswer
      try {
        want = await net.reference(q.sql)
      } catch (err) {
        failures.push(`#${index} reference failed: ${(err as Error).message}\n  ${q.sql}`)
        continue
      }
      const got = await net.ask(q.sql)
      if (got.status !== 200 || got.answer === undefined) { failures.push(`#${index} status ${got.status}: ${got.text.slice(0, 400)}\n  ${q.sql}`); continue }
      const diff = got.answer.rows.length === 0 && want.rows.length === 0 ? undefined : differences(got.answer, want, q.ordered)
      if (diff !== undefined) failures.push(`#${index} ${diff}\n  ${q.sql}`)
    }
    return failures
  }

  it(`${HAND_WRITTEN.length} hand-written queries answer as one DuckDB over the union`, async () => {
    const failures = await compareAll(HAND_WRITTEN.map(([sql, ordered]) => ({ sql, ordered })))
    assert.deepEqual(failures, [], failures.slice(0, 10).join('\n'))
  })

  it(`${COUNT} generated queries (seed ${SEED}) answer as one DuckDB over the union`, async () => {
    const failures = await compareAll(generateCoverageQueries(SEED, COUNT))
    assert.deepEqual(failures, [], `replay with FEDLAKE_COVERAGE_SEED=${SEED}:\n${failures.slice(0, 10).join('\n')}`)
  })

  it('query explain names the relational pull and what each operator runs', async () => {
    const sql = 'select p.team, count(*) from logs l join pods p on l.pod_name = p.pod_name where l.pid > 100 and p.tier = 2 group by 1'
    const explain = await restCommand(net.url, `query explain sql kubearmor "${sql}"`)
    assert.equal(explain.status, 200, explain.text)
    assert.match(explain.text, /strategy: relational pull \(JOIN/)
    assert.match(explain.text, /operators \(__p0\): logs AS l, columns pod_name, pid, rows where l\.pid > 100/)
    assert.match(explain.text, /operators \(__p1\): pods AS p, columns pod_name, team, tier, rows where p\.tier = 2/)
    assert.match(explain.text, /targets for kubearmor\.pods: op-1\b/)
  })

  it('query explain shows a subquery in FROM answered on its own, and the query ships its keys to the other side', async () => {
    const sql = 'select l.operation, count(*) as n from logs l join (select pod_name from logs group by pod_name order by count(*) desc, pod_name limit 3) t using (pod_name) group by l.operation'
    const explain = await restCommand(net.url, `query explain sql kubearmor "${sql}"`)
    assert.equal(explain.status, 200, explain.text)
    assert.match(explain.text, /subquery t \(__sq0\): a network query of its own, split aggregation/)
    assert.match(explain.text, /subquery t \(__sq0\), split aggregation, runs first:\s+operators run \(__p0\): SELECT pod_name AS __k0, count_star\(\) AS __a0_count FROM logs GROUP BY 1/)
    assert.match(explain.text, /operators \(__p0\): logs AS l, columns pod_name, operation, all rows/)
    assert.match(explain.text, /the query node merges: SELECT .* FROM __p0 AS l INNER JOIN __sq0 AS t USING \(pod_name\)/)
    const got = await net.ask(sql)
    assert.equal(got.status, 200, got.text)
    assert.equal(differences(got.answer as QueryAnswer, await net.reference(sql), false), undefined)
    const log = await restCommand(net.url, 'query explain')
    assert.match(log.text, /key shipping: keys of t\.pod_name \(__sq0\) to logs\.pod_name \(__p0\): 3 keys shipped/, log.text)
    assert.match(log.text, /operators run \(__p0\): SELECT pod_name, operation FROM logs AS l WHERE \(?pod_name IN \('pod-[^']*', 'pod-[^']*', 'pod-[^']*'\)\)?$/m, 'only the 3 pods\' rows travel')
  })

  describe('key shipping', () => {
    /** The query with sql options, its answer against the reference, and what the query log says it did. */
    const shipped = async (sql: string, options = ''): Promise<string> => {
      const reply = await restCommand(net.url, `sql kubearmor ${options}format = json:list and stat = false "${sql}"`, { headers: { destination: 'network' } })
      assert.equal(reply.status, 200, reply.text)
      const rows = reply.json() as Record<string, unknown>[]
      const got = normalized({ columns: rows[0] === undefined ? [] : Object.keys(rows[0]), types: [], rows: rows.map(r => Object.values(r)) })
      const want = await net.reference(sql)
      assert.ok(want.rows.length > 0, `the reference has rows for ${sql}`)
      assert.equal(differences(got, want, false), undefined, sql)
      const explain = await restCommand(net.url, 'query explain')
      assert.equal(explain.status, 200, explain.text)
      return explain.text
    }
    const keys = async (sql: string): Promise<number> => Number((await net.reference(sql)).rows[0]?.[0])
    const tier1 = 'SELECT count(DISTINCT pod_name) FROM pods WHERE tier = 1'

    it('ships the lookup table\'s keys to logs for a join (USING) with a filter on the lookup table', async () => {
      const explain = await shipped('SELECT p.team AS team, count(*) AS n FROM logs l JOIN pods p USING (pod_name) WHERE p.tier = 1 GROUP BY p.team')
      const match = /key shipping: keys of pods\.pod_name \(__p1\) to logs\.pod_name \(__p0\): (\d+) keys shipped/.exec(explain)
      assert.ok(match !== null, explain)
      assert.equal(Number(match[1]), await keys(tier1))
      assert.match(explain, /operators run \(__p0\): SELECT .* FROM logs AS l WHERE \(?pod_name IN \('pod-/, 'the logs fragment carries the keys')
    })

    it('ships the keys of an IN (subquery) and of the filtered side of an inner join', async () => {
      const inList = await shipped('SELECT count(*) AS n FROM logs WHERE pod_name IN (SELECT pod_name FROM pods WHERE tier = 1)')
      assert.match(inList, new RegExp(`keys of pods\\.pod_name \\(__p1\\) to logs\\.pod_name \\(__p0\\): ${await keys(tier1)} keys shipped`), inList)
      const join = await shipped('SELECT a.pod_name AS pod, count(*) AS n, max(l.pid) AS pid FROM alert a JOIN logs l ON l.pod_name = a.pod_name AND a.severity > 8 GROUP BY 1')
      const alerted = await keys('SELECT count(DISTINCT pod_name) FROM alert WHERE severity > 8 AND pod_name IS NOT NULL')
      assert.match(join, new RegExp(`keys of alert\\.pod_name \\(__p0\\) to logs\\.pod_name \\(__p1\\): ${alerted} keys shipped`), join)
      assert.doesNotMatch(join, /key shipping: keys of logs/, 'the small side is not cut by the big one')
    })

    it('pulls the side whole over the key cap, or when asked not to ship keys, with the same answer', async () => {
      const sql = 'SELECT p.team AS team, count(*) AS n FROM logs l JOIN pods p USING (pod_name) WHERE p.tier = 1 GROUP BY p.team'
      const capped = await shipped(sql, 'max_shipped_keys = 1 and ')
      assert.match(capped, /key shipping skipped: keys of pods\.pod_name \(__p1\) to logs\.pod_name \(__p0\): more than 1 keys/, capped)
      assert.doesNotMatch(capped, /FROM logs AS l WHERE/, capped)
      const off = await shipped(sql, 'key_shipping = false and ')
      assert.doesNotMatch(off, /key probe|key shipping:|key shipping skipped/, off)
    })
  })

  it('fails a merge over its cap with NETWORK_MERGE_TOO_LARGE naming the cap, and goes on serving', async () => {
    const join = 'select count(*) as n from logs l join alert a on l.pod_name = a.pod_name'
    const ask = async (options: string): Promise<{ status: number, text: string }> =>
      await restCommand(net.url, `sql kubearmor ${options} and format = json:list and stat = false "${join}"`, { headers: { destination: 'network' } })
    const rows = await ask('max_merge_rows = 50')
    assert.equal(rows.status, 422, rows.text)
    assert.match(rows.text, /NETWORK_MERGE_TOO_LARGE|more than the 50 rows/)
    assert.match(rows.text, /max_merge_rows/, 'names the option that set the cap')
    assert.match(rows.text, /limits\.maxMergeRows/, 'says how to raise it')
    const bytes = await ask('max_merge_bytes = 4096')
    assert.equal(bytes.status, 422, bytes.text)
    assert.match(bytes.text, /4096 bytes/)
    const overNode = await ask('max_merge_rows = 99999999999')
    assert.equal(overNode.status, 400, overNode.text)
    assert.match(overNode.text, /limits\.maxMergeRows/)
    // a subquery answered on its own counts its operators' rows against the same cap
    const top = 'select count(*) as n from (select pod_name, pid from logs order by pid limit 200) t join pods using (pod_name)'
    const derived = await restCommand(net.url, `sql kubearmor max_merge_rows = 50 and format = json:list and stat = false "${top}"`, { headers: { destination: 'network' } })
    assert.equal(derived.status, 422, derived.text)
    assert.match(derived.text, /more than the 50 rows/)
    const fine = await ask('max_merge_rows = 100000')
    assert.equal(fine.status, 200, fine.text)
    assert.equal(differences((await net.ask(join)).answer as QueryAnswer, await net.reference(join), false), undefined)
  })
})
