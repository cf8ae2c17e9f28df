import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createSqlParser } from '@fedlake/duckdb'
import { withUnqualifiedTables } from '../src/planner/unqualified-tables.js'

const parser = createSqlParser()
before(async () => { await parser.start() })
after(async () => { await parser.stop() })

async function normalized (sql: string): Promise<string> {
  const parsed = await parser.parse(sql)
  assert.equal(parsed.error, false, sql)
  return await parser.print(withUnqualifiedTables((parsed as { statements: readonly unknown[] }).statements[0], 'kubearmor'))
}

describe('withUnqualifiedTables', () => {
  it('drops the qualifiers that name the queried dbms, in subqueries too', async () => {
    assert.equal(await normalized('select count(*) from kubearmor.logs'), 'SELECT count_star() FROM logs')
    assert.equal(await normalized('select * from main.logs l join kubearmor.main.alert a using (pod_name) where exists (select 1 from KubeArmor.alert)'),
      await normalized('select * from logs l join alert a using (pod_name) where exists (select 1 from alert)'))
  })

  it('keeps other qualifiers, and a qualified table that a CTE of the same name would shadow', async () => {
    assert.equal(await normalized('select * from other.logs'), 'SELECT * FROM other.logs')
    assert.equal(await normalized('select * from other.main.logs'), 'SELECT * FROM other.main.logs')
    assert.match(await normalized('with logs as (select 1) select * from kubearmor.logs'), /FROM kubearmor\.logs/)
  })

  it('drops them from columns named through the qualified table, and leaves struct fields and aliased tables alone', async () => {
    assert.equal(await normalized('select kubearmor.logs.pod_name, main.logs.pid, kubearmor.main.logs.uid from kubearmor.logs'),
      'SELECT logs.pod_name, logs.pid, logs.uid FROM logs')
    assert.equal(await normalized('select logs.labels.app from kubearmor.logs'), 'SELECT logs.labels.app FROM logs')
    assert.equal(await normalized('select l.pid from kubearmor.logs l'), 'SELECT l.pid FROM logs AS l')
  })
})
