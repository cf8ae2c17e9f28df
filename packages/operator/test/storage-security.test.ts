/**
 * Two layers keep operator SQL away from the machine: the DuckDB configuration every database is opened
 * with (checked here on a database opened exactly as storage opens one), and the SELECT validation in
 * front of it (checked through storage.query).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import { isFedlakeError } from '@fedlake/core'
import { createDuckDbStorage } from '../src/storage/index.js'
import type { OperatorStorage } from '../src/storage/index.js'
import { lockedDownOptions } from '@fedlake/duckdb'

describe('DuckDB lock-down (engine level)', () => {
  let dir: string
  let instance: DuckDBInstance
  let connection: DuckDBConnection
  let secretFile: string

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fedlake-security-'))
    secretFile = join(dir, 'secret.csv')
    writeFileSync(secretFile, 'a,b\n1,2\n')
    instance = await DuckDBInstance.create(join(dir, 'kubearmor.duckdb'), lockedDownOptions({ threads: 1 }))
    connection = await instance.connect()
    await connection.run('CREATE TABLE logs (a INTEGER)')
  })
  after(() => {
    connection.closeSync()
    instance.closeSync()
    rmSync(dir, { recursive: true, force: true })
  })

  const refused: [string, RegExp][] = [
    ["SELECT * FROM read_csv('/etc/passwd')", /file system operations are disabled/],
    ['SELECT * FROM read_csv(\'SECRET\')', /file system operations are disabled/],
    ["SELECT * FROM read_text('/etc/hostname')", /file system operations are disabled/],
    ["SELECT * FROM read_blob('/etc/hostname')", /file system operations are disabled/],
    ["SELECT * FROM glob('/etc/*')", /file system operations are disabled/],
    ["SELECT * FROM read_parquet('/tmp/x.parquet')", /file system operations are disabled/],
    ["COPY logs TO 'OUT'", /file system operations are disabled/],
    ["COPY logs FROM 'SECRET'", /file system operations are disabled/],
    ["EXPORT DATABASE 'EXPORTDIR'", /file system operations are disabled/],
    ["ATTACH 'OTHER' AS other", /file system operations are disabled/],
    ['SET enable_external_access = true', /configuration has been locked/],
    ['SET lock_configuration = false', /configuration has been locked/],
    ["SET allowed_directories = ['/']", /configuration has been locked/],
    ['SET autoinstall_known_extensions = true', /configuration has been locked/],
    ["SET temp_directory = '/tmp'", /configuration has been locked/],
    ['RESET enable_external_access', /configuration has been locked/],
    ['PRAGMA threads = 8', /configuration has been locked/],
    ['INSTALL httpfs', /disabled/],
    ['LOAD httpfs', /disabled/],
    ['FORCE INSTALL sqlite', /disabled/]
  ]

  for (const [template, expected] of refused) {
    it(`refuses: ${template}`, async () => {
      const sql = template.replace('SECRET', secretFile).replace('OUT', join(dir, 'out.csv'))
        .replace('EXPORTDIR', join(dir, 'export')).replace('OTHER', join(dir, 'other.duckdb'))
      await assert.rejects(connection.run(sql), (err: Error) => expected.test(err.message))
    })
  }

  it('wrote nothing outside its own database file', () => {
    assert.equal(existsSync(join(dir, 'out.csv')), false)
    assert.equal(existsSync(join(dir, 'export')), false)
    assert.equal(existsSync(join(dir, 'other.duckdb')), false)
  })

  it('still runs ordinary SQL, including the statically linked json/icu functions', async () => {
    const reader = await connection.runAndReadAll("SELECT count(*)::INTEGER, to_json({'a': 1})::VARCHAR, now() > TIMESTAMPTZ '2020-01-01' FROM logs")
    assert.deepEqual(reader.getRows(), [[0, '{"a":1}', true]])
  })
})

describe('SELECT validation in front of storage.query', () => {
  let dir: string
  let storage: OperatorStorage

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fedlake-security-q-'))
    storage = createDuckDbStorage({ dataDir: dir })
    await storage.start()
    await storage.ensureTable({ dbms: 'kubearmor', table: 'logs', columns: [{ name: 'a', type: 'INTEGER' }] })
    await storage.ensureTable({ dbms: 'other', table: 'secrets', columns: [{ name: 's', type: 'VARCHAR' }] })
  })
  after(async () => {
    await storage.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const cases: [string, string][] = [
    ["SELECT * FROM read_csv('/etc/passwd')", 'SQL_FORBIDDEN_FUNCTION'],
    ["SELECT * FROM '/etc/passwd'", 'SQL_UNKNOWN_TABLE'],
    ["COPY logs TO '/tmp/x.csv'", 'SQL_NOT_READ_ONLY'],
    ["ATTACH '/tmp/x.duckdb'", 'SQL_NOT_READ_ONLY'],
    ['SET enable_external_access = true', 'SQL_NOT_READ_ONLY'],
    ['INSTALL httpfs', 'SQL_NOT_READ_ONLY'],
    ['LOAD httpfs', 'SQL_NOT_READ_ONLY'],
    ["SELECT current_setting('enable_external_access')", 'SQL_FORBIDDEN_FUNCTION'],
    ['SELECT * FROM duckdb_settings()', 'SQL_FORBIDDEN_FUNCTION'],
    ['SELECT * FROM other.secrets', 'SQL_FORBIDDEN_REFERENCE'],
    ['SELECT * FROM secrets', 'SQL_UNKNOWN_TABLE'],
    ["SELECT * FROM query('SELECT * FROM other.secrets')", 'SQL_FORBIDDEN_FUNCTION']
  ]
  for (const [sql, code] of cases) {
    it(`${code}: ${sql}`, async () => {
      await assert.rejects(storage.query('kubearmor', sql), (err: unknown) => isFedlakeError(err, code))
    })
  }
})
