/**
 * The realistic event generator: KubeArmor Log, Alert and Message events for a simulated cluster,
 * deterministic for a seed (apart from time, which comes from the clock). Usable without a server:
 * `createEventGenerator({ seed: 1 }).take(1000)`.
 *
 * Invariants kept (shared/reference/kubearmor.md §2, §7.13-7.15): see docs/kubearmor-simulator.md.
 */
import type { KubeArmorAlert, KubeArmorEventBase, KubeArmorLog, KubeArmorMessage, KubeArmorStream } from '@fedlake/core'
import { DEFAULT_POSTURE, HOST_USERS, KUBEARMOR_VERSION, MESSAGES, POLICIES, SHIM_PATH } from './catalog.js'
import type { HostProcessSpec, MessageLevel, PeerSpec, PolicySpec } from './catalog.js'
import { epochSeconds, formatUpdatedTime, wallClock } from './clock.js'
import type { Clock } from './clock.js'
import { deriveEventData, relayRemoteHost } from './event-data.js'
import { createRng, weighted } from './random.js'
import type { Rng, Seed, WeightedPicker } from './random.js'
import { createTopology } from './topology.js'
import type { SimNode, SimPod, SimProcess, Topology } from './topology.js'

export type GeneratedEvent =
  | { readonly stream: 'logs', readonly event: KubeArmorLog }
  | { readonly stream: 'alerts', readonly event: KubeArmorAlert }
  | { readonly stream: 'messages', readonly event: KubeArmorMessage }

export type StreamMix = Readonly<Record<KubeArmorStream, number>>

export interface EventGeneratorInit {
  /** @default 1 */
  seed?: Seed
  /** Simulated nodes. @default 2 */
  nodes?: number
  /** Simulated pods, spread round-robin over the nodes. @default 8 */
  pods?: number
  /** ClusterName. @default 'default' */
  cluster?: string
  /** Produce Message events (KubeArmor sends them only with --debug). @default false */
  debug?: boolean
  /**
   * Relative weights of the streams. @default { logs: 0.9, alerts: 0.1, messages: 0.01 }
   * `messages` counts only when `debug` is on.
   */
  mix?: Partial<Record<KubeArmorStream, number>>
  /** Share of HostLog among logs. @default 0.12 */
  hostLogShare?: number
  /** Append the relay's ` remotehost=` to Resource of tcp_ network logs. @default false */
  relay?: boolean
  /** Epoch-microsecond clock. @default the wall clock */
  clock?: Clock
  /**
   * KubeArmor's alert throttling (alertThrottling=true): per container, Audit alerts from the eBPF
   * Monitor (and host alerts from AppArmor/eBPF Monitor) beyond maxAlertsPerSec within one second
   * are replaced by one SystemEvent/AlertThreshold alert, then suppressed for throttleSec.
   * `true` uses KubeArmor's defaults (10 per second, 30 s). @default false (KubeArmor's default)
   */
  throttle?: boolean | { maxAlertsPerSec?: number, throttleSec?: number }
}

export interface EventGenerator extends Iterable<GeneratedEvent> {
  readonly topology: Topology
  /** Normalised stream weights (sum 1); a stream with weight 0 never gets events. */
  readonly mix: StreamMix
  /** Streams with a weight above 0. */
  readonly streams: readonly KubeArmorStream[]
  /** The next event, stream chosen by the mix. */
  generate(): GeneratedEvent
  /** The next event of one stream (ignores the mix). */
  generateOf(stream: KubeArmorStream): GeneratedEvent
  take(count: number): GeneratedEvent[]
}

const DEFAULT_MIX = { logs: 0.9, alerts: 0.1, messages: 0.01 } as const

type ContainerOp = 'File' | 'Process' | 'Network' | 'Syscall'
const pickContainerOp: WeightedPicker<ContainerOp> = weighted([['File', 0.66], ['Process', 0.12], ['Network', 0.2], ['Syscall', 0.02]])
const pickReadFlags = weighted([['O_RDONLY|O_CLOEXEC', 0.7], ['O_RDONLY', 0.15], ['O_RDONLY|O_NONBLOCK|O_CLOEXEC', 0.1], ['O_RDWR|O_CLOEXEC', 0.05]] as const)
const pickWriteFlags = weighted([['O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC', 0.45], ['O_RDWR|O_CREAT|O_CLOEXEC', 0.3], ['O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC', 0.25]] as const)
const pickMessage = weighted(MESSAGES.map(([level, text, weight]) => [[level, text] as const, weight] as const))
const WRITE_PATH = /(\/log|\/tmp\/|\/wal\/|\/data\/|\.rdb$|\.aof$|\.ibd$|ib_logfile|ibdata|\/backup\/|sess_|cache|journal|history|chunks_head|\.sock$|xtables)/

function basename (path: string): string {
  const slash = path.lastIndexOf('/')
  return slash === -1 ? path : path.slice(slash + 1)
}

function firstToken (command: string): string {
  const space = command.indexOf(' ')
  return space === -1 ? command : command.slice(0, space)
}

/** Go map iteration order is random, and so is the order of sockaddr keys in KubeArmor's Resource. */
function sockaddr (rng: Rng, family: string, port: number, addr: string): string {
  const parts = [`sa_family=${family}`, `sin_port=${port}`, `sin_addr=${addr}`]
  for (let i = parts.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const t = parts[i] as string
    parts[i] = parts[j] as string
    parts[j] = t
  }
  return parts.join(' ')
}

interface Actor {
  readonly node: SimNode
  readonly pod?: SimPod
  readonly proc: SimProcess
}

function normaliseMix (init: EventGeneratorInit): StreamMix {
  const debug = init.debug ?? false
  const raw = { ...DEFAULT_MIX, ...(init.mix ?? {}) }
  const weights = { logs: Math.max(0, raw.logs), alerts: Math.max(0, raw.alerts), messages: debug ? Math.max(0, raw.messages) : 0 }
  const total = weights.logs + weights.alerts + weights.messages
  if (!(total > 0)) throw new RangeError('the stream mix gives no stream a weight above 0')
  return Object.freeze({ logs: weights.logs / total, alerts: weights.alerts / total, messages: weights.messages / total })
}

export function createEventGenerator (init: EventGeneratorInit = {}): EventGenerator {
  const seed = init.seed ?? 1
  const cluster = init.cluster ?? 'default'
  const relay = init.relay ?? false
  const hostLogShare = init.hostLogShare ?? 0.12
  const topology = createTopology({ seed, cluster, nodes: init.nodes ?? 2, pods: init.pods ?? 8, clock: init.clock ?? wallClock })
  const rng = createRng(`${String(seed)}/${cluster}/events`)
  const mix = normaliseMix(init)
  const streams = (['logs', 'alerts', 'messages'] as const).filter(s => mix[s] > 0)
  const pickStream = weighted(streams.map(s => [s, mix[s]] as const))
  const { nodes, pods } = topology
  const shells = new Map<SimPod, SimProcess>()
  const throttle = init.throttle === undefined || init.throttle === false
    ? undefined
    : { maxAlertsPerSec: 10, throttleSec: 30, ...(init.throttle === true ? {} : init.throttle) }
  const throttleState = new Map<string, { first: number, count: number, throttled: boolean }>()
  let lastMicros = 0

  const applicable = POLICIES
    .map(policy => ({ policy, pods: policy.scope === 'host' ? [] : pods.filter(p => policy.apps === undefined || policy.apps.includes(p.workload.app)) }))
    .filter(entry => entry.policy.scope === 'host' || entry.pods.length > 0)
  const pickPolicy = weighted(applicable.map(entry => [entry, entry.policy.weight] as const))
  const pickHostProcess = weighted(nodes[0]!.hostProcesses.map((_hp, i) => [i, [40, 20, 12, 18, 10][i] ?? 5] as const))

  // ---- shared pieces --------------------------------------------------------------------------

  function stamp (node: SimNode): { Timestamp: number, UpdatedTime: string } {
    const micros = node.now()
    lastMicros = micros
    return { Timestamp: epochSeconds(micros), UpdatedTime: formatUpdatedTime(micros) }
  }

  function base (actor: Actor, type: string): KubeArmorEventBase {
    const { node, pod, proc } = actor
    const time = stamp(node)
    const event: KubeArmorEventBase = { Timestamp: time.Timestamp, UpdatedTime: time.UpdatedTime, ClusterName: cluster, HostName: node.hostName }
    if (pod !== undefined) {
      event.NamespaceName = pod.namespace
      event.Owner = pod.owner
      event.PodName = pod.name
      event.Labels = pod.labels
      event.ContainerID = pod.containerId
      event.ContainerName = pod.containerName
      event.ContainerImage = pod.image
    }
    event.HostPPID = proc.hostPpid
    event.HostPID = proc.hostPid
    event.PPID = proc.ppid
    event.PID = proc.pid
    event.UID = proc.uid
    event.ParentProcessName = proc.parentPath
    event.ProcessName = proc.path
    event.Type = type
    return event
  }

  /** Operation-specific fields, EventData derived as the feeder does, then the trailing identity fields. */
  function finish<T extends KubeArmorEventBase> (event: T, actor: Actor, fields: { operation: string, source: string, resource: string, data: string, result: string }): T {
    event.Source = fields.source
    event.Operation = fields.operation
    if (fields.resource !== '') event.Resource = fields.resource
    if (fields.data !== '') event.Data = fields.data
    const eventData = deriveEventData(fields.operation, fields.data, fields.resource)
    if (eventData !== undefined) event.EventData = eventData
    event.Result = fields.result
    event.Cwd = actor.proc.cwd
    if (actor.proc.tty !== '') event.TTY = actor.proc.tty
    event.ExecEvent = { ExecID: actor.proc.execId, ExecutableName: actor.proc.comm }
    event.NodeID = actor.node.nodeId
    if (actor.pod === undefined) {
      const user = HOST_USERS[actor.proc.uid]
      if (user !== undefined) event.UserName = user
    }
    return event
  }

  function shellOf (pod: SimPod, fresh: boolean): SimProcess {
    const existing = shells.get(pod)
    if (existing !== undefined && !fresh) return existing
    const shell: SimProcess = {
      path: pod.workload.shell,
      cmdline: pod.workload.shell,
      uid: 0,
      pid: pod.allocPid(),
      ppid: 0,
      hostPid: pod.node.allocHostPid(),
      hostPpid: pod.shimHostPid,
      parentPath: SHIM_PATH,
      cwd: pod.workload.cwd,
      execId: pod.node.allocExecId(),
      comm: basename(pod.workload.shell),
      tty: 'pts0'
    }
    shells.set(pod, shell)
    return shell
  }

  /** A new process exec'd by `parent` (container or host PID namespace). */
  function spawn (actor: Actor, parent: SimProcess, command: string, tty: string): SimProcess {
    const path = firstToken(command)
    const hostPid = actor.node.allocHostPid()
    const inContainer = actor.pod !== undefined
    return {
      path,
      cmdline: command,
      uid: parent.uid,
      pid: inContainer ? actor.pod.allocPid() : hostPid,
      ppid: parent.pid,
      hostPid,
      hostPpid: parent.hostPid,
      parentPath: parent.path,
      cwd: parent.cwd,
      execId: actor.node.allocExecId(),
      comm: basename(path).slice(0, 15),
      tty
    }
  }

  function podActor (pod: SimPod): Actor {
    const { main, workers } = pod
    const proc = workers.length > 0 && rng.chance(0.7) ? rng.pick(workers) : main
    return { node: pod.node, pod, proc }
  }

  function peerOf (pod: SimPod | undefined, peers: readonly PeerSpec[], protocol?: 'TCP' | 'UDP'): { ip: string, port: number, protocol: 'TCP' | 'UDP' } {
    const candidates = protocol === undefined ? peers : peers.filter(p => p.protocol === protocol)
    const peer = candidates.length > 0 ? rng.pick(candidates) : { target: 'svc/default/kubernetes', port: 443, protocol: 'TCP' as const }
    const ip = topology.resolve(peer.target, rng) ?? (pod === undefined ? '10.96.0.1' : '10.96.0.10')
    return { ip, port: peer.port, protocol: peer.protocol }
  }

  // ---- logs -----------------------------------------------------------------------------------

  function fileLog (actor: Actor, files: readonly string[], missing: readonly string[], type: string): KubeArmorLog {
    const event = base(actor, type)
    const isMissing = missing.length > 0 && rng.chance(0.06)
    const path = isMissing ? rng.pick(missing) : rng.pick(files)
    const writes = WRITE_PATH.test(path)
    const r = rng.next()
    let resource = path
    let data: string
    if (r < 0.04) {
      resource = ''
      data = `syscall=SYS_CLOSE fd=${3 + rng.int(40)}`
    } else if (r < 0.06 && writes) {
      data = 'syscall=SYS_UNLINKAT flags='
    } else if (r < 0.07) {
      data = `syscall=SYS_FCHOWNAT userid=${actor.proc.uid} group=${actor.proc.uid} mode=0`
    } else if (r < 0.2) {
      data = `syscall=SYS_OPEN flags=${writes ? pickWriteFlags(rng) : pickReadFlags(rng)}`
    } else {
      data = `syscall=SYS_OPENAT fd=-100 flags=${writes ? pickWriteFlags(rng) : pickReadFlags(rng)}`
    }
    const result = isMissing ? 'No such file or directory' : rng.chance(0.015) ? 'Permission denied' : 'Passed'
    return finish(event, actor, { operation: 'File', source: actor.proc.cmdline, resource, data, result })
  }

  function execLog (actor: Actor, parent: SimProcess, command: string, tty: string, type: string): KubeArmorLog {
    const child = spawn(actor, parent, command, tty)
    const childActor: Actor = { ...actor, proc: child }
    const event = base(childActor, type)
    const data = rng.chance(0.97) ? 'syscall=SYS_EXECVE' : `syscall=SYS_EXECVEAT fd=${3 + rng.int(10)} flag=0`
    const r = rng.next()
    const result = r < 0.02 ? 'No such file or directory' : r < 0.035 ? 'Permission denied' : 'Passed'
    return finish(event, childActor, { operation: 'Process', source: parent.path, resource: command, data, result })
  }

  function containerProcessLog (pod: SimPod): KubeArmorLog {
    const { workload } = pod
    if (workload.interactive.length > 0 && (workload.execs.length === 0 || rng.chance(0.4))) {
      const freshSession = !shells.has(pod) || rng.chance(0.05)
      const shell = shellOf(pod, freshSession)
      const actor: Actor = { node: pod.node, pod, proc: shell }
      if (freshSession) {
        return finish(base(actor, 'ContainerLog'), actor, { operation: 'Process', source: SHIM_PATH, resource: shell.path, data: 'syscall=SYS_EXECVE', result: 'Passed' })
      }
      return execLog(actor, shell, rng.pick(workload.interactive), 'pts0', 'ContainerLog')
    }
    if (workload.execs.length > 0) {
      // Exec probes are started by the runtime: parent outside the container, PPID 0.
      const runtime: SimProcess = { ...pod.main, path: SHIM_PATH, pid: 0, hostPid: pod.shimHostPid, uid: pod.main.uid }
      return execLog({ node: pod.node, pod, proc: pod.main }, runtime, rng.pick(workload.execs), '', 'ContainerLog')
    }
    return fileLog(podActor(pod), workload.files, workload.missing, 'ContainerLog')
  }

  function networkLog (actor: Actor, peers: readonly PeerSpec[], listenPort: number | undefined, type: string): KubeArmorLog {
    const event = base(actor, type)
    const fd = 3 + rng.int(30)
    const r = rng.next()
    let resource: string
    let data: string
    let result = 'Passed'
    if (r < 0.22 && peers.length > 0) {
      const peer = peerOf(actor.pod, peers)
      resource = sockaddr(rng, 'AF_INET', peer.port, peer.ip)
      data = `syscall=SYS_CONNECT fd=${fd}`
      const e = rng.next()
      if (e < 0.1) result = 'Operation now in progress'
      else if (e < 0.13) result = 'Connection refused'
    } else if (r < 0.47 && peers.some(p => p.protocol === 'TCP')) {
      const peer = peerOf(actor.pod, peers, 'TCP')
      resource = `remoteip=${peer.ip} port=${peer.port} protocol=TCP`
      data = 'kprobe=tcp_connect domain=AF_INET'
    } else if (r < 0.6 && listenPort !== undefined && pods.length > 0) {
      const clients = pods.length > 1 ? pods.filter(p => p !== actor.pod) : pods
      resource = `remoteip=${rng.pick(clients).ip} port=${listenPort} protocol=TCP`
      data = 'kprobe=tcp_accept domain=AF_INET'
    } else if (r < 0.76 && peers.length > 0) {
      const peer = peerOf(actor.pod, peers)
      const name = topology.dnsName(peer.ip) ?? 'kubernetes.default.svc.cluster.local'
      resource = 'sa_family=AF_INET sin_port=53'
      data = `kfunc=UDP_SENDSKB domain=${name} daddr=10.96.0.10 qtype=${rng.chance(0.8) ? 'A' : 'AAAA'}`
    } else if (r < 0.84 && listenPort !== undefined) {
      const kind = rng.int(3)
      if (kind === 0) {
        resource = sockaddr(rng, 'AF_INET', listenPort, '0.0.0.0')
        data = `syscall=SYS_BIND fd=${fd}`
      } else if (kind === 1) {
        resource = ''
        data = `syscall=SYS_LISTEN fd=${fd}`
      } else {
        resource = sockaddr(rng, 'AF_INET', 32768 + rng.int(28000), pods.length > 0 ? rng.pick(pods).ip : actor.node.ip)
        data = `syscall=SYS_ACCEPT fd=${fd}`
      }
    } else {
      const tcp = rng.chance(0.8)
      resource = tcp
        ? `domain=AF_INET type=SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC protocol=${rng.chance(0.7) ? 'TCP' : '0'}`
        : `domain=AF_INET type=SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC protocol=${rng.chance(0.7) ? 'UDP' : '0'}`
      data = 'syscall=SYS_SOCKET'
    }
    const log = finish(event, actor, { operation: 'Network', source: actor.proc.cmdline, resource, data, result })
    if (relay && log.Resource !== undefined && log.Data !== undefined) log.Resource = relayRemoteHost(log.Data, log.Resource, topology.remoteHost)
    return log
  }

  function syscallLog (actor: Actor, type: string): KubeArmorLog {
    const event = base(actor, type)
    const data = `syscall=${rng.chance(0.6) ? 'SYS_SETUID' : 'SYS_SETGID'} userid=${actor.proc.uid}`
    return finish(event, actor, { operation: 'Syscall', source: actor.proc.cmdline, resource: '', data, result: 'Passed' })
  }

  function containerLog (): KubeArmorLog {
    const pod = rng.pick(pods)
    switch (pickContainerOp(rng)) {
      case 'File': return fileLog(podActor(pod), pod.workload.files, pod.workload.missing, 'ContainerLog')
      case 'Process': return containerProcessLog(pod)
      case 'Network': return networkLog(podActor(pod), pod.workload.peers, pod.workload.listenPort, 'ContainerLog')
      case 'Syscall': return syscallLog(podActor(pod), 'ContainerLog')
    }
  }

  function hostLog (): KubeArmorLog {
    const node = rng.pick(nodes)
    const { spec, proc } = node.hostProcesses[pickHostProcess(rng)] as { spec: HostProcessSpec, proc: SimProcess }
    const actor: Actor = { node, proc }
    const r = rng.next()
    if (spec.execs.length > 0 && r < (spec.interactive ? 0.5 : 0.15)) return execLog(actor, proc, rng.pick(spec.execs), proc.tty, 'HostLog')
    if (spec.peers.length > 0 && r > 0.8) return networkLog(actor, spec.peers, undefined, 'HostLog')
    return fileLog(actor, spec.files, [], 'HostLog')
  }

  function log (): KubeArmorLog {
    return pods.length === 0 || rng.chance(hostLogShare) ? hostLog() : containerLog()
  }

  // ---- alerts ---------------------------------------------------------------------------------

  function matchedAlert (): { alert: KubeArmorAlert, node: SimNode } {
    const { policy, pods: targets } = pickPolicy(rng)
    if (policy.scope === 'host') {
      const node = rng.pick(nodes)
      const shell = node.hostProcesses.find(hp => hp.spec.interactive)?.proc ?? (node.hostProcesses[0] as { proc: SimProcess }).proc
      return { alert: policyAlert(policy, { node, proc: shell }, node.lsm), node }
    }
    const pod = rng.pick(targets)
    return { alert: policyAlert(policy, podActor(pod), pod.node.lsm), node: pod.node }
  }

  function alert (): KubeArmorAlert {
    if (throttle === undefined) return matchedAlert().alert
    // Suppressed alerts are not sent; try again (Block alerts are never throttled, so this ends).
    for (let attempt = 0; ; attempt++) {
      const { alert: candidate, node } = matchedAlert()
      const verdict = throttleVerdict(candidate)
      if (verdict === 'send' || attempt >= 100) return candidate
      if (verdict === 'threshold') return thresholdAlert(candidate, node)
    }
  }

  /** KubeArmor's ShouldDropAlertsPerContainer, per container (or per node for host alerts). */
  function throttleVerdict (candidate: KubeArmorAlert): 'send' | 'drop' | 'threshold' {
    if (throttle === undefined) return 'send'
    const audited = (candidate.Action ?? '').includes('Audit') && candidate.Enforcer === 'eBPF Monitor'
    const hostAlert = candidate.Type === 'MatchedHostPolicy' && (candidate.Enforcer === 'AppArmor' || candidate.Enforcer === 'eBPF Monitor')
    if (!audited && !hostAlert) return 'send'
    const key = candidate.ContainerID ?? `host/${candidate.HostName ?? ''}`
    const now = lastMicros
    const state = throttleState.get(key)
    if (state === undefined) {
      throttleState.set(key, { first: now, count: 1, throttled: false })
      return 'send'
    }
    if (state.throttled && now - state.first < throttle.throttleSec * 1_000_000) return 'drop'
    if (now - state.first >= 1_000_000) {
      state.first = now
      state.count = 1
      state.throttled = false
    } else {
      state.count++
    }
    if (state.count > throttle.maxAlertsPerSec) {
      state.count = 0
      state.throttled = true
      return 'threshold'
    }
    return 'send'
  }

  /** The SystemEvent KubeArmor sends once a container crosses the threshold (getting-started/alert_throttling.md). */
  function thresholdAlert (trigger: KubeArmorAlert, node: SimNode): KubeArmorAlert {
    const event: KubeArmorAlert = { Timestamp: trigger.Timestamp, UpdatedTime: trigger.UpdatedTime, ClusterName: cluster, HostName: trigger.HostName }
    if (trigger.ContainerID !== undefined) {
      event.NamespaceName = trigger.NamespaceName
      event.Owner = trigger.Owner
      event.PodName = trigger.PodName
      event.Labels = trigger.Labels
      event.ContainerID = trigger.ContainerID
      event.ContainerName = trigger.ContainerName
      event.ContainerImage = trigger.ContainerImage
    }
    event.PPID = 0
    event.UID = 0
    event.Type = 'SystemEvent'
    event.Operation = 'AlertThreshold'
    event.Enforcer = node.lsm
    event.Result = 'Passed'
    event.MaxAlertsPerSec = throttle?.maxAlertsPerSec
    event.DroppingAlertsInterval = throttle?.throttleSec
    event.NodeID = node.nodeId
    return event
  }

  function policyAlert (policy: PolicySpec, actor: Actor, lsm: string): KubeArmorAlert {
    const { match } = policy
    const blocked = policy.action === 'Block'
    const enforcer = match.kind === 'firewall' ? 'NetworkPolicyEnforcer' : blocked ? lsm : 'eBPF Monitor'
    const bpf = enforcer === 'BPFLSM'
    const host = actor.pod === undefined
    const type = match.kind === 'firewall' ? 'MatchedNetworkPolicy' : host ? 'MatchedHostPolicy' : 'MatchedPolicy'
    let subject = actor
    let operation: string
    let source: string
    let resource: string
    let data: string
    let result = blocked ? 'Permission denied' : 'Passed'
    const interactiveParent = (): SimProcess => host ? actor.proc : shellOf(actor.pod, false)

    switch (match.kind) {
      case 'exec': {
        const parent = match.interactive ? interactiveParent() : actor.proc
        const command = rng.pick(match.commands)
        subject = { ...actor, proc: spawn(actor, parent, command, match.interactive ? 'pts0' : '') }
        operation = 'Process'
        source = parent.path
        resource = command
        data = bpf ? 'lsm=SECURITY_BPRM_CHECK' : 'syscall=SYS_EXECVE'
        break
      }
      case 'file': {
        const path = rng.pick(match.paths)
        if (rng.chance(0.5)) {
          const tool = match.access === 'read' ? '/usr/bin/cat' : match.access === 'write' ? '/usr/bin/touch' : '/usr/bin/rm'
          subject = { ...actor, proc: spawn(actor, interactiveParent(), `${tool} ${path}`, 'pts0') }
        }
        operation = 'File'
        source = subject.proc.cmdline
        resource = path
        data = bpf
          ? (match.access === 'unlink' ? 'lsm=FILE_UNLINK' : 'lsm=FILE_OPEN')
          : match.access === 'read'
            ? 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY'
            : match.access === 'write' ? 'syscall=SYS_OPEN flags=O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK' : 'syscall=SYS_UNLINKAT flags='
        break
      }
      case 'socket':
        operation = 'Network'
        source = actor.proc.cmdline
        resource = match.resource
        data = bpf ? 'lsm=SOCKET_CREATE type=SOCK_STREAM' : 'syscall=SYS_SOCKET'
        break
      case 'connect': {
        const peer = peerOf(actor.pod, match.peers)
        operation = 'Network'
        source = actor.proc.cmdline
        if (peer.protocol === 'TCP') {
          resource = `remoteip=${peer.ip} port=${peer.port} protocol=TCP`
          data = 'kprobe=tcp_connect domain=AF_INET'
        } else {
          resource = sockaddr(rng, 'AF_INET', peer.port, peer.ip)
          data = `syscall=SYS_CONNECT fd=${3 + rng.int(30)}`
        }
        break
      }
      case 'syscall':
        if (host) subject = { ...actor, proc: spawn(actor, actor.proc, '/usr/bin/sudo -i', actor.proc.tty) }
        operation = 'Syscall'
        source = subject.proc.cmdline
        resource = ''
        data = match.data
        result = match.result
        break
      case 'capability': {
        const tcpdump = rng.chance(0.5)
        subject = { ...actor, proc: spawn(actor, interactiveParent(), tcpdump ? '/usr/sbin/tcpdump -i eth0' : '/usr/bin/ping -c 1 8.8.8.8', 'pts0') }
        source = subject.proc.cmdline
        if (bpf) {
          operation = 'Capabilities'
          resource = match.capability
          data = `lsm=CAPABLE ${match.capability}`
        } else {
          operation = 'Network'
          resource = tcpdump ? 'domain=AF_PACKET type=SOCK_RAW protocol=768' : 'domain=AF_INET type=SOCK_RAW protocol=ICMP'
          data = 'syscall=SYS_SOCKET'
          result = 'Operation not permitted'
        }
        break
      }
      case 'firewall':
        operation = 'NetworkFirewall'
        source = actor.proc.cmdline
        resource = rng.chance(0.7) ? 'EGRESS' : 'INGRESS'
        data = ''
        break
    }

    const event: KubeArmorAlert = base(subject, type)
    if (policy.name !== '') event.PolicyName = policy.name
    if (policy.severity !== undefined && policy.name !== DEFAULT_POSTURE) event.Severity = String(policy.severity)
    if (policy.tags !== undefined && policy.tags.length > 0) {
      event.Tags = policy.tags.join(',')
      event.ATags = [...policy.tags]
    }
    if (policy.message !== undefined) event.Message = policy.message
    finish(event, subject, { operation, source, resource, data, result })
    event.Enforcer = enforcer
    event.Action = policy.action
    if (bpf) event.KubeArmorVersion = KUBEARMOR_VERSION
    return event
  }

  // ---- messages -------------------------------------------------------------------------------

  function message (): KubeArmorMessage {
    const node = rng.pick(nodes)
    const [level, template] = pickMessage(rng) as readonly [MessageLevel, string]
    const pod = pods.length > 0 ? rng.pick(pods) : undefined
    const text = template
      .replace('{ns}', pod?.namespace ?? 'default')
      .replace('{pod}', pod?.name ?? node.hostName)
      .replace('{cid}', pod?.containerId.slice(0, 12) ?? 'unknown')
      .replace('{policy}', rng.pick(POLICIES).name)
    return { ...stamp(node), ClusterName: cluster, HostName: node.hostName, HostIP: node.ip, Type: 'Message', Level: level, Message: text }
  }

  const generateOf = (stream: KubeArmorStream): GeneratedEvent => {
    switch (stream) {
      case 'logs': return { stream, event: log() }
      case 'alerts': return { stream, event: alert() }
      case 'messages': return { stream, event: message() }
    }
  }

  const generator: EventGenerator = {
    topology,
    mix,
    streams,
    generate: () => generateOf(pickStream(rng)),
    generateOf,
    take: count => Array.from({ length: count }, () => generator.generate()),
    * [Symbol.iterator] () {
      for (;;) yield generator.generate()
    }
  }
  return generator
}
