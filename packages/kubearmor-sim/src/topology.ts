/**
 * The simulated cluster: N nodes and M pods with stable identities (HostName, 32-hex NodeID,
 * 64-hex ContainerIDs, images pinned by digest) and a process table per pod and per node, so
 * PIDs, parents and exec ids stay consistent across events (process trees are reconstructable).
 */
import type { Podowner } from '@fedlake/core'
import { EXTERNAL_NAMES, HOST_PROCESSES, SERVICES, SHIM_PATH, WORKLOADS } from './catalog.js'
import type { HostProcessSpec, ProcessSpec, WorkloadSpec } from './catalog.js'
import { createMonotonicClock } from './clock.js'
import type { Clock } from './clock.js'
import { createRng } from './random.js'
import type { Rng, Seed } from './random.js'

export type Lsm = 'BPFLSM' | 'AppArmor'

/** One process as KubeArmor reports it: container-namespace PIDs plus host PIDs. */
export interface SimProcess {
  readonly path: string
  readonly cmdline: string
  readonly uid: number
  readonly pid: number
  readonly ppid: number
  readonly hostPid: number
  readonly hostPpid: number
  readonly parentPath: string
  readonly cwd: string
  readonly execId: string
  readonly comm: string
  readonly tty: string
}

export interface SimNode {
  readonly index: number
  readonly hostName: string
  readonly nodeId: string
  readonly ip: string
  /** The active LSM: Block alerts carry it as Enforcer, with LSM-specific Data. */
  readonly lsm: Lsm
  /** Monotonic epoch-microsecond clock of this node. */
  readonly now: Clock
  readonly hostProcesses: ReadonlyArray<{ readonly spec: HostProcessSpec, readonly proc: SimProcess }>
  allocHostPid(): number
  allocExecId(): string
}

export interface SimPod {
  readonly workload: WorkloadSpec
  readonly node: SimNode
  readonly name: string
  readonly namespace: string
  readonly owner: Readonly<Podowner>
  readonly labels: string
  readonly containerId: string
  readonly containerName: string
  readonly image: string
  readonly ip: string
  readonly shimHostPid: number
  readonly main: SimProcess
  readonly workers: readonly SimProcess[]
  allocPid(): number
}

export interface Topology {
  readonly cluster: string
  readonly nodes: readonly SimNode[]
  readonly pods: readonly SimPod[]
  /** IP of a peer target (`svc/ns/name`, `app/name` or a literal IP); undefined when the app has no pod. */
  resolve(target: string, rng: Rng): string | undefined
  /** What the relay appends as `remotehost=`: `pod/<ns>/<name>` or `svc/<ns>/<name>` for cluster IPs. */
  remoteHost(ip: string): string | undefined
  /** DNS name for an IP the cluster knows (services, external names). */
  dnsName(ip: string): string | undefined
}

export interface TopologyInit {
  seed: Seed
  cluster: string
  nodes: number
  pods: number
  clock: Clock
}

const K8S_ALNUM = 'bcdfghjklmnpqrstvwxz2456789'

function basename (path: string): string {
  const slash = path.lastIndexOf('/')
  return slash === -1 ? path : path.slice(slash + 1)
}

function hostNameOf (cluster: string, index: number): string {
  return cluster === 'default' ? `worker-${index + 1}` : `${cluster}-worker-${index + 1}`
}

function createNode (init: TopologyInit, index: number): SimNode {
  const rng = createRng(`${String(init.seed)}/${init.cluster}/node/${index}`)
  let nextHostPid = 100_000 + rng.int(300_000)
  let nextExecId = 1_078_688_820_000_000 + rng.int(1_000_000) * 1000
  const node = {
    index,
    hostName: hostNameOf(init.cluster, index),
    nodeId: rng.hex(32),
    ip: `192.168.49.${index + 2}`,
    lsm: (index % 3 === 2 ? 'AppArmor' : 'BPFLSM') as Lsm,
    now: createMonotonicClock(init.clock),
    hostProcesses: [] as Array<{ spec: HostProcessSpec, proc: SimProcess }>,
    allocHostPid: () => { nextHostPid += 1 + rng.int(40); return nextHostPid },
    allocExecId: () => { nextExecId += 1 + rng.int(5000); return String(nextExecId) }
  }
  // Host daemons run in the host PID namespace: PID == HostPID, small numbers for long-lived services.
  let daemonPid = 300 + rng.int(400)
  for (const spec of HOST_PROCESSES) {
    daemonPid += 50 + rng.int(900)
    const parentPid = spec.parent === '/usr/sbin/sshd' ? daemonPid - 3 : 1
    const pid = spec.interactive ? node.allocHostPid() : daemonPid
    node.hostProcesses.push({
      spec,
      proc: {
        path: spec.path,
        cmdline: spec.cmdline,
        uid: spec.uid,
        pid,
        ppid: parentPid,
        hostPid: pid,
        hostPpid: parentPid,
        parentPath: spec.parent,
        cwd: spec.cwd,
        execId: node.allocExecId(),
        comm: basename(spec.path),
        tty: spec.interactive ? 'pts0' : ''
      }
    })
  }
  return node
}

function podName (workload: WorkloadSpec, replica: number, rng: Rng, rsHash: string): string {
  switch (workload.owner) {
    case 'Deployment': return `${workload.app}-${rsHash}-${rng.chars(K8S_ALNUM, 5)}`
    case 'StatefulSet': return `${workload.app}-${replica}`
    case 'DaemonSet': return `${workload.app}-${rng.chars(K8S_ALNUM, 5)}`
    case 'CronJob': return `${workload.app}-${28_391_520 + replica * 60}-${rng.chars(K8S_ALNUM, 5)}`
  }
}

function processOf (spec: ProcessSpec, fields: Omit<SimProcess, 'path' | 'cmdline' | 'uid' | 'comm' | 'tty'>): SimProcess {
  return { path: spec.path, cmdline: spec.cmdline, uid: spec.uid, comm: basename(spec.path), tty: '', ...fields }
}

function createPod (init: TopologyInit, index: number, nodes: readonly SimNode[], rsHashes: Map<string, string>, replicas: Map<string, number>): SimPod {
  const rng = createRng(`${String(init.seed)}/${init.cluster}/pod/${index}`)
  const workload = WORKLOADS[index % WORKLOADS.length] as WorkloadSpec
  const node = nodes[index % nodes.length] as SimNode
  const replica = replicas.get(workload.app) ?? 0
  replicas.set(workload.app, replica + 1)
  let rsHash = rsHashes.get(workload.app)
  if (rsHash === undefined) {
    rsHash = rng.chars(K8S_ALNUM, 10)
    rsHashes.set(workload.app, rsHash)
  }
  const digest = createRng(`image/${workload.image}`).hex(64)
  let nextPid = 1
  const allocPid = (): number => { nextPid += 1 + rng.int(12); return nextPid }
  const shimHostPid = node.allocHostPid()
  const main = processOf(workload.main, {
    pid: 1,
    ppid: 0,
    hostPid: node.allocHostPid(),
    hostPpid: shimHostPid,
    parentPath: SHIM_PATH,
    cwd: workload.cwd,
    execId: node.allocExecId()
  })
  const workers = workload.workers.map(spec => processOf(spec, {
    pid: allocPid(),
    ppid: 1,
    hostPid: node.allocHostPid(),
    hostPpid: main.hostPid,
    parentPath: main.path,
    cwd: workload.cwd,
    execId: node.allocExecId()
  }))
  return {
    workload,
    node,
    name: podName(workload, replica, rng, rsHash),
    namespace: workload.namespace,
    owner: Object.freeze({ Ref: workload.owner, Name: workload.app, Namespace: workload.namespace }),
    labels: workload.labels,
    containerId: rng.hex(64),
    containerName: workload.container,
    image: `${workload.image}@sha256:${digest}`,
    ip: `10.244.${node.index}.${10 + Math.floor(index / Math.max(1, nodes.length))}`,
    shimHostPid,
    main,
    workers,
    allocPid
  }
}

export function createTopology (init: TopologyInit): Topology {
  if (!Number.isInteger(init.nodes) || init.nodes < 1) throw new RangeError('nodes must be an integer >= 1')
  if (!Number.isInteger(init.pods) || init.pods < 0) throw new RangeError('pods must be an integer >= 0')
  const nodes = Array.from({ length: init.nodes }, (_, i) => createNode(init, i))
  const rsHashes = new Map<string, string>()
  const replicas = new Map<string, number>()
  const pods = Array.from({ length: init.pods }, (_, i) => createPod(init, i, nodes, rsHashes, replicas))

  const serviceByKey = new Map(SERVICES.map(s => [s.key, s]))
  const remoteHosts = new Map<string, string>()
  const dnsNames = new Map<string, string>(Object.entries(EXTERNAL_NAMES))
  for (const s of SERVICES) { remoteHosts.set(s.ip, s.key); dnsNames.set(s.ip, s.dns) }
  for (const p of pods) remoteHosts.set(p.ip, `pod/${p.namespace}/${p.name}`)
  const podsByApp = new Map<string, SimPod[]>()
  for (const p of pods) podsByApp.set(p.workload.app, [...(podsByApp.get(p.workload.app) ?? []), p])

  return {
    cluster: init.cluster,
    nodes,
    pods,
    resolve (target, rng) {
      if (target.startsWith('svc/')) return serviceByKey.get(target)?.ip
      if (target.startsWith('app/')) {
        const candidates = podsByApp.get(target.slice(4))
        return candidates === undefined ? undefined : rng.pick(candidates).ip
      }
      return target
    },
    remoteHost: ip => remoteHosts.get(ip),
    dnsName: ip => dnsNames.get(ip)
  }
}
