import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isFedlakeError } from '@fedlake/core'
import { createDuckDbStorage } from '../src/storage/index.js'
import type { OperatorStorage } from '../src/storage/index.js'
import { isForbiddenFunction, validateSelect } from '@fedlake/sql'

const ctx = { dbms: 'kubearmor', tables: new Set(['logs', 'alert']) }

const GOOD: [string, string[]][] = [
  ['SELECT * FROM logs', ['logs']],
  ['select count(*), min(pid), max(pid), avg(uid), sum(pid) from logs', ['logs']],
  ['SELECT hostname, count(*) AS n FROM logs WHERE type = \'ContainerLog\' GROUP BY hostname HAVING count(*) > 1 ORDER BY n DESC LIMIT 10', ['logs']],
  ['WITH recent AS (SELECT * FROM logs WHERE timestamp > now() - INTERVAL 3 DAY) SELECT count(*) FROM recent', ['logs']],
  ['SELECT * FROM (SELECT pod_name, count(*) c FROM alert GROUP BY pod_name) t WHERE c > 2', ['alert']],
  ['SELECT pid FROM logs WHERE pid IN (SELECT pid FROM alert)', ['alert', 'logs']],
  ['SELECT pid, row_number() OVER (PARTITION BY hostname ORDER BY timestamp) FROM logs QUALIFY row_number() OVER () < 5', ['logs']],
  ["SELECT time_bucket(INTERVAL '1 hour', timestamp) AS hour, count(*) FROM logs GROUP BY ALL ORDER BY 1", ['logs']],
  ["SELECT date_trunc('minute', timestamp), count(DISTINCT pod_name) FILTER (WHERE pid > 0) FROM logs GROUP BY 1", ['logs']],
  ['SELECT hostname FROM logs UNION ALL SELECT hostname FROM alert', ['alert', 'logs']],
  ['SELECT a.pid FROM logs a JOIN alert b ON a.pid = b.pid', ['alert', 'logs']],
  ['SELECT quantile_cont(pid, 0.9), percentile_cont(0.5) WITHIN GROUP (ORDER BY pid), approx_count_distinct(pid) FROM logs', ['logs']],
  ['SELECT * FROM kubearmor.logs', ['logs']],
  ['SELECT * FROM main.logs', ['logs']],
  ['SELECT * FROM kubearmor.main.logs', ['logs']],
  ['FROM logs SELECT pid', ['logs']],
  ['SELECT 1 + 1', []],
  ['WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r', []],
  ['SELECT list_transform([1, 2], x -> x + 1), strftime(now(), \'%Y\'), regexp_matches(hostname, \'^n\') FROM logs', ['logs']],
  ['SELECT * FROM logs WHERE hostname LIKE \'node%\' AND hostname GLOB \'node*\'', ['logs']],
  ['SELECT CAST(pid AS VARCHAR), pid::DOUBLE, try_cast(hostname AS INTEGER), CASE WHEN pid > 1 THEN 1 ELSE 0 END FROM logs', ['logs']],
  // table functions that make rows from their arguments: numbers, time buckets (gap filling), a list's elements
  ['SELECT * FROM range(10)', []],
  ['SELECT * FROM range(0, 100000, 1) r(n) JOIN logs ON logs.pid = r.n', ['logs']],
  ["SELECT g.t, count(l.pid) FROM generate_series(TIMESTAMP '2026-03-01', TIMESTAMP '2026-03-02', INTERVAL 1 HOUR) g(t) LEFT JOIN logs l ON date_trunc('hour', l.timestamp) = g.t GROUP BY 1", ['logs']],
  ["SELECT * FROM generate_series('2026-03-01 00:00:00+02'::timestamptz, DATE '2026-03-31', INTERVAL '15 minutes')", []],
  ["SELECT * FROM generate_series(TIMESTAMP '2016-01-01', TIMESTAMP '2026-01-01', INTERVAL '1 month')", []],
  ["SELECT * FROM range(TIMESTAMP '2026-03-01', TIMESTAMP '2026-03-02', INTERVAL 1 MINUTE + INTERVAL 30 SECOND)", []],
  ["SELECT * FROM generate_series(TIMESTAMP '2026-03-01', TIMESTAMP '2026-03-02', INTERVAL '00:05:00')", []],
  ['SELECT x, count(*) FROM unnest([1, 2, 3]) u(x) JOIN logs ON logs.uid = u.x GROUP BY x', ['logs']],
  ["SELECT repeat('abc', 30000), printf('%5d', 1), lpad('x', 10, ' ')", []]
]

const BAD: [string, string][] = [
  ['SELECT 1; SELECT 2', 'SQL_NOT_READ_ONLY'],
  ['SELECT * FROM logs; DROP TABLE logs', 'SQL_NOT_READ_ONLY'],
  ['INSERT INTO logs VALUES (1)', 'SQL_NOT_READ_ONLY'],
  ['UPDATE logs SET pid = 1', 'SQL_NOT_READ_ONLY'],
  ['DELETE FROM logs', 'SQL_NOT_READ_ONLY'],
  ['CREATE TABLE x AS SELECT 1', 'SQL_NOT_READ_ONLY'],
  ['DROP TABLE logs', 'SQL_NOT_READ_ONLY'],
  ["COPY logs TO '/tmp/x.csv'", 'SQL_NOT_READ_ONLY'],
  ["COPY (SELECT * FROM logs) TO '/tmp/x.csv'", 'SQL_NOT_READ_ONLY'],
  ["ATTACH '/tmp/x.duckdb' AS x", 'SQL_NOT_READ_ONLY'],
  ['DETACH kubearmor', 'SQL_NOT_READ_ONLY'],
  ['PRAGMA table_info(logs)', 'SQL_NOT_READ_ONLY'],
  ['SET threads = 1', 'SQL_NOT_READ_ONLY'],
  ['INSTALL httpfs', 'SQL_NOT_READ_ONLY'],
  ['LOAD httpfs', 'SQL_NOT_READ_ONLY'],
  ['CALL pragma_version()', 'SQL_NOT_READ_ONLY'],
  ['EXPLAIN SELECT * FROM logs', 'SQL_NOT_READ_ONLY'],
  ['DESCRIBE logs', 'SQL_NOT_READ_ONLY'],
  ['SHOW TABLES', 'SQL_NOT_READ_ONLY'],
  ['SUMMARIZE logs', 'SQL_NOT_READ_ONLY'],
  ['BEGIN TRANSACTION', 'SQL_NOT_READ_ONLY'],
  ["SELECT * FROM read_csv('/etc/passwd')", 'SQL_FORBIDDEN_FUNCTION'],
  ["SELECT * FROM read_parquet('x.parquet')", 'SQL_FORBIDDEN_FUNCTION'],
  ["SELECT * FROM glob('/etc/*')", 'SQL_FORBIDDEN_FUNCTION'],
  ['SELECT * FROM test_all_types()', 'SQL_FORBIDDEN_FUNCTION'],
  ['SELECT * FROM system.main.range(10)', 'SQL_FORBIDDEN_FUNCTION'],
  ['SELECT * FROM range(1000000)', 'SQL_RESOURCE_LIMIT'],
  ['SELECT * FROM range((SELECT max(pid) FROM logs))', 'SQL_RESOURCE_LIMIT'],
  ["SELECT * FROM generate_series(TIMESTAMP '2020-01-01', TIMESTAMP '2026-01-01', INTERVAL 1 MINUTE)", 'SQL_RESOURCE_LIMIT'],
  ["SELECT * FROM generate_series(TIMESTAMP '2026-01-01', TIMESTAMP '2026-03-01', INTERVAL '1 second')", 'SQL_RESOURCE_LIMIT'],
  ["SELECT * FROM generate_series(now() - INTERVAL 1 DAY, now(), INTERVAL 1 HOUR)", 'SQL_RESOURCE_LIMIT'],
  ["SELECT * FROM generate_series(TIMESTAMP '2026-01-01', TIMESTAMP '2026-03-01', INTERVAL '1 fortnight')", 'SQL_RESOURCE_LIMIT'],
  ['SELECT * FROM unnest(range(50000000))', 'SQL_RESOURCE_LIMIT'],
  ["SELECT repeat('abcd', 30000)", 'SQL_RESOURCE_LIMIT'],
  ["SELECT printf('%500000d', 1)", 'SQL_RESOURCE_LIMIT'],
  ["SELECT * FROM logs, (SELECT * FROM read_text('/etc/passwd'))", 'SQL_FORBIDDEN_FUNCTION'],
  ['SELECT * FROM logs, duckdb_tables()', 'SQL_FORBIDDEN_FUNCTION'],
  ["SELECT * FROM logs WHERE pid IN (SELECT * FROM read_csv('x'))", 'SQL_FORBIDDEN_FUNCTION'],
  ["SELECT current_setting('threads')", 'SQL_FORBIDDEN_FUNCTION'],
  ["SELECT getvariable('x')", 'SQL_FORBIDDEN_FUNCTION'],
  ["SELECT json_serialize_sql('select 1')", 'SQL_FORBIDDEN_FUNCTION'],
  ['SELECT version()', 'SQL_FORBIDDEN_FUNCTION'],
  ['SELECT pg_sleep(100)', 'SQL_FORBIDDEN_FUNCTION'],
  ['SELECT pg_catalog.sum(pid) FROM logs', 'SQL_FORBIDDEN_FUNCTION'],
  ['SELECT system.main.sum(pid) FROM logs', 'SQL_FORBIDDEN_FUNCTION'],
  ["SELECT nextval('s')", 'SQL_FORBIDDEN_FUNCTION'],
  ['WITH x AS (SELECT current_setting(\'threads\')) SELECT * FROM x', 'SQL_FORBIDDEN_FUNCTION'],
  ['SELECT * FROM information_schema.tables', 'SQL_FORBIDDEN_REFERENCE'],
  ['SELECT * FROM system.main.duckdb_tables', 'SQL_FORBIDDEN_REFERENCE'],
  ['SELECT * FROM other.logs', 'SQL_FORBIDDEN_REFERENCE'],
  ['SELECT * FROM other.main.logs', 'SQL_FORBIDDEN_REFERENCE'],
  ['SELECT * FROM temp.main.t', 'SQL_FORBIDDEN_REFERENCE'],
  ['SELECT * FROM pg_catalog.pg_class', 'SQL_FORBIDDEN_REFERENCE'],
  ['SELECT * FROM duckdb_tables', 'SQL_UNKNOWN_TABLE'],
  ['SELECT * FROM sqlite_master', 'SQL_UNKNOWN_TABLE'],
  ["SELECT * FROM '/etc/passwd'", 'SQL_UNKNOWN_TABLE'],
  ['SELECT * FROM nosuch', 'SQL_UNKNOWN_TABLE'],
  ['SELECT * FROM', 'SQL_SYNTAX'],
  ['SELEC 1', 'SQL_SYNTAX'],
  ['', 'SQL_SYNTAX']
]

describe('SELECT validation on DuckDB\'s AST', () => {
  let dir: string
  let storage: OperatorStorage

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fedlake-sqlv-'))
    storage = createDuckDbStorage({ dataDir: dir })
    await storage.start()
  })
  after(async () => {
    await storage.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  for (const [sql, tables] of GOOD) {
    it(`accepts: ${sql}`, async () => {
      const parsed = await storage.parseSql(sql)
      assert.deepEqual(validateSelect(parsed, ctx, sql).tables, tables)
    })
  }

  for (const [sql, code] of BAD) {
    it(`refuses with ${code}: ${sql === '' ? '(empty)' : sql}`, async () => {
      const parsed = await storage.parseSql(sql)
      assert.throws(() => validateSelect(parsed, ctx, sql), (err: unknown) => isFedlakeError(err, code))
    })
  }

  it('reports DuckDB\'s message and the position of a syntax error', async () => {
    const sql = 'SELECT * FROM logs WHERE'
    assert.throws(() => validateSelect({ error: true, error_type: 'parser', error_message: 'syntax error at end of input', position: '24' }, ctx, sql),
      (err: unknown) => isFedlakeError(err, 'SQL_SYNTAX') && err.details.position === 24 && err.details.duckdb === 'syntax error at end of input')
    const parsed = await storage.parseSql(sql)
    assert.equal(parsed.error, true)
  })

  it('a CTE may shadow a table name but a qualified name must be a real table', async () => {
    const sql = 'WITH duckdb_tables AS (SELECT 1 AS a) SELECT * FROM duckdb_tables'
    assert.deepEqual(validateSelect(await storage.parseSql(sql), ctx, sql).tables, [])
    const qualified = 'WITH x AS (SELECT 1 AS a) SELECT * FROM kubearmor.x'
    const parsed = await storage.parseSql(qualified)
    assert.throws(() => validateSelect(parsed, ctx, qualified), (err: unknown) => isFedlakeError(err, 'SQL_UNKNOWN_TABLE'))
  })

  it('knows the forbidden function families', () => {
    for (const name of ['read_csv_auto', 'READ_JSON', 'duckdb_settings', 'pragma_table_info', 'current_setting', 'glob', 'getenv']) assert.equal(isForbiddenFunction(name), true, name)
    for (const name of ['count', 'sum', 'time_bucket', 'date_trunc', 'now', 'regexp_matches', 'list_transform', 'quantile_cont', 'readable']) assert.equal(isForbiddenFunction(name), false, name)
  })
})
