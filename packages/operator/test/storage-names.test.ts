/**
 * dbms names DuckDB's catalog resolves specially are refused wherever a name enters storage: a database named
 * `system` would answer `system.main.duckdb_databases` from DuckDB's own catalog (the file's absolute path).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { isFedlakeError } from '@fedlake/core'
import { lockedDownOptions } from '@fedlake/duckdb'
import { createDuckDbStorage } from '../src/storage/index.js'
import type { OperatorStorage } from '../src/storage/index.js'
import { dbmsNameProblem } from '../src/storage/identifiers.js'

const RESERVED = ['system', 'temp', 'main', 'memory', 'information_schema', 'pg_catalog']

async function catalogAndSchemaNames (path: string): Promise<{ own: string, names: string[] }> {
  const instance = await DuckDBInstance.create(path, lockedDownOptions({ threads: 1 }))
  const connection = await instance.connect()
  try {
    const own = String((await connection.runAndReadAll('SELECT current_database()')).getRows()[0]?.[0])
    const rows = (await connection.runAndReadAll('SELECT database_name FROM duckdb_databases() UNION SELECT schema_name FROM duckdb_schemas()')).getRows()
    return { own, names: rows.map(r => String(r[0])) }
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

describe('reserved dbms names (DuckDB)', () => {
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'fedlake-names-')) })
  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('refuses every catalog and schema name DuckDB attaches besides the database itself', async () => {
    const file = await catalogAndSchemaNames(join(dir, 'kubearmor.duckdb'))
    assert.equal(file.own, 'kubearmor')
    const memory = await catalogAndSchemaNames(':memory:')
    const builtIn = [...new Set([...file.names, ...memory.names])].filter(n => n !== 'kubearmor').sort()
    assert.deepEqual(builtIn, [...RESERVED].sort(), 'a DuckDB upgrade changed its built-in catalogs: review RESERVED_DBMS_NAMES')
    for (const name of builtIn) assert.match(dbmsNameProblem(name) ?? '', /reserved/, name)
    for (const name of ['kubearmor', 'test', 'system_db', 'default', 'public', '0day']) assert.equal(dbmsNameProblem(name), undefined, name)
  })

  it('shows why: a database file named after one does not answer <name>.<table>', async () => {
    for (const name of RESERVED.filter(n => n !== 'memory')) {
      const instance = await DuckDBInstance.create(join(dir, `${name}.duckdb`), lockedDownOptions({ threads: 1 }))
      const connection = await instance.connect()
      try {
        await connection.run('CREATE TABLE t AS SELECT 42 AS a')
        const reads = await Promise.allSettled([`"${name}".t`, `"${name}".main.t`].map(async ref =>
          (await connection.runAndReadAll(`SELECT a FROM ${ref}`)).getRows()))
        assert.ok(reads.some(r => r.status === 'rejected'), `${name}: both references reached the table`)
      } finally {
        connection.closeSync()
        instance.closeSync()
      }
    }
  })
})

describe('reserved dbms names (storage)', () => {
  let dir: string
  let storage: OperatorStorage

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fedlake-names-'))
    storage = createDuckDbStorage({ dataDir: dir, threads: 1 })
    await storage.start()
  })
  after(async () => {
    await storage.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('refuses each one for writes and queries with a 400 naming the reason, and creates no file', async () => {
    const reserved = (err: unknown): boolean => isFedlakeError(err, 'STORAGE_RESERVED_DBMS') && err.spec.status === 400 && /reserved/.test(err.message)
    for (const dbms of RESERVED) {
      const schema = { dbms, table: 't', columns: [{ name: 'a', type: 'BIGINT' as const }] }
      await assert.rejects(storage.ensureTable(schema), reserved)
      await assert.rejects(storage.appendRows(schema, [[1]]), reserved)
      await assert.rejects(storage.ensureTableAndAppendRows(schema, [[1]]), reserved)
      await assert.rejects(storage.query(dbms, 'SELECT * FROM system.main.duckdb_databases'), reserved)
      await assert.rejects(storage.query(dbms.toUpperCase(), 'SELECT 1'), reserved)
    }
    assert.deepEqual(readdirSync(dir), [])
  })

  it('ignores a database file with a reserved name left by an earlier version', async () => {
    writeFileSync(join(dir, 'system.duckdb'), '')
    await storage.ensureTable({ dbms: 'test', table: 't', columns: [{ name: 'a', type: 'BIGINT' }] })
    assert.deepEqual(await storage.listDatabases(), ['test'])
    assert.deepEqual(await storage.listTables('system'), [])
    assert.ok(existsSync(join(dir, 'system.duckdb')), 'left alone, not deleted')
  })
})
