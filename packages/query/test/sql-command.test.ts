import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isFedlakeError, errorSpec } from '@fedlake/core'
import { parseSqlCommand } from '../src/index.js'

describe('parseSqlCommand', () => {
  it('reads dbms, options and a quoted SQL statement', () => {
    const cmd = parseSqlCommand('sql kubearmor format = table and stat = false "select hostname, count(*) from logs group by hostname"')
    assert.equal(cmd.dbms, 'kubearmor')
    assert.equal(cmd.format, 'table')
    assert.equal(cmd.stat, false)
    assert.equal(cmd.sql, 'select hostname, count(*) from logs group by hostname')
    assert.deepEqual(cmd.options, { format: 'table', stat: 'false' })
  })

  it('defaults to format=json with statistics and accepts unquoted SQL', () => {
    const cmd = parseSqlCommand('SQL KubeArmor select * from logs where hostname = \'a b\' limit 3')
    assert.equal(cmd.dbms, 'kubearmor')
    assert.equal(cmd.format, 'json')
    assert.equal(cmd.stat, true)
    assert.equal(cmd.sql, "select * from logs where hostname = 'a b' limit 3")
    assert.deepEqual(cmd.options, {})
  })

  it('accepts options without spaces around =, quoted values, parenthesised values and every format', () => {
    for (const format of ['json', 'json:output', 'json:list', 'table']) {
      assert.equal(parseSqlCommand(`sql d format=${format} select 1`).format, format)
    }
    const cmd = parseSqlCommand('sql d format=json:list and timezone="America/New_York" and include=(d.t2, t3) and extend=(@ip, @port) and max_time=30 and nodes = all "select 1"')
    assert.equal(cmd.timezone, 'America/New_York')
    assert.equal(cmd.maxTimeSec, 30)
    assert.deepEqual(cmd.options, { format: 'json:list', timezone: 'America/New_York', include: '(d.t2, t3)', extend: '(@ip, @port)', max_time: '30', nodes: 'all' })
    assert.equal(cmd.sql, 'select 1')
  })

  it('keeps double-quoted identifiers and = comparisons inside an unquoted statement', () => {
    const cmd = parseSqlCommand('sql d stat=false select "my col" from t where a = 1 and b = 2')
    assert.equal(cmd.sql, 'select "my col" from t where a = 1 and b = 2')
    assert.equal(parseSqlCommand("sql d 'select 1'").sql, 'select 1')
    assert.equal(parseSqlCommand('sql d "with x as (select 1) select * from x"').sql, 'with x as (select 1) select * from x')
    assert.equal(parseSqlCommand('sql d "/* panel 3 */ select 1"').sql, '/* panel 3 */ select 1')
    assert.equal(parseSqlCommand('sql d format=json "-- top pods\n select 1"').sql, '-- top pods\n select 1')
  })

  it('types include, extend, nodes, subset and timeout', () => {
    const cmd = parseSqlCommand('sql kubearmor include = (kubearmor.alert, Logs2, other.t, alert) and extend = (@ip, @port, @dbms_name, @table_name, +node_name, +city as town) and nodes = ALL and subset = true and timeout = 2 minutes "select 1"')
    assert.deepEqual(cmd.include, [{ dbms: 'kubearmor', table: 'alert' }, { dbms: 'kubearmor', table: 'logs2' }, { dbms: 'other', table: 't' }])
    assert.deepEqual(cmd.extend, [
      { kind: 'ip', name: 'ip' }, { kind: 'port', name: 'port' }, { kind: 'dbms_name', name: 'dbms_name' }, { kind: 'table_name', name: 'table_name' },
      { kind: 'policy', attribute: 'node_name', name: 'node_name' }, { kind: 'policy', attribute: 'city', name: 'town' }
    ])
    assert.equal(cmd.nodes, 'all')
    assert.equal(cmd.subset, true)
    assert.equal(cmd.timeoutMs, 120_000)
    assert.equal(cmd.sql, 'select 1')
    assert.equal(parseSqlCommand('sql d timeout = 30 select 1').timeoutMs, 30_000)
    assert.equal(parseSqlCommand('sql d timeout = "1.5 s" and extend = @ip select 1').timeoutMs, 1500)
    assert.deepEqual(parseSqlCommand('sql d extend = @ip select 1').extend, [{ kind: 'ip', name: 'ip' }])
    const keys = parseSqlCommand('sql d key_shipping = false and max_shipped_keys = 500 select 1')
    assert.deepEqual([keys.keyShipping, keys.maxShippedKeys], [false, 500])
    const none = parseSqlCommand('sql d select 1')
    assert.deepEqual([none.include, none.extend, none.nodes, none.subset, none.timeoutMs, none.keyShipping, none.maxShippedKeys], [undefined, undefined, undefined, undefined, undefined, undefined, undefined])
  })

  const bad: [string, RegExp][] = [
    ['sql kubearmor include = (a.b.c) "select 1"', /include takes tables/],
    ['sql kubearmor include = (a, ) "select 1"', /include must be a list/],
    ['sql kubearmor extend = (@mac) "select 1"', /unknown @mac/],
    ['sql kubearmor extend = (ip) "select 1"', /extend takes/],
    ['sql kubearmor extend = (@ip, +ip) "select 1"', /column 'ip' given twice/],
    ['sql kubearmor nodes = some "select 1"', /nodes must be main or all/],
    ['sql kubearmor subset = yes "select 1"', /subset must be true or false/],
    ['sql kubearmor key_shipping = maybe "select 1"', /key_shipping must be true or false/],
    ['sql kubearmor max_shipped_keys = 0 "select 1"', /max_shipped_keys must be a positive whole number/],
    ['sql kubearmor timeout = -1 "select 1"', /timeout must be a number/],
    ['sql kubearmor timeout = 0 "select 1"', /timeout must be positive/],
    ['sql kubearmor stats = false "select 1"', /unknown option 'stats'/],
    ['sql kubearmor format = xml "select 1"', /format must be one of/],
    ['sql kubearmor stat = maybe "select 1"', /stat must be true or false/],
    ['sql kubearmor max_time = soon "select 1"', /max_time/],
    ['sql kubearmor format = json and format = table "select 1"', /given twice/],
    ['sql kubearmor format = json stat = false "select 1"', /joined by 'and'/],
    ['sql kubearmor format = json', /missing SQL/],
    ['sql kubearmor', /missing SQL/],
    ['sql', /must start with/],
    ['sql "select 1"', /missing dbms/],
    ['select 1', /must start with/],
    ['sql kubearmor format = "json "select 1"', /format must be one of|unterminated/],
    ['sql kubearmor include = (a, b "select 1"', /unbalanced/],
    ['sql my-db select 1', /invalid dbms/]
  ]
  for (const [text, message] of bad) {
    it(`refuses with Error Command Structure: ${text}`, () => {
      assert.throws(() => parseSqlCommand(text), (err: unknown) =>
        isFedlakeError(err, 'COMMAND_SYNTAX') && message.test(err.message) && errorSpec(err.code).edgelakeCode === 2 && err.message.startsWith('Error Command Structure'))
    })
  }
})
