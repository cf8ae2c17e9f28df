/**
 * Seeded random KubeArmor rows for the differential tests: the built-in `logs` and `alert` schemas of the operator's
 * mapping policies, three operators with disjoint rows (the third holds no alerts), many NULLs, skewed groups, and
 * timestamps over five weeks, unique to the microsecond (so arg_min/arg_max by timestamp and ORDER BY timestamp are
 * deterministic). Pod names are dealt so that each operator's own top 3 by count differs from the network's.
 */
import type { TableSchema } from '@fedlake/core'
import { createKubeArmorMappings } from '@fedlake/operator'
import type { Cell, Row } from './answers.js'

export const DBMS = 'kubearmor'
/** 2026-03-02 00:00:00 UTC, a Monday; rows span START to START + 35 days. */
export const START_MS = Date.UTC(2026, 2, 2)
export const SPAN_DAYS = 35
/** now() in the tests: a little after the last row. */
export const NOW = new Date(START_MS + (SPAN_DAYS + 1) * 86_400_000)

export function kubeArmorSchemas (): { logs: TableSchema, alert: TableSchema } {
  const mappings = createKubeArmorMappings({ dbms: DBMS })
  return { logs: (mappings.byStream.logs[0] as { schema: TableSchema }).schema, alert: (mappings.byStream.alerts[0] as { schema: TableSchema }).schema }
}

/** mulberry32: small, fast, good enough for test data. */
export function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export type Random = () => number
export const pick = <T>(rnd: Random, values: readonly T[]): T => values[Math.floor(rnd() * values.length)] as T
const maybe = <T>(rnd: Random, nullShare: number, value: () => T): T | null => rnd() < nullShare ? null : value()

/** Exact pod counts per operator (logs); the rest of each operator's rows get the minor pods or NULL. */
const POD_COUNTS: readonly Readonly<Record<string, number>>[] = [
  { 'pod-a': 60, 'pod-b': 50, 'pod-c': 45, 'pod-x': 40, 'pod-e': 35 },
  { 'pod-x': 65, 'pod-e': 55, 'pod-f': 50, 'pod-a': 40, 'pod-b': 10 },
  { 'pod-g': 60, 'pod-x': 55, 'pod-e': 50, 'pod-a': 20 }
]
const LOG_ROWS = [300, 300, 250]
const ALERT_ROWS = [220, 160, 0]
const MINOR_PODS = ['pod-d', 'pod-h', 'pod-i', null]

export interface GeneratedData {
  readonly schemas: { readonly logs: TableSchema, readonly alert: TableSchema }
  /** rows[operator][table] */
  readonly rows: readonly Readonly<Record<string, readonly Row[]>>[]
}

export function generateKubeArmorData (seed: number): GeneratedData {
  const rnd = random(seed)
  const schemas = kubeArmorSchemas()
  const usedTimestamps = new Set<number>()
  const timestampMicros = (): number => {
    for (;;) {
      const us = START_MS * 1000 + Math.floor(rnd() * SPAN_DAYS * 86_400_000_000)
      if (!usedTimestamps.has(us)) { usedTimestamps.add(us); return us }
    }
  }
  const rows = LOG_ROWS.map((logCount, op) => {
    const pods: (string | null)[] = []
    for (const [pod, n] of Object.entries(POD_COUNTS[op] as Record<string, number>)) for (let i = 0; i < n; i++) pods.push(pod)
    while (pods.length < logCount) pods.push(MINOR_PODS[pods.length % MINOR_PODS.length] ?? null)
    shuffle(rnd, pods)
    const logs = pods.map(pod => row(schemas.logs, eventValues(rnd, timestampMicros(), pod, op)))
    const alerts = Array.from({ length: ALERT_ROWS[op] as number }, () => row(schemas.alert, eventValues(rnd, timestampMicros(), pick(rnd, ['pod-a', 'pod-b', 'pod-x', 'pod-e', 'pod-g', null]), op)))
    return { logs, alert: alerts }
  })
  return { schemas, rows }
}

/** A row of `schema` from named values (the others NULL). */
export function row (schema: TableSchema, values: Readonly<Record<string, Cell>>): Row {
  return schema.columns.map(c => values[c.name] ?? null)
}

function shuffle<T> (rnd: Random, list: T[]): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    const tmp = list[i] as T
    list[i] = list[j] as T
    list[j] = tmp
  }
}

/** 'YYYY-MM-DD HH:MM:SS.ffffff' of epoch microseconds. */
export function timestampText (us: number): string {
  const ms = Math.floor(us / 1000)
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${String(us % 1_000_000).padStart(6, '0')}`
}

function eventValues (rnd: Random, us: number, pod: string | null, op: number): Record<string, Cell> {
  const int = (max: number): number => 1 + Math.floor(rnd() * max)
  return {
    timestamp: rnd() < 0.02 ? null : timestampText(us),
    updated_timestamp: maybe(rnd, 0.1, () => timestampText(us + int(5_000_000))),
    cluster_name: maybe(rnd, 0.1, () => pick(rnd, ['edge-a', 'edge-b', `edge-op${op}`])),
    hostname: maybe(rnd, 0.1, () => pick(rnd, ['node-1', 'node-2', 'node-3', 'node-4', 'node-5'])),
    namespace: maybe(rnd, 0.25, () => pick(rnd, ['default', 'kube-system', 'prod', 'dev'])),
    owner_ref: maybe(rnd, 0.3, () => pick(rnd, ['Deployment', 'DaemonSet', 'StatefulSet'])),
    owner_name: maybe(rnd, 0.3, () => pick(rnd, ['web', 'api', 'db', 'cache'])),
    owner_namespace: maybe(rnd, 0.3, () => pick(rnd, ['default', 'prod'])),
    pod_name: pod,
    labels: maybe(rnd, 0.5, () => pick(rnd, ['app=web', 'app=api,tier=backend', 'app=db'])),
    container_id: maybe(rnd, 0.2, () => `c${int(40)}`),
    container_name: maybe(rnd, 0.2, () => pick(rnd, ['nginx', 'envoy', 'postgres', 'redis'])),
    container_image: maybe(rnd, 0.2, () => pick(rnd, ['nginx:1.27', 'envoy:1.30', 'postgres:16', 'redis:7'])),
    host_ppid: maybe(rnd, 0.1, () => int(65_000)),
    host_pid: maybe(rnd, 0.1, () => int(65_000)),
    ppid: maybe(rnd, 0.15, () => int(2_000)),
    pid: maybe(rnd, 0.15, () => rnd() < 0.02 ? 2_000_000_000 + int(100_000_000) : int(50_000)),
    uid: maybe(rnd, 0.2, () => pick(rnd, [0, 0, 1000, 65534])),
    parent_process_name: maybe(rnd, 0.2, () => pick(rnd, ['/bin/sh', '/bin/bash', '/usr/bin/containerd-shim'])),
    process_name: maybe(rnd, 0.1, () => pick(rnd, ['/usr/bin/curl', '/bin/cat', '/usr/sbin/nginx', '/bin/ls', '/usr/bin/python3'])),
    policy_name: maybe(rnd, 0.2, () => pick(rnd, ['block-shell', 'audit-etc', 'deny-curl'])),
    severity: maybe(rnd, 0.2, () => int(10)),
    tag: maybe(rnd, 0.4, () => pick(rnd, ['MITRE', 'NIST', 'CIS'])),
    atag: maybe(rnd, 0.6, () => pick(rnd, ['T1059', 'T1105'])),
    message: maybe(rnd, 0.2, () => pick(rnd, ['Alert! shell executed', "Alert! 'etc' read", 'Alert! curl blocked'])),
    type: maybe(rnd, 0.05, () => pick(rnd, ['MatchedPolicy', 'ContainerLog', 'HostLog'])),
    source: maybe(rnd, 0.2, () => pick(rnd, ['/bin/sh', '/usr/bin/curl', 'nginx'])),
    operation: maybe(rnd, 0.1, () => pick(rnd, ['File', 'File', 'Process', 'Network', 'Syscall'])),
    resource: maybe(rnd, 0.2, () => pick(rnd, ['/etc/passwd', '/etc/shadow', '/tmp/x', 'example.com:443'])),
    data: maybe(rnd, 0.5, () => `flags=${int(8)}`),
    enforcer: maybe(rnd, 0.3, () => pick(rnd, ['AppArmor', 'BPFLSM'])),
    action: maybe(rnd, 0.2, () => pick(rnd, ['Block', 'Audit', 'Allow'])),
    result: maybe(rnd, 0.15, () => pick(rnd, ['Passed', 'Passed', 'Permission denied', 'No such file or directory'])),
    cwd: maybe(rnd, 0.3, () => pick(rnd, ['/', '/app', '/tmp'])),
    tty: maybe(rnd, 0.7, () => 'pts0'),
    node_id: maybe(rnd, 0.3, () => `n${int(6)}`),
    user_name: maybe(rnd, 0.3, () => pick(rnd, ['root', 'www-data', 'app']))
  }
}
