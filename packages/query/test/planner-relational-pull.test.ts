/**
 * The relational pull's pushdown rules, without a network: which conditions reach which fragment, which columns
 * each fragment selects, and the merge statement. Wrong pushdown would change answers (a WHERE on the
 * null-supplying side of an outer join, a condition moved into an aggregated subquery), so each rule is checked on
 * the printed fragments; test/network-sql-coverage.test.ts checks the answers themselves.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createSqlParser } from '@fedlake/duckdb'
import { planNetworkQuery, resolveDateExpressions } from '../src/index.js'
import type { NetworkPlan, PlanCatalog } from '../src/index.js'
import { DBMS, kubeArmorSchemas } from '../../../test/helpers/kubearmor-data.js'

const schemas = kubeArmorSchemas()
const pods = { dbms: DBMS, table: 'pods', columns: [{ name: 'pod_name', type: 'VARCHAR' as const }, { name: 'team', type: 'VARCHAR' as const }, { name: 'tier', type: 'BIGINT' as const }] }
const catalog: PlanCatalog = { dbms: DBMS, tables: new Map([['logs', schemas.logs], ['alert', schemas.alert], ['pods', pods]]) }
const parser = createSqlParser()

/** Each fragment as `<table>: <printed SQL>`, and the printed merge. */
async function pull (sql: string, timeZone = 'UTC'): Promise<{ fragments: string[], merge: string, explain: readonly string[], cuts: string[], derived: string[] }> {
  const parsed = await parser.parse(resolveDateExpressions(sql, { timeZone }))
  assert.equal(parsed.error, false, sql)
  const plan = planNetworkQuery((parsed as { statements: readonly unknown[] }).statements[0], catalog, ['c0'], { timeZone }) as NetworkPlan
  assert.match(plan.explain[0] ?? '', /^strategy: relational pull/, sql)
  const fragments = await Promise.all(plan.fragments.map(async f => `${f.name}: ${await parser.print(f.statement)}`))
  const merge = plan.merge.kind === 'sql' ? await parser.print(plan.merge.statement) : ''
  const cuts = (plan.keyShipping ?? []).map(k => `${k.target}.${k.column} < ${k.source}.${k.sourceColumn}`)
  const derived = await Promise.all((plan.derived ?? []).map(async d =>
    `${d.name} ${d.label} (${d.columns.join(', ')}), ${d.strategy}: ${(await Promise.all(d.plan.fragments.map(async f => await parser.print(f.statement)))).join(' | ')}`))
  return { fragments, merge, explain: plan.explain, cuts, derived }
}

describe('relational pull', () => {
  before(async () => { await parser.start() })
  after(async () => { await parser.stop() })

  it('pushes WHERE and inner ON conjuncts that read one table, with the columns the statement reads', async () => {
    const { fragments, merge } = await pull("select l.pod_name, p.team from logs l join pods p on l.pod_name = p.pod_name and p.tier > 1 where l.pid > 5 and l.operation = 'File' and l.uid = p.tier")
    assert.deepEqual(fragments, [
      "__p0: SELECT pod_name, pid, uid, operation FROM logs AS l WHERE ((l.pid > 5) AND (l.operation = 'File'))",
      '__p1: SELECT pod_name, team, tier FROM pods AS p WHERE (p.tier > 1)'
    ])
    assert.match(merge, /FROM __p0 AS l INNER JOIN __p1 AS p ON/)
    assert.match(merge, /\(l\.uid = p\.tier\)/, 'a condition over both tables stays on the query node')
  })

  it('never pushes a WHERE onto the null-supplying side of an outer join, but pushes its ON conditions there', async () => {
    const left = await pull("select count(*) from logs l left join alert a on l.pod_name = a.pod_name and a.severity > 3 where a.action = 'Block' and l.pid > 1")
    assert.deepEqual(left.fragments.map(f => f.replace(/SELECT .* FROM/, 'FROM')), ['__p0: FROM logs AS l WHERE (l.pid > 1)', '__p1: FROM alert AS a WHERE (a.severity > 3)'])
    const right = await pull('select count(*) from logs l right join pods p on l.pod_name = p.pod_name and l.pid > 1 where p.tier = 2 and l.uid = 0')
    assert.deepEqual(right.fragments.map(f => f.replace(/SELECT .* FROM/, 'FROM')), ['__p0: FROM logs AS l WHERE (l.pid > 1)', '__p1: FROM pods AS p WHERE (p.tier = 2)'])
    const full = await pull('select count(*) from logs l full join pods p on l.pod_name = p.pod_name and p.tier = 2 where l.pid > 1')
    assert.ok(full.fragments.every(f => !f.includes('WHERE')), full.fragments.join('\n'))
  })

  it('keeps conditions out of subqueries in FROM, HAVING, QUALIFY, and conditions with subqueries, windows or volatile functions', async () => {
    const nested = await pull('select * from (select pod_name, row_number() over () as n from logs where uid = 0) s where s.n > 3 and s.pod_name is not null')
    assert.deepEqual(nested.fragments, ['__p0: SELECT pod_name, uid FROM logs WHERE (uid = 0)'])
    const having = await pull('select pod_name, median(pid) from logs group by 1 having count(*) > 2 qualify row_number() over (order by pod_name) < 3')
    assert.deepEqual(having.fragments, ['__p0: SELECT pod_name, pid FROM logs'])
    const odd = await pull('select pid from logs where pid > (select avg(pid) from alert) and random() < 2 and pid in (select pid from alert where severity > 2)')
    // columns are the names the whole statement mentions: severity, read in one scope, travels in the other too
    assert.deepEqual(odd.fragments, ['__p0: SELECT pid FROM logs', '__p1: SELECT pid, severity FROM alert', '__p2: SELECT pid, severity FROM alert WHERE (severity > 2)'])
  })

  it('an unqualified name another table of the FROM also has, or a CTE of that FROM could have, is not pushed', async () => {
    const shared = await pull('select count(*) from logs l join alert a on l.pid = a.pid where severity > 3 and uid = 0')
    assert.match(shared.fragments[1] ?? '', /WHERE \(severity > 3\)/, 'severity is alert\'s only')
    assert.ok(!shared.fragments.some(f => f.includes('uid = 0')), 'uid is a column of both: not pushed')
    const cte = await pull('with x as (select 1 as k) select count(*) from logs, x where pid > 3')
    assert.ok(!(cte.fragments[0] ?? '').includes('WHERE'), cte.fragments[0])
  })

  it('correlated subqueries push only their own conditions; the outer reference stays in the merge', async () => {
    const { fragments, merge } = await pull('select count(*) from logs l where exists (select 1 from alert a where a.pod_name = l.pod_name and a.severity > 5)')
    assert.deepEqual(fragments, ['__p0: SELECT pod_name FROM logs AS l', '__p1: SELECT pod_name, severity FROM alert AS a WHERE (a.severity > 5)'])
    assert.match(merge, /EXISTS\(SELECT 1 FROM __p1 AS a WHERE/)
  })

  it('reads every column where a star, a whole-row reference or renamed columns could, and shares equal fragments', async () => {
    const all = schemas.logs.columns.length
    const columnsOf = (f: string): number => (/SELECT (.*) FROM/.exec(f)?.[1] ?? '').split(', ').length
    assert.equal(columnsOf((await pull('select * from logs l join pods p using (pod_name)')).fragments[0] ?? ''), all)
    assert.equal(columnsOf((await pull('select to_json(l) from logs l join pods p using (pod_name)')).fragments[0] ?? ''), all)
    assert.equal(columnsOf((await pull('select count(*) from logs t(a, b) join pods p on t.a = p.pod_name')).fragments[0] ?? ''), all)
    assert.equal(columnsOf((await pull('select p.* from logs l join pods p using (pod_name)')).fragments[1] ?? ''), 3)
    const self = await pull('select count(*) from logs a join logs b on a.pid = b.ppid')
    assert.equal(self.fragments.length, 2, 'different aliases, different fragments')
    const same = await pull('select count(*) from logs where pid in (select pid from logs) union all select count(*) from logs')
    assert.equal(same.fragments.length, 1, 'the same fragment thrice is sent once')
  })

  it('a CTE named like a table hides it; date strings compared with timestamps follow the time zone in every scope', async () => {
    const shadow = await pull('with alert as (select * from pods) select count(*) from alert join logs using (pod_name)')
    assert.deepEqual(shadow.fragments.map(f => f.split(' FROM ')[1]), ['pods', 'logs'])
    const zoned = await pull("select count(*) from logs l where exists (select 1 from alert a where a.\"timestamp\" > '2026-03-10 10:00:00' and a.pod_name = l.pod_name)", 'Europe/Paris')
    assert.match(zoned.fragments[1] ?? '', /a\."timestamp" > CAST\('2026-03-10 09:00:00' AS TIMESTAMP\)/)
  })

  describe('subqueries answered on their own', () => {
    it('a top-N aggregation in FROM is its own split aggregation; the other reference is cut by its keys', async () => {
      const { fragments, merge, explain, cuts, derived } = await pull('select l.operation, count(*) as n from logs l join (select pod_name from logs group by pod_name order by count(*) desc, pod_name limit 3) t using (pod_name) group by l.operation')
      assert.deepEqual(fragments, ['__p0: SELECT pod_name, operation FROM logs AS l'], 'only the outer logs is pulled')
      assert.deepEqual(derived, ['__sq0 t (pod_name), split aggregation: SELECT pod_name AS __k0, count_star() AS __a0_count FROM logs GROUP BY 1'])
      assert.match(merge, /FROM __p0 AS l INNER JOIN __sq0 AS t USING \(pod_name\)/)
      assert.deepEqual(cuts, ['__p0.pod_name < __sq0.pod_name'])
      assert.ok(explain.includes('subquery t (__sq0): a network query of its own, split aggregation; its answer is table __sq0 of the merge'), explain.join('\n'))
      assert.ok(explain.includes('key shipping possible: keys of t.pod_name (__sq0) to logs.pod_name (__p0)'), explain.join('\n'))
    })

    it('a CTE is answered once for all its references (and a repeated subquery once), renamed columns and holistic aggregates included', async () => {
      const twice = await pull('with top(p, m) as (select pod_name, median(pid) from logs group by 1) select * from top a join top b on a.p = b.p join alert x on x.pod_name = a.p')
      assert.deepEqual(twice.derived.map(d => d.split(':')[0]), ['__sq0 top (p, m), split aggregation with per-group values (holistic)'])
      assert.match(twice.merge, /^WITH top AS \(SELECT \* FROM __sq0\) ?SELECT \* FROM __sq0 AS a INNER JOIN __sq0 AS b ON .* INNER JOIN __p0 AS x/)
      assert.deepEqual(twice.cuts, ['__p0.pod_name < __sq0.p'])
      const same = await pull('select * from (select pod_name, count(*) as n from logs group by 1) a join (select pod_name, count(*) as n from logs group by 1) b using (pod_name)')
      assert.equal(same.derived.length, 1, 'the same subquery twice is answered once')
      assert.match(same.merge, /FROM __sq0 AS a INNER JOIN __sq0 AS b/)
    })

    it('a subquery inside a subquery, with a WHERE, and one joined to another table', async () => {
      const nested = await pull("select max(n) as m from (select pod_name, sum(c) as n from (select pod_name, count(*) as c from logs where uid = 0 group by 1) x group by 1 qualify row_number() over () < 9) y")
      assert.deepEqual(nested.derived, ['__sq0 x (pod_name, c), split aggregation: SELECT pod_name AS __k0, count_star() AS __a0_count FROM logs WHERE (uid = 0) GROUP BY 1'])
      assert.deepEqual(nested.fragments, [])
      const other = await pull('select p.team, s.n from pods p left join (select pod_name, count(*) as n from alert where severity > 3 group by 1) s using (pod_name)')
      assert.deepEqual(other.fragments, ['__p0: SELECT pod_name, team FROM pods AS p'])
      assert.equal(other.derived.length, 1)
      assert.deepEqual(other.cuts, [], 'the preserved side of a LEFT join is not cut')
    })

    it('keeps correlated subqueries, plain selects without LIMIT and unnamed expressions in the pull', async () => {
      for (const sql of [
        'select p.pod_name, t.last_pid from pods p, lateral (select pid as last_pid from logs l where l.pod_name = p.pod_name order by pid limit 1) t',
        'select p.pod_name, t.n from pods p, (select count(*) as n from logs where pod_name = p.pod_name) t',
        'select * from (select pod_name from logs where uid = 0) s join pods using (pod_name)',
        'select * from (select pod_name, count(*) from logs group by 1) s join pods using (pod_name)',
        'select * from (select pod_name, pid from logs where pid in (select pid from alert) limit 3) s'
      ]) assert.deepEqual((await pull(sql)).derived, [], sql)
      const limited = await pull('select * from (select * from logs order by pid desc limit 5) s join pods using (pod_name)')
      assert.equal(limited.derived.length, 1)
      assert.match(limited.derived[0] ?? '', /plain select \(top-N\)/)
    })

    it('a SEMI join cuts its left side by the right side\'s keys and pushes ON conditions of the left', async () => {
      const semi = await pull('select count(*) from logs l semi join pods p on l.pod_name = p.pod_name and p.tier = 1 and l.uid = 0')
      assert.deepEqual(semi.cuts.sort(), ['__p0.pod_name < __p1.pod_name', '__p1.pod_name < __p0.pod_name'])
      assert.match(semi.fragments[0] ?? '', /WHERE \(l\.uid = 0\)/)
    })
  })

  describe('key shipping marks', () => {
    it('an inner equality of two plain columns cuts both ways; USING too', async () => {
      const on = await pull('select count(*) from alert a join logs l on l.pod_name = a.pod_name and a.severity > 8')
      assert.deepEqual(on.cuts.sort(), ['__p0.pod_name < __p1.pod_name', '__p1.pod_name < __p0.pod_name'])
      const using = await pull('select p.team, count(*) from logs l join pods p using (pod_name) where p.tier = 1 group by 1')
      assert.deepEqual(using.cuts.sort(), ['__p0.pod_name < __p1.pod_name', '__p1.pod_name < __p0.pod_name'])
      assert.ok(using.explain.includes('key shipping possible: keys of pods.pod_name (__p1) to logs.pod_name (__p0)'), using.explain.join('\n'))
      const where = await pull('select count(*) from logs l, pods p where l.pod_name = p.pod_name')
      assert.equal(where.cuts.length, 2)
    })

    it('an outer or anti join cuts only the side that needs a match, a SEMI join both; a FULL join, none', async () => {
      assert.deepEqual((await pull('select count(*) from logs l left join pods p on l.pod_name = p.pod_name')).cuts, ['__p1.pod_name < __p0.pod_name'])
      assert.deepEqual((await pull('select count(*) from logs l right join pods p on l.pod_name = p.pod_name')).cuts, ['__p0.pod_name < __p1.pod_name'])
      assert.deepEqual((await pull('select count(*) from logs l anti join alert a on l.pod_name = a.pod_name')).cuts, ['__p1.pod_name < __p0.pod_name'])
      assert.deepEqual((await pull('select count(*) from logs l semi join alert a on l.pod_name = a.pod_name')).cuts.sort(), ['__p0.pod_name < __p1.pod_name', '__p1.pod_name < __p0.pod_name'])
      assert.deepEqual((await pull('select count(*) from logs l full join pods p on l.pod_name = p.pod_name')).cuts, [])
      const nullSupplying = await pull('select count(*) from pods p left join logs l on l.pod_name = p.pod_name join alert a on a.pod_name = l.pod_name')
      assert.deepEqual(nullSupplying.cuts.sort(), ['__p1.pod_name < __p0.pod_name', '__p2.pod_name < __p1.pod_name'], 'logs, on the null-supplying side, is cut by its ON only, not by alert')
    })

    it('needs plain columns of the same type, of two tables', async () => {
      assert.deepEqual((await pull('select count(*) from logs l join pods p on lower(l.pod_name) = p.pod_name')).cuts, [])
      assert.deepEqual((await pull('select count(*) from logs l join alert a on l.pid = a.pod_name')).cuts, [])
      assert.deepEqual((await pull('select count(*) from logs l join alert a on l.pod_name = a.pod_name or l.pid = a.pid')).cuts, [])
      assert.deepEqual((await pull('select count(*) from logs l join (select pod_name from pods) p on l.pod_name = p.pod_name')).cuts, [])
    })

    it('IN (subquery) and EXISTS correlated by an equality cut the outer table; NOT, grouping or LIMIT do not', async () => {
      assert.deepEqual((await pull('select count(*) from logs where pod_name in (select pod_name from pods where tier = 1)')).cuts, ['__p0.pod_name < __p1.pod_name'])
      assert.deepEqual((await pull('select count(*) from logs l where exists (select 1 from alert a where a.pid = l.pid and a.severity > 3)')).cuts, ['__p0.pid < __p1.pid'])
      for (const sql of [
        'select count(*) from logs where pod_name not in (select pod_name from pods)',
        'select count(*) from logs l where not exists (select 1 from alert a where a.pid = l.pid)',
        'select count(*) from logs where pod_name in (select pod_name from pods limit 2)',
        'select count(*) from logs where pod_name in (select pod_name from pods group by 1 having count(*) > 1)',
        'select count(*) from logs where pod_name in (select pod_name from pods) or pid > 3',
        'select count(*) from logs where pid in (select tier from pods)'
      ]) assert.deepEqual((await pull(sql)).cuts, [], sql)
    })

    it('a fragment shared by several references is cut only by what cuts them all', async () => {
      const shared = await pull('select count(*) from logs where pid in (select pid from alert) union all select count(*) from logs')
      assert.equal(shared.fragments.length, 2)
      assert.deepEqual(shared.cuts, [])
      const both = await pull('select count(*) from logs where pid in (select pid from alert) union all select count(*) from logs where pid in (select pid from alert)')
      assert.deepEqual(both.cuts, ['__p0.pid < __p1.pid'])
    })
  })
})
