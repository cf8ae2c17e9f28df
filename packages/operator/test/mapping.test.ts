import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { isFedlakeError } from '@fedlake/core'
import type { KubeArmorAlert, KubeArmorLog, KubeArmorMessage } from '@fedlake/core'
import {
  MappingError, compileMapping, createKubeArmorMappings, defaultKubeArmorPolicies, loadMappingPolicies,
  parseIsoMicros, parseMappingPolicies, parseMappingPolicy, rejectsTableSchema
} from '../src/mapping/index.js'
import type { CompiledMapping } from '../src/mapping/index.js'
import { CONTAINER_FILE_LOG as LOG } from './fixtures/kubearmor-log.js'
import type { IngestValue } from '../src/ingest/index.js'

// Example events of reference/kubearmor.md §2.7 (Go-JSON shape, as the relay prints them).
const ALERT: KubeArmorAlert = {
  Timestamp: 1767001234,
  UpdatedTime: '2025-12-29T09:40:34.512877Z',
  ClusterName: 'default',
  HostName: 'worker-2',
  NamespaceName: 'wordpress-mysql',
  Owner: { Ref: 'Deployment', Name: 'wordpress', Namespace: 'wordpress-mysql' },
  PodName: 'wordpress-7c9f8d6b5-x2kqp',
  Labels: 'app=wordpress',
  ContainerID: '72de193fc8d849cd052affae5a53a27111bcefb75385635dcb374acdf31a5548',
  ContainerName: 'wordpress',
  ContainerImage: 'docker.io/library/wordpress:4.8-apache@sha256:6216f64ab88fc51d311e38c7f69ca3f9aaba621492b4f1fa93ddf63093768845',
  HostPPID: 495804,
  HostPID: 495877,
  PPID: 41,
  PID: 57,
  UID: 0,
  ParentProcessName: '/bin/bash',
  ProcessName: '/usr/bin/apt',
  PolicyName: 'harden-wordpress-pkg-mngr-exec',
  Severity: '5',
  Tags: 'NIST,NIST_800-53_CM-7(4),SI-4,process',
  ATags: ['NIST', 'NIST_800-53_CM-7(4)', 'SI-4', 'process'],
  Message: 'Alert! Execution of package management process inside container is denied',
  Type: 'MatchedPolicy',
  Source: '/bin/bash',
  Operation: 'Process',
  Resource: '/usr/bin/apt update',
  Data: 'lsm=SECURITY_BPRM_CHECK',
  EventData: { Lsm: 'SECURITY_BPRM_CHECK' },
  Enforcer: 'BPFLSM',
  Action: 'Block',
  Result: 'Permission denied',
  Cwd: '/var/www/html/',
  TTY: 'pts0',
  ExecEvent: { ExecID: '1078688820741427', ExecutableName: 'apt' },
  KubeArmorVersion: 'v1.6.3',
  NodeID: '4f2a9c1e0b7d4e6a8c3f5b2d1e0a9c7b'
}

/** A host log after relay enrichment: no namespace/pod/owner, but UserName. */
const HOST_LOG: KubeArmorLog = {
  Timestamp: 1767001251,
  UpdatedTime: '2025-12-29T09:40:51.877310Z',
  ClusterName: 'default',
  HostName: 'worker-1',
  ParentProcessName: '/usr/bin/bash',
  ProcessName: '/usr/bin/curl',
  HostPPID: 1981,
  HostPID: 5302,
  PPID: 1981,
  PID: 5302,
  Type: 'HostLog',
  Source: '/usr/bin/curl -sk https://10.96.0.1',
  Operation: 'Network',
  Resource: 'remoteip=10.96.0.1 port=443 protocol=TCP remotehost=svc/default/kubernetes',
  Data: 'kprobe=tcp_connect domain=AF_INET',
  Result: 'Passed',
  Cwd: '/root/',
  TTY: 'pts0',
  NodeID: '9d3b7e2a1c4f4b0e8a6d2c5f7e1b3a90',
  UserName: 'root'
}

const MESSAGE: KubeArmorMessage = {
  Timestamp: 1767001260,
  UpdatedTime: '2025-12-29T09:41:00.000100Z',
  ClusterName: 'default',
  HostName: 'worker-1',
  HostIP: '10.0.0.11',
  Type: 'Message',
  Level: 'INFO',
  Message: 'Started to monitor system events'
}

const micros = (iso: string): number => Date.parse(iso) * 1000

function mapOne (mapping: CompiledMapping, record: unknown): Record<string, IngestValue> {
  const rows = mapping.map(record)
  assert.ok(!(rows instanceof MappingError), rows instanceof MappingError ? rows.message : '')
  assert.equal(rows.length, 1)
  const row = rows[0] as IngestValue[]
  assert.equal(row.length, mapping.schema.columns.length)
  return Object.fromEntries(mapping.schema.columns.map((c, i) => [c.name, row[i] as IngestValue]))
}

function only (mappings: readonly CompiledMapping[]): CompiledMapping {
  assert.equal(mappings.length, 1)
  return mappings[0] as CompiledMapping
}

const ALERT_COLUMNS = [
  'timestamp', 'updated_timestamp', 'cluster_name', 'hostname', 'namespace', 'owner_ref', 'owner_name',
  'owner_namespace', 'pod_name', 'labels', 'container_id', 'container_name', 'container_image', 'host_ppid',
  'host_pid', 'ppid', 'pid', 'uid', 'parent_process_name', 'process_name', 'policy_name', 'severity', 'tag',
  'atag', 'message', 'type', 'source', 'operation', 'resource', 'data', 'enforcer', 'action', 'result', 'cwd',
  'tty', 'node_id', 'user_name'
]
const ALERT_ONLY = new Set(['policy_name', 'severity', 'tag', 'atag', 'message', 'enforcer', 'action'])
const INTEGER_COLUMNS = new Set(['host_ppid', 'host_pid', 'ppid', 'pid', 'uid', 'severity'])

describe('built-in KubeArmor mappings', () => {
  const mappings = createKubeArmorMappings()

  it('have exactly the tables and columns of design.md §3.3, in order, with their types', () => {
    const alert = only(mappings.byStream.alerts)
    const logs = only(mappings.byStream.logs)
    const message = only(mappings.byStream.messages)
    assert.deepEqual([alert.schema.dbms, alert.schema.table, alert.id], ['kubearmor', 'alert', 'kubearmor-alert'])
    assert.deepEqual([logs.schema.dbms, logs.schema.table, logs.id], ['kubearmor', 'logs', 'kubearmor-logs'])
    assert.deepEqual([message.schema.dbms, message.schema.table, message.id], ['kubearmor', 'message', 'kubearmor-message'])
    const typeOf = (name: string): string => name.endsWith('timestamp') ? 'TIMESTAMP' : INTEGER_COLUMNS.has(name) ? 'INTEGER' : 'VARCHAR'
    assert.deepEqual(alert.schema.columns, ALERT_COLUMNS.map(name => ({ name, type: typeOf(name) })))
    assert.deepEqual(logs.schema.columns, ALERT_COLUMNS.filter(n => !ALERT_ONLY.has(n)).map(name => ({ name, type: typeOf(name) })))
    assert.ok(logs.schema.columns.some(c => c.name === 'namespace'), 'logs has namespace (EdgeLake lacks it)')
    assert.deepEqual(message.schema.columns.map(c => `${c.name} ${c.type}`), [
      'timestamp TIMESTAMP', 'updated_timestamp TIMESTAMP', 'cluster_name VARCHAR', 'hostname VARCHAR',
      'host_ip VARCHAR', 'type VARCHAR', 'level VARCHAR', 'message VARCHAR'
    ])
    assert.deepEqual(mappings.rejects.columns.map(c => `${c.name} ${c.type}`),
      ['time TIMESTAMP', 'source VARCHAR', 'stream VARCHAR', 'error VARCHAR', 'raw VARCHAR'])
    assert.equal(mappings.rejects.dbms, 'kubearmor')
  })

  it('map an alert field by field (severity INTEGER, ATags joined, cwd from Cwd)', () => {
    const row = mapOne(only(mappings.byStream.alerts), ALERT)
    assert.deepEqual(row, {
      timestamp: 1767001234_000000,
      updated_timestamp: micros('2025-12-29T09:40:34.512Z') + 877,
      cluster_name: 'default',
      hostname: 'worker-2',
      namespace: 'wordpress-mysql',
      owner_ref: 'Deployment',
      owner_name: 'wordpress',
      owner_namespace: 'wordpress-mysql',
      pod_name: 'wordpress-7c9f8d6b5-x2kqp',
      labels: 'app=wordpress',
      container_id: '72de193fc8d849cd052affae5a53a27111bcefb75385635dcb374acdf31a5548',
      container_name: 'wordpress',
      container_image: 'docker.io/library/wordpress:4.8-apache@sha256:6216f64ab88fc51d311e38c7f69ca3f9aaba621492b4f1fa93ddf63093768845',
      host_ppid: 495804,
      host_pid: 495877,
      ppid: 41,
      pid: 57,
      uid: 0,
      parent_process_name: '/bin/bash',
      process_name: '/usr/bin/apt',
      policy_name: 'harden-wordpress-pkg-mngr-exec',
      severity: 5,
      tag: 'NIST,NIST_800-53_CM-7(4),SI-4,process',
      atag: 'NIST,NIST_800-53_CM-7(4),SI-4,process',
      message: 'Alert! Execution of package management process inside container is denied',
      type: 'MatchedPolicy',
      source: '/bin/bash',
      operation: 'Process',
      resource: '/usr/bin/apt update',
      data: 'lsm=SECURITY_BPRM_CHECK',
      enforcer: 'BPFLSM',
      action: 'Block',
      result: 'Permission denied',
      cwd: '/var/www/html/',
      tty: 'pts0',
      node_id: '4f2a9c1e0b7d4e6a8c3f5b2d1e0a9c7b',
      user_name: ''
    })
  })

  it('map a container log field by field, with namespace', () => {
    const row = mapOne(only(mappings.byStream.logs), LOG)
    assert.deepEqual(row, {
      timestamp: 1767001240_000000,
      updated_timestamp: micros('2025-12-29T09:40:40.104Z') + 233,
      cluster_name: 'default',
      hostname: 'worker-1',
      namespace: 'default',
      owner_ref: 'Deployment',
      owner_name: 'nginx',
      owner_namespace: 'default',
      pod_name: 'nginx-779797d5bd-wlrsn',
      labels: 'app=nginx',
      container_id: 'c830ee7121da37bde4021a90d51728d05bf2e71ac5a31b6461a39b7cf77cffb1',
      container_name: 'nginx',
      container_image: 'docker.io/library/nginx:latest@sha256:553f64aecdc31b5bf944521731cd70e35da4faed96b2b7548a3d8e2598c52a42',
      host_ppid: 247074,
      host_pid: 247101,
      ppid: 0,
      pid: 1,
      uid: 0,
      parent_process_name: '/usr/bin/containerd-shim-runc-v2',
      process_name: '/usr/sbin/nginx',
      type: 'ContainerLog',
      source: '/usr/sbin/nginx -g daemon off;',
      operation: 'File',
      resource: '/etc/nginx/conf.d/default.conf',
      data: 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY|O_CLOEXEC',
      result: 'Passed',
      cwd: '/',
      tty: '',
      node_id: '9d3b7e2a1c4f4b0e8a6d2c5f7e1b3a90',
      user_name: ''
    })
  })

  it('map a host log: absent identity fields are empty text and UID defaults to 0 (no invented owner/host)', () => {
    const row = mapOne(only(mappings.byStream.logs), HOST_LOG)
    assert.equal(row.namespace, '')
    assert.equal(row.owner_ref, '')
    assert.equal(row.pod_name, '')
    assert.equal(row.uid, 0)
    assert.equal(row.user_name, 'root')
    assert.equal(row.resource, 'remoteip=10.96.0.1 port=443 protocol=TCP remotehost=svc/default/kubernetes')
    assert.equal(row.hostname, 'worker-1')
  })

  it('map a message with level from Level (EdgeLake brings [level], always empty)', () => {
    const row = mapOne(only(mappings.byStream.messages), MESSAGE)
    assert.deepEqual(row, {
      timestamp: 1767001260_000000,
      updated_timestamp: 1767001260_000100,
      cluster_name: 'default',
      hostname: 'worker-1',
      host_ip: '10.0.0.11',
      type: 'Message',
      level: 'INFO',
      message: 'Started to monitor system events'
    })
  })

  it('severity is 0 when absent or empty (DefaultPosture), and numeric text otherwise', () => {
    const alert = only(mappings.byStream.alerts)
    const { Severity: _s, ...noSeverity } = ALERT
    assert.equal(mapOne(alert, { ...noSeverity, PolicyName: 'DefaultPosture' }).severity, 0)
    assert.equal(mapOne(alert, { ...ALERT, Severity: '' }).severity, 0)
    assert.equal(mapOne(alert, { ...ALERT, Severity: '10' }).severity, 10)
    assert.equal(mapOne(alert, { ...ALERT, ATags: [] }).atag, '')
  })

  it('accept proto3-JSON shapes: Timestamp as a string, UpdatedTime without Z or with fewer digits', () => {
    const logs = only(mappings.byStream.logs)
    const row = mapOne(logs, { ...LOG, Timestamp: '1703783776', UpdatedTime: '2023-12-28T17:16:16.5' })
    assert.equal(row.timestamp, 1703783776_000000)
    assert.equal(row.updated_timestamp, micros('2023-12-28T17:16:16.500Z'))
  })

  it('fill timestamps with now() when absent', () => {
    const before = Date.now() * 1000
    const row = mapOne(only(mappings.byStream.messages), { Message: 'x' })
    const afterNow = Date.now() * 1000
    assert.ok(typeof row.timestamp === 'number' && row.timestamp >= before && row.timestamp <= afterNow)
    assert.equal(row.updated_timestamp, row.timestamp)
  })

  it('use the configured dbms for every table', () => {
    const custom = createKubeArmorMappings({ dbms: 'edge1' })
    assert.deepEqual([...custom.byStream.logs, ...custom.byStream.alerts, ...custom.byStream.messages].map(m => m.schema.dbms), ['edge1', 'edge1', 'edge1'])
    assert.equal(custom.rejects.dbms, 'edge1')
  })
})

describe('UpdatedTime parsing', () => {
  const base = Date.parse('2025-12-29T09:40:40Z') * 1000
  const cases: Array<[string, number | undefined]> = [
    ['2025-12-29T09:40:40.104233Z', base + 104233],
    ['2025-12-29T09:40:40.104233', base + 104233],
    ['2025-12-29 09:40:40.104233', base + 104233],
    ['2025-12-29T09:40:40.1Z', base + 100000],
    ['2025-12-29T09:40:40.104Z', base + 104000],
    ['2025-12-29T09:40:40.104233999Z', base + 104233],
    ['2025-12-29T09:40:40Z', base],
    ['2025-12-29T11:40:40.000001+02:00', base + 1],
    ['2025-12-29T04:40:40-0500', base],
    ['2025-12-29', Date.parse('2025-12-29T00:00:00Z') * 1000],
    ['2024-02-29T00:00:00Z', Date.parse('2024-02-29T00:00:00Z') * 1000],
    ['2025-02-29T00:00:00Z', undefined],
    ['2025-13-01T00:00:00Z', undefined],
    ['2025-12-29T25:00:00Z', undefined],
    ['2025-12-29T09:40:40.Z', undefined],
    ['2025-12-29T09:40:40.1Zjunk', undefined],
    ['yesterday', undefined]
  ]
  for (const [text, expected] of cases) {
    it(`${text} -> ${expected ?? 'not a timestamp'}`, () => {
      assert.equal(parseIsoMicros(text), expected)
      // the second parse of the same second hits the prefix cache and must agree
      assert.equal(parseIsoMicros(text), expected)
    })
  }
})

describe('records that fail mapping', () => {
  const mappings = createKubeArmorMappings()
  const logs = only(mappings.byStream.logs)

  it('a value that cannot be converted gives a MappingError naming the column, with the record', () => {
    const bad = { ...LOG, HostPID: 'abc' }
    const result = logs.map(bad)
    assert.ok(result instanceof MappingError)
    assert.equal(result.code, 'MAPPING_FAILED')
    assert.equal(result.policyId, 'kubearmor-logs')
    assert.equal(result.column, 'host_pid')
    assert.match(result.message, /host_pid.*'abc'.*INTEGER/)
    assert.equal(result.record, bad)
    // the next good record still maps
    assert.equal(mapOne(logs, LOG).host_pid, 247101)
  })

  it('non-object records (text, null, arrays, numbers) are MappingErrors', () => {
    for (const record of ['a line of text', null, [LOG], 42, undefined]) {
      const result = logs.map(record)
      assert.ok(result instanceof MappingError, `record ${JSON.stringify(record)}`)
      assert.match(result.message, /not a JSON object/)
    }
  })

  it('out-of-range integers, fractional integers and unparseable timestamps are rejected', () => {
    assert.ok(logs.map({ ...LOG, PID: 2 ** 31 }) instanceof MappingError)
    assert.ok(logs.map({ ...LOG, UID: 1.5 }) instanceof MappingError)
    const ts = logs.map({ ...LOG, UpdatedTime: 'not a time' })
    assert.ok(ts instanceof MappingError)
    assert.equal(ts.column, 'updated_timestamp')
  })

  it('a required field without default that is missing rejects the record', () => {
    const strict = compileMapping(parseMappingPolicy({
      mapping: { id: 'strict', table: 'strict', schema: { host: { type: 'string', bring: '[HostName]' }, pid: { type: 'int', bring: '[PID]', optional: true } } }
    }))
    const result = strict.map({ PID: 3 })
    assert.ok(result instanceof MappingError)
    assert.equal(result.column, 'host')
    assert.match(result.message, /required value \[HostName\] is missing/)
    assert.deepEqual(strict.map({ HostName: 'h' }), [['h', null]])
  })
})

describe('mapping policy features', () => {
  it('nested bring, json_dump, epoch_ms, lower, bigint, double, bool, quoted defaults and column conditions', () => {
    const mapping = compileMapping(parseMappingPolicy({
      mapping: {
        id: 'features',
        dbms: 'Test',
        table: 'Features',
        schema: {
          Ref: { type: 'varchar(32)', bring: '[Owner][Ref]' },
          event_data: { type: 'string', bring: '[EventData]', apply: 'json_dump' },
          resource: { type: 'string', bring: '[Resource]', apply: 'json_dump' },
          at: { type: 'timestamp', bring: '[ms]', apply: 'epoch_ms_to_datetime' },
          at_text: { type: 'string', bring: '[ms]', apply: 'epoch_ms_to_datetime' },
          op: { type: 'char(10)', bring: '[Operation]', apply: 'lower' },
          big: { type: 'bigint', bring: '[big]' },
          ratio: { type: 'decimal(10,2)', bring: '[ratio]' },
          flag: { type: 'bool', bring: '[flag]' },
          note: { type: 'string', bring: '[missing]', default: "'n/a'" },
          temp: { type: 'float', bring: '[value]', condition: "if [name] == 'Temperature'", optional: true },
          fixed: { type: 'int', default: 7 }
        }
      }
    }))
    assert.deepEqual([mapping.schema.dbms, mapping.schema.table], ['test', 'features'])
    assert.equal(mapping.schema.columns[0]?.name, 'ref')
    const record = {
      Owner: { Ref: 'Deployment' }, EventData: { Lsm: 'X' }, Resource: '/etc/passwd', ms: 1767001234567,
      Operation: 'File', big: '9007199254740993', ratio: '0.25', flag: 'true', name: 'Temperature', value: 21.5
    }
    const row = mapOne(mapping, record)
    assert.deepEqual(row, {
      ref: 'Deployment',
      event_data: '{"Lsm":"X"}',
      resource: '/etc/passwd',
      at: 1767001234567000,
      at_text: '2025-12-29T09:40:34.567000Z',
      op: 'file',
      big: 9007199254740993n,
      ratio: 0.25,
      flag: true,
      note: 'n/a',
      temp: 21.5,
      fixed: 7
    })
    const other = mapOne(mapping, { ...record, name: 'Humidity', value: 40, big: 5 })
    assert.equal(other.temp, null, 'the column condition does not hold: optional column is NULL')
    assert.equal(other.big, 5)
  })

  it('a policy condition selects records; readings map a list to several rows', () => {
    const containerOnly = compileMapping(parseMappingPolicy({
      mapping: { id: 'c', table: 'c', condition: 'if [Type] == ContainerLog and [PID] < 10', schema: { pod: { type: 'string', bring: '[PodName]' } } }
    }))
    assert.deepEqual(containerOnly.map(LOG), [['nginx-779797d5bd-wlrsn']])
    assert.deepEqual(containerOnly.map(HOST_LOG), [])
    const readings = compileMapping(parseMappingPolicy({
      mapping: {
        id: 'r', table: 'r', readings: 'readings',
        schema: { device: { type: 'string', bring: '[device]' }, value: { type: 'float', bring: '[value]' } }
      }
    }))
    assert.deepEqual(readings.map({ device: 'd1', readings: [{ value: 1 }, { value: 2, device: 'd2' }] }), [['d1', 1], ['d2', 2]])
    assert.ok(readings.map({ device: 'd1', readings: 3 }) instanceof MappingError)
  })
})

describe('policy validation (MAPPING_INVALID)', () => {
  const base = { id: 'p', table: 't', schema: { a: { type: 'string', bring: '[A]' } } }
  const cases: Array<[string, unknown, RegExp]> = [
    ['not a mapping', { policy: {} }, /mapping/],
    ['missing table', { mapping: { schema: base.schema } }, /table/],
    ['empty schema', { mapping: { ...base, schema: {} } }, /at least one column/],
    ['unknown type', { mapping: { ...base, schema: { a: { type: 'blob', bring: '[A]' } } } }, /unknown type 'blob'/],
    ['bad bring', { mapping: { ...base, schema: { a: { type: 'string', bring: 'A' } } } }, /not a path/],
    ['unknown apply', { mapping: { ...base, schema: { a: { type: 'string', bring: '[A]', apply: 'rot13' } } } }, /unknown apply 'rot13'/],
    ['now() on int', { mapping: { ...base, schema: { a: { type: 'int', bring: '[A]', default: 'now()' } } } }, /now\(\) needs a timestamp/],
    ['bad default', { mapping: { ...base, schema: { a: { type: 'int', bring: '[A]', default: 'x' } } } }, /default "x"/],
    ['neither bring nor default', { mapping: { ...base, schema: { a: { type: 'int' } } } }, /needs "bring" or "default"/],
    ['unknown column key', { mapping: { ...base, schema: { a: { type: 'int', bring: '[A]', blob: true } } } }, /blob/],
    ['dynamic table', { mapping: { ...base, table: 'bring [Operation]' } }, /fixed name/],
    ['bad condition', { mapping: { ...base, condition: 'if Type is x' } }, /cannot parse condition/],
    ['bad column name', { mapping: { ...base, schema: { 'a b': { type: 'int', bring: '[A]' } } } }, /column 'a b'/]
  ]
  for (const [what, json, message] of cases) {
    it(what, () => {
      assert.throws(() => compileMapping(parseMappingPolicy(json)), (err: unknown) => {
        assert.ok(isFedlakeError(err, 'MAPPING_INVALID'), String(err))
        assert.match(err.message, message)
        return true
      })
    })
  }

  it('duplicate ids in one file and policies with no stream are refused', () => {
    assert.throws(() => parseMappingPolicies([{ mapping: base }, { mapping: base }]), /appears twice/)
    assert.throws(() => createKubeArmorMappings({ policies: [parseMappingPolicy({ mapping: base })] }), /which KubeArmor stream/)
  })
})

describe('user mapping files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fedlake-mapping-'))
  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('without a file the built-in policies apply', () => {
    assert.deepEqual(loadMappingPolicies().map(p => p.mapping.id), defaultKubeArmorPolicies().map(p => p.mapping.id))
  })

  it('a policy replaces the built-in one of its stream; the other streams keep theirs', () => {
    const file = join(dir, 'alerts.json')
    // EdgeLake's id implies the stream; a second policy names its stream explicitly
    writeFileSync(file, JSON.stringify([
      { mapping: { id: 'kubearmor-alert', dbms: 'kubearmor', table: 'alert', schema: { pod: { type: 'string', bring: '[PodName]' }, sev: { type: 'int', bring: '[Severity]', default: -1 } } } },
      { mapping: { id: 'blocked', stream: 'alerts', table: 'blocked', condition: "if [Action] == 'Block'", schema: { policy: { type: 'string', bring: '[PolicyName]' } } } }
    ]))
    const mappings = createKubeArmorMappings({ policies: loadMappingPolicies(file) })
    assert.deepEqual(mappings.byStream.alerts.map(m => m.id), ['kubearmor-alert', 'blocked'])
    assert.deepEqual(mappings.byStream.logs.map(m => m.id), ['kubearmor-logs'])
    assert.deepEqual(mappings.byStream.messages.map(m => m.id), ['kubearmor-message'])
    const [alert, blocked] = mappings.byStream.alerts as [CompiledMapping, CompiledMapping]
    assert.deepEqual(alert.map({ ...ALERT, Severity: '' }), [['wordpress-7c9f8d6b5-x2kqp', -1]])
    assert.deepEqual(blocked.map(ALERT), [['harden-wordpress-pkg-mngr-exec']])
    assert.deepEqual(blocked.map({ ...ALERT, Action: 'Audit' }), [])
  })

  it('a single policy object is accepted; broken files give MAPPING_INVALID naming the file', () => {
    const single = join(dir, 'single.json')
    writeFileSync(single, JSON.stringify({ mapping: { id: 'msgs', stream: 'messages', table: 'msg2', schema: { text: { type: 'string', bring: '[Message]' } } } }))
    assert.deepEqual(loadMappingPolicies(single, { dbms: 'other' }).map(p => `${p.mapping.id}:${p.mapping.dbms ?? ''}`),
      ['kubearmor-logs:other', 'kubearmor-alert:other', 'msgs:'])
    const broken = join(dir, 'broken.json')
    writeFileSync(broken, '{"mapping": ')
    assert.throws(() => loadMappingPolicies(broken), (err: unknown) => isFedlakeError(err, 'MAPPING_INVALID') && err.message.includes(broken) && /not valid JSON/.test(err.message))
    assert.throws(() => loadMappingPolicies(join(dir, 'absent.json')), /cannot read the mapping file/)
  })
})

describe('rejects table', () => {
  it('has the documented columns in the given dbms', () => {
    const schema = rejectsTableSchema('kubearmor')
    assert.equal(schema.table, 'rejects')
    assert.deepEqual(schema.columns.map(c => c.type), ['TIMESTAMP', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR'])
  })
})
