import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  CORE_ERRORS, FedlakeError, commandWords, createLogger, defineErrors, errorSpec, isFedlakeError,
  loadNodeConfig, matchesWords, renderTextTable, startAll, stopAll, toFedlakeError, waitFor
} from '@fedlake/core'
import type { Startable } from '@fedlake/core'

describe('config', () => {
  it('pins the documented defaults', () => {
    const config = loadNodeConfig({ overrides: { name: 'n1' } })
    assert.deepEqual({ ...config, ingest: { ...config.ingest }, metadata: { ...config.metadata }, limits: { ...config.limits } }, {
      name: 'n1',
      roles: ['operator', 'query'],
      host: '127.0.0.1',
      restPort: 32349,
      p2pPort: 32348,
      dataDir: '.fedlake/data',
      seeds: [],
      kubearmor: [],
      kubearmorTls: { enabled: false },
      dbms: 'kubearmor',
      cluster: 'n1-cluster',
      logLevel: 'info',
      ingest: { batchRows: 8192, flushIntervalMs: 1000, idleFlushMs: 50, maxBufferedMs: 1500, maxBufferedRows: 262144, reconnectInitialMs: 250, reconnectMaxMs: 10000, maxPutBytes: 67108864, putReadOnlyDbms: [], allowPutIntoConnectorDbms: false },
      metadata: { networkName: 'fedlake', admins: [], heartbeatIntervalMs: 1000, unreachableAfterMs: 4000, antiEntropyIntervalMs: 5000, targetPeers: 8 },
      limits: { memoryBudgetMb: 256, maxConcurrentQueries: 4, maxReplyRows: 1000000, maxMergeRows: 10000000, maxMergeBytes: 1073741824, maxShippedKeys: 10000, maxShippedKeyBytes: 1048576, commandTimeoutMs: 20000, maxCommandTimeoutMs: 300000 }
    })
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.ingest))
  })

  it('layers env over file defaults and flags over env', () => {
    const config = loadNodeConfig({
      env: { FEDLAKE_REST_PORT: '4000', FEDLAKE_ROLES: 'operator', FEDLAKE_KUBEARMOR: 'a:1, b:2', FEDLAKE_NAME: 'from-env' },
      overrides: { name: 'from-flag' }
    })
    assert.equal(config.restPort, 4000)
    assert.deepEqual(config.roles, ['operator'])
    assert.deepEqual(config.kubearmor, ['a:1', 'b:2'])
    assert.equal(config.name, 'from-flag')
  })

  it('takes the PUT write rules from the environment and refuses a dbms that is no dbms name', () => {
    const config = loadNodeConfig({ overrides: { name: 'n1' }, env: { FEDLAKE_PUT_READ_ONLY_DBMS: 'archive, audit_2026', FEDLAKE_ALLOW_PUT_INTO_CONNECTOR_DBMS: 'yes' } })
    assert.deepEqual(config.ingest.putReadOnlyDbms, ['archive', 'audit_2026'])
    assert.equal(config.ingest.allowPutIntoConnectorDbms, true)
    assert.throws(() => loadNodeConfig({ overrides: { name: 'n1', ingest: { putReadOnlyDbms: ['My-DB'] } } }), /ingest\.putReadOnlyDbms\.0/)
  })

  it('names every invalid key in one CONFIG_INVALID error', () => {
    assert.throws(() => loadNodeConfig({ overrides: { restPort: 99999, roles: ['master'], bogus: 1 } }), (err: unknown) => {
      assert.ok(isFedlakeError(err, CORE_ERRORS.CONFIG_INVALID))
      assert.match(err.message, /restPort/)
      assert.match(err.message, /roles/)
      assert.match(err.message, /bogus/)
      return true
    })
  })
})

describe('config: KubeArmor TLS', () => {
  it('takes the switch and files from the environment (true/false words)', () => {
    const config = loadNodeConfig({
      overrides: { name: 'n1' },
      env: { FEDLAKE_KUBEARMOR_TLS: 'yes', FEDLAKE_KUBEARMOR_CA_FILE: '/etc/ka/ca.crt', FEDLAKE_KUBEARMOR_CERT_FILE: '/etc/ka/c.crt', FEDLAKE_KUBEARMOR_KEY_FILE: '/etc/ka/c.key' }
    })
    assert.deepEqual(config.kubearmorTls, { enabled: true, caFile: '/etc/ka/ca.crt', certFile: '/etc/ka/c.crt', keyFile: '/etc/ka/c.key' })
    assert.equal(loadNodeConfig({ overrides: { name: 'n1' }, env: { FEDLAKE_KUBEARMOR_TLS: 'false' } }).kubearmorTls.enabled, false)
    assert.throws(() => loadNodeConfig({ overrides: { name: 'n1' }, env: { FEDLAKE_KUBEARMOR_TLS: 'maybe' } }), /kubearmorTls\.enabled/)
  })

  it('refuses a certificate without its key, and files given while TLS is off', () => {
    assert.throws(() => loadNodeConfig({ overrides: { name: 'n1', kubearmorTls: { enabled: true, certFile: '/c.crt' } } }),
      (err: unknown) => isFedlakeError(err) && err.code === 'CONFIG_INVALID' && /certFile and keyFile go together/.test(err.message))
    assert.throws(() => loadNodeConfig({ overrides: { name: 'n1', kubearmorTls: { caFile: '/ca.crt' } } }),
      (err: unknown) => isFedlakeError(err) && err.code === 'CONFIG_INVALID' && /caFile given but enabled is false/.test(err.message))
  })
})

describe('errors', () => {
  it('registers codes with their spec and refuses a conflicting redefinition', () => {
    const codes = defineErrors({ TEST_THING_FAILED: { status: 418, edgelakeCode: 7, text: 'thing failed' } })
    assert.equal(codes.TEST_THING_FAILED, 'TEST_THING_FAILED')
    assert.equal(errorSpec('TEST_THING_FAILED').status, 418)
    assert.throws(() => defineErrors({ TEST_THING_FAILED: { status: 500, edgelakeCode: 1, text: 'other' } }), /defined twice/)
  })

  it('wraps foreign errors as INTERNAL and keeps the cause', () => {
    const cause = new TypeError('boom')
    const err = toFedlakeError(cause)
    assert.equal(err.code, 'INTERNAL')
    assert.equal(err.cause, cause)
    assert.equal(toFedlakeError(new FedlakeError('CONFIG_INVALID', 'x')).code, 'CONFIG_INVALID')
  })
})

describe('logger', () => {
  it('writes one JSON line per record and redacts secret-looking keys', () => {
    const lines: string[] = []
    const log = createLogger({ component: 'test', sink: l => lines.push(l) }).child('sub', { node: 'n1' })
    log.info('hello', { password: 'hunter2', nested: { networkKey: 'abc', ok: 1 }, big: 5n })
    log.debug('hidden')
    assert.equal(lines.length, 1)
    const rec = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>
    assert.equal(rec.component, 'test.sub')
    assert.equal(rec.node, 'n1')
    assert.equal(rec.password, '[redacted]')
    assert.deepEqual(rec.nested, { networkKey: '[redacted]', ok: 1 })
    assert.equal(rec.big, '5')
    assert.doesNotMatch(lines[0] ?? '', /hunter2/)
  })
})

describe('commands', () => {
  it('splits words keeping quoted SQL whole', () => {
    assert.deepEqual(commandWords('sql kubearmor format=table "select count(*) from logs"'),
      ['sql', 'kubearmor', 'format=table', 'select count(*) from logs'])
    assert.ok(matchesWords('GET grpc  client', ['get', 'grpc', 'client']))
    assert.ok(!matchesWords('get grpc', ['get', 'grpc', 'client']))
  })

  it('renders an EdgeLake-style text table', () => {
    const text = renderTextTable(['device', 'count(*)'], [['d0', 200], ['d10', 5]])
    assert.equal(text, 'device count(*)\n------ --------\nd0          200\nd10           5\n')
  })
})

describe('lifecycle', () => {
  it('stops already-started items in reverse order when a later start fails', async () => {
    const events: string[] = []
    const item = (name: string, fail = false): Startable => ({
      async start () { if (fail) throw new Error(`${name} failed`); events.push(`start ${name}`) },
      async stop () { events.push(`stop ${name}`) }
    })
    await assert.rejects(startAll([item('a'), item('b'), item('c', true)]), /c failed/)
    assert.deepEqual(events, ['start a', 'start b', 'stop b', 'stop a'])
    events.length = 0
    await stopAll([item('x'), item('y')])
    assert.deepEqual(events, ['stop y', 'stop x'])
  })

  it('waitFor resolves once the condition holds and times out with its description', async () => {
    let n = 0
    assert.equal(await waitFor(() => ++n >= 3 && n, { intervalMs: 1 }), 3)
    await assert.rejects(waitFor(() => false, { timeoutMs: 30, intervalMs: 5, what: 'never' }), /never/)
  })
})
