import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { KubeArmorAlert, KubeArmorLog, KubeArmorMessage } from '@fedlake/core'
import { createEventGenerator, decodeEvent, deriveEventData, encodeEvent, logServiceDefinition, parseDataString, toGoJson } from '@fedlake/kubearmor-sim'
import type { GeneratedEvent } from '@fedlake/kubearmor-sim'
import { wireView } from './grpc-client.js'

/** A fake clock: 2026-01-01T00:00:00Z plus 137 µs per reading, so runs are fully reproducible. */
function fakeClock (): () => number {
  let t = Date.UTC(2026, 0, 1) * 1000
  return () => { t += 137; return t }
}

const UPDATED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
const HEX32 = /^[0-9a-f]{32}$/
const HEX64 = /^[0-9a-f]{64}$/
const ALERT_TYPES = new Set(['MatchedPolicy', 'MatchedHostPolicy', 'MatchedNetworkPolicy', 'SystemEvent'])
const ACTIONS = new Set(['Allow', 'Audit', 'Block', 'Audit (Allow)', 'Audit (Block)'])
const BLOCK_ENFORCERS = new Set(['BPFLSM', 'AppArmor', 'SELinux', 'NetworkPolicyEnforcer'])
const LOG_RESULTS = new Set(['Passed', 'Permission denied', 'Operation not permitted', 'No such file or directory', 'Operation now in progress', 'Connection refused'])
const OWNER_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'])

describe('event generator', () => {
  const generator = createEventGenerator({ seed: 42, nodes: 3, pods: 11, debug: true, relay: true, clock: fakeClock() })
  const events = generator.take(6000)
  const logs = events.filter((e): e is Extract<GeneratedEvent, { stream: 'logs' }> => e.stream === 'logs').map(e => e.event)
  const alerts = events.filter((e): e is Extract<GeneratedEvent, { stream: 'alerts' }> => e.stream === 'alerts').map(e => e.event)
  const messages = events.filter((e): e is Extract<GeneratedEvent, { stream: 'messages' }> => e.stream === 'messages').map(e => e.event)
  const telemetry: Array<KubeArmorLog | KubeArmorAlert> = [...logs, ...alerts]

  it('is deterministic for a seed and clock, and differs for another seed', () => {
    const a = createEventGenerator({ seed: 'x', clock: fakeClock() }).take(300)
    const b = createEventGenerator({ seed: 'x', clock: fakeClock() }).take(300)
    const c = createEventGenerator({ seed: 'y', clock: fakeClock() }).take(300)
    assert.deepEqual(a, b)
    assert.notDeepEqual(a, c)
  })

  it('mixes streams log-heavy, mostly File, alerts a minority, messages only with debug', () => {
    assert.ok(logs.length > 0.8 * events.length, `logs ${logs.length}`)
    assert.ok(alerts.length > 0.05 * events.length && alerts.length < 0.2 * events.length, `alerts ${alerts.length}`)
    assert.ok(messages.length > 0 && messages.length < 0.05 * events.length, `messages ${messages.length}`)
    const files = logs.filter(l => l.Operation === 'File').length
    assert.ok(files > 0.5 * logs.length, `File logs ${files} of ${logs.length}`)
    for (const op of ['Process', 'Network', 'Syscall']) assert.ok(logs.some(l => l.Operation === op), op)
    const quiet = createEventGenerator({ seed: 42 }).take(3000)
    assert.equal(quiet.filter(e => e.stream === 'messages').length, 0)
    assert.deepEqual(createEventGenerator({ mix: { alerts: 0 } }).streams, ['logs'])
  })

  it('keeps Timestamp and UpdatedTime on the same instant, never 0, monotonic per node', () => {
    const lastByHost = new Map<string, string>()
    for (const { event } of events) {
      assert.ok(Number.isInteger(event.Timestamp) && (event.Timestamp as number) > 1_700_000_000)
      assert.match(event.UpdatedTime as string, UPDATED_TIME)
      assert.equal(Math.floor(Date.parse(event.UpdatedTime as string) / 1000), event.Timestamp)
      const last = lastByHost.get(event.HostName as string)
      if (last !== undefined) assert.ok((event.UpdatedTime as string) > last, `${event.UpdatedTime as string} after ${last}`)
      lastByHost.set(event.HostName as string, event.UpdatedTime as string)
    }
    assert.equal(lastByHost.size, 3)
  })

  it('routes by Type and gives every node a stable HostName and 32-hex NodeID', () => {
    const nodeIds = new Map<string, string>()
    for (const e of logs) assert.ok(e.Type === 'ContainerLog' || e.Type === 'HostLog', e.Type)
    for (const e of alerts) assert.ok(ALERT_TYPES.has(e.Type as string), e.Type)
    for (const e of messages) {
      assert.equal(e.Type, 'Message')
      assert.ok(['INFO', 'DEBUG', 'WARN', 'ERROR'].includes(e.Level as string))
      assert.match(e.HostIP as string, /^\d+\.\d+\.\d+\.\d+$/)
    }
    for (const e of telemetry) {
      assert.equal(e.ClusterName, 'default')
      assert.match(e.NodeID as string, HEX32)
      const known = nodeIds.get(e.HostName as string)
      if (known !== undefined) assert.equal(e.NodeID, known)
      nodeIds.set(e.HostName as string, e.NodeID as string)
    }
    assert.deepEqual([...nodeIds.keys()].sort(), generator.topology.nodes.map(n => n.hostName).sort())
  })

  it('gives container events pod identity and host events a UserName and no pod fields', () => {
    let containers = 0
    let hosts = 0
    for (const e of telemetry) {
      const host = e.Type === 'HostLog' || e.Type === 'MatchedHostPolicy'
      if (host) {
        hosts++
        for (const field of ['NamespaceName', 'PodName', 'Owner', 'Labels', 'ContainerID', 'ContainerName', 'ContainerImage'] as const) assert.equal(e[field], undefined, field)
        assert.equal(typeof e.UserName, 'string')
        assert.equal(e.PID, e.HostPID)
        assert.equal(e.PPID, e.HostPPID)
      } else {
        containers++
        assert.equal(e.UserName, undefined)
        assert.match(e.ContainerID as string, HEX64)
        assert.match(e.ContainerImage as string, /@sha256:[0-9a-f]{64}$/)
        assert.match(e.Labels as string, /^[^=,]+=[^=,]*(,[^=,]+=[^=,]*)*$/)
        assert.ok(OWNER_KINDS.has(e.Owner?.Ref as string))
        assert.equal(e.Owner?.Namespace, e.NamespaceName)
        assert.ok((e.PID as number) < 1000 && (e.HostPID as number) >= 100_000, `PID ${e.PID} HostPID ${e.HostPID}`)
      }
      assert.ok((e.Cwd as string).endsWith('/'), e.Cwd)
      assert.ok(e.TTY === undefined || e.TTY === 'pts0')
      assert.match(e.ExecEvent?.ExecID as string, /^\d+$/)
    }
    assert.ok(containers > 0 && hosts > 0)
    assert.ok(logs.some(e => e.Operation === 'Process' && e.TTY === 'pts0'), 'interactive exec events exist')
  })

  it('uses operation-specific Resource/Data formats with EventData derived as KubeArmor does', () => {
    for (const e of telemetry) {
      const data = e.Data ?? ''
      switch (e.Operation) {
        case 'File': assert.match(data, /^(syscall=SYS_(OPENAT fd=-?\d+ flags=|OPEN flags=|UNLINKAT flags=|FCHOWNAT userid=|CLOSE fd=)|lsm=FILE_)/); break
        case 'Process':
          assert.match(data, /^(syscall=SYS_EXECVE(AT fd=\d+ flag=\d+)?$|lsm=SECURITY_BPRM_CHECK$)/)
          assert.equal((e.Resource as string).split(' ')[0], e.ProcessName)
          break
        case 'Network': assert.match(data, /^(syscall=SYS_(SOCKET|CONNECT|BIND|LISTEN|ACCEPT)|kprobe=tcp_(connect|accept) domain=AF_INET|kfunc=UDP_SENDSKB domain=\S+ daddr=\S+ qtype=(A|AAAA)|lsm=SOCKET_)/); break
        case 'Syscall': assert.match(data, /^syscall=SYS_SET[UG]ID userid=\d+$/); break
        case 'Capabilities': assert.match(data, /^lsm=CAPABLE CAP_/); break
        case 'NetworkFirewall': assert.ok(e.Resource === 'EGRESS' || e.Resource === 'INGRESS'); break
        default: assert.fail(`unexpected Operation ${String(e.Operation)}`)
      }
      // The relay appends remotehost= after the daemon derived EventData: recompute without it.
      const resource = (e.Resource ?? '').replace(/ remotehost=\S+$/, '')
      assert.deepEqual(e.EventData, deriveEventData(e.Operation as string, data, resource))
      if (e.EventData !== undefined) assert.equal(e.EventData.Remotehost, undefined)
    }
    assert.deepEqual(parseDataString('syscall=SYS_OPENAT fd=-100 flags=O_RDONLY|O_CLOEXEC'), { Syscall: 'SYS_OPENAT', Fd: '-100', Flags: 'O_RDONLY|O_CLOEXEC' })
    assert.deepEqual(deriveEventData('Network', 'kprobe=tcp_connect domain=AF_INET', 'remoteip=10.0.0.5 port=443 protocol=TCP'),
      { Kprobe: 'tcp_connect', Domain: 'AF_INET', Remoteip: '10.0.0.5', Port: '443', Protocol: 'TCP' })
    assert.deepEqual(deriveEventData('File', 'lsm=CAPABLE CAP_NET_RAW', '/x'), { Lsm: 'CAPABLE' })
    assert.equal(deriveEventData('File', '', '/etc/passwd'), undefined)
  })

  it('appends the relay remotehost only to tcp_ network logs', () => {
    const enriched = logs.filter(l => l.Resource?.includes(' remotehost='))
    assert.ok(enriched.length > 0)
    for (const l of enriched) {
      assert.match(l.Data as string, /tcp_/)
      assert.match(l.Resource as string, / remotehost=(pod|svc)\/[^/\s]+\/\S+$/)
    }
    const daemon = createEventGenerator({ seed: 42, clock: fakeClock() }).take(3000)
    assert.ok(daemon.every(e => !(e.event as KubeArmorLog).Resource?.includes('remotehost=')))
  })

  it('keeps Result, Action, Enforcer, Severity and Tags consistent on alerts', () => {
    const severities = new Set<string>()
    for (const a of alerts) {
      assert.ok(ACTIONS.has(a.Action as string), a.Action)
      assert.ok(['Passed', 'Permission denied', 'Operation not permitted'].includes(a.Result as string), a.Result)
      if (a.Action === 'Block') {
        assert.ok(a.Result === 'Permission denied' || a.Result === 'Operation not permitted')
        assert.ok(BLOCK_ENFORCERS.has(a.Enforcer as string), a.Enforcer)
      } else {
        assert.equal(a.Result, 'Passed')
        assert.equal(a.Enforcer, 'eBPF Monitor')
      }
      assert.equal(a.KubeArmorVersion !== undefined, a.Enforcer === 'BPFLSM')
      if (a.Enforcer === 'BPFLSM' && a.Operation !== 'Syscall') assert.match(a.Data as string, /^lsm=/)
      if (a.PolicyName === 'DefaultPosture') {
        assert.equal(a.Severity, undefined)
        assert.equal(a.Tags, undefined)
        assert.equal(a.Message, undefined)
        assert.ok(['Block', 'Audit', 'Audit (Block)'].includes(a.Action as string))
      } else {
        assert.match(a.Severity as string, /^([1-9]|10)$/)
        severities.add(a.Severity as string)
        assert.equal(a.Tags, a.ATags?.join(','))
        assert.ok((a.Message as string).length > 0)
      }
      if (a.Type === 'MatchedNetworkPolicy') assert.equal(a.Enforcer, 'NetworkPolicyEnforcer')
    }
    assert.ok(severities.size >= 6, `severities ${[...severities].join(',')}`)
    assert.ok(new Set(alerts.map(a => a.PolicyName)).size >= 8)
    for (const result of new Set(logs.map(l => l.Result))) assert.ok(LOG_RESULTS.has(result as string), result)
  })

  it('encodes to protobuf that proto-loader decodes to the same event', () => {
    const method = { logs: 'WatchLogs', alerts: 'WatchAlerts', messages: 'WatchMessages' } as const
    const definition = logServiceDefinition()
    for (const { stream, event } of events.slice(0, 2500)) {
      const bytes = encodeEvent(stream, event)
      assert.deepEqual(wireView(decodeEvent(stream, bytes)), wireView(event))
      // protobufjs (which also writes explicit zeros) decodes to the same thing
      const reference = definition[method[stream]]!.responseSerialize(event) as Buffer
      assert.deepEqual(wireView(decodeEvent(stream, reference)), wireView(decodeEvent(stream, bytes)))
    }
    // Non-ASCII and negative numbers take the general path.
    const odd: KubeArmorLog = { Timestamp: 1, Resource: '/tmp/ünïcødé ✓', PID: -1, EventData: { Kéy: 'välue' } }
    assert.deepEqual(decodeEvent('logs', encodeEvent('logs', odd)), { ...odd })
  })

  it('prints Go-style JSON: proto order, omitempty except PPID/UID, sorted map keys, HTML-safe escapes', () => {
    const message: KubeArmorMessage = { Timestamp: 5, UpdatedTime: 't', Type: 'Message', Message: 'a<b>&c' }
    assert.equal(toGoJson('messages', message), '{"Timestamp":5,"UpdatedTime":"t","Type":"Message","Message":"a\\u003cb\\u003e\\u0026c"}')
    const log: KubeArmorLog = { Timestamp: 7, HostName: 'h', Owner: { Ref: 'Deployment' }, PID: 1, PPID: 0, EventData: { b: '2', a: '1' }, ExecEvent: {}, Result: '' }
    assert.equal(toGoJson('logs', log), '{"Timestamp":7,"HostName":"h","Owner":{"Ref":"Deployment"},"PPID":0,"PID":1,"UID":0,"EventData":{"a":"1","b":"2"},"ExecEvent":{}}')
    const alert = alerts.find(a => a.ATags !== undefined) as KubeArmorAlert
    const parsed = JSON.parse(toGoJson('alerts', alert)) as Record<string, unknown>
    assert.deepEqual(parsed, JSON.parse(JSON.stringify(alert)))
    assert.deepEqual(Object.keys(parsed).slice(0, 4), ['Timestamp', 'UpdatedTime', 'ClusterName', 'HostName'])
  })

  it('emulates alert throttling when asked: one AlertThreshold, then silence for the container', () => {
    assert.ok(alerts.every(a => a.Type !== 'SystemEvent'), 'off by default')
    const g = createEventGenerator({ seed: 9, mix: { logs: 0, alerts: 1 }, throttle: { maxAlertsPerSec: 3, throttleSec: 2 }, clock: fakeClock() })
    const stream = g.take(4000).map(e => e.event as KubeArmorAlert)
    const thresholds = stream.filter(a => a.Type === 'SystemEvent')
    assert.ok(thresholds.length > 0)
    const eligible = (a: KubeArmorAlert): boolean => (a.Action ?? '').includes('Audit') && a.Enforcer === 'eBPF Monitor'
    for (const t of thresholds) {
      assert.equal(t.Operation, 'AlertThreshold')
      assert.equal(t.MaxAlertsPerSec, 3)
      assert.equal(t.DroppingAlertsInterval, 2)
      assert.equal(t.Result, 'Passed')
      for (const absent of ['Resource', 'Data', 'PolicyName', 'Severity', 'Action'] as const) assert.equal(t[absent], undefined, absent)
      if (t.ContainerID === undefined) continue
      assert.ok(t.PodName !== undefined && t.NamespaceName !== undefined)
      const at = Date.parse(t.UpdatedTime as string)
      const silenced = stream.filter(a => a.ContainerID === t.ContainerID && eligible(a) && Date.parse(a.UpdatedTime as string) > at && Date.parse(a.UpdatedTime as string) < at + 1000)
      assert.equal(silenced.length, 0, `audit alerts of ${t.ContainerID} right after its threshold`)
    }
    assert.ok(stream.some(a => a.Action === 'Block'), 'Block alerts are not throttled')
  })

  it('works without pods (host events only) and with a custom cluster', () => {
    const g = createEventGenerator({ pods: 0, nodes: 1, cluster: 'edge-7', clock: fakeClock() })
    for (const { event } of g.take(500)) {
      assert.equal(event.ClusterName, 'edge-7')
      assert.equal((event as KubeArmorLog).PodName, undefined)
      assert.equal(event.HostName, 'edge-7-worker-1')
    }
  })
})
