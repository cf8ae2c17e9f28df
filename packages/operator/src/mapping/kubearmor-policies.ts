/**
 * The built-in mapping policies for KubeArmor's three streams: EdgeLake's kubearmor_alert.al,
 * kubearmor_log.al and kubearmor_message.al (reference/kubearmor.md §3.3) with their defects fixed
 * (design.md §3.3):
 * - `cwd` brings `[Cwd]` (EdgeLake: `[CWD]`, always empty);
 * - message `level` brings `[Level]` (EdgeLake: `[level]`, always empty);
 * - `logs` has `namespace`;
 * - absent text is '' instead of invented values (EdgeLake defaults hostname to 'minikube' and
 *   owner_ref to 'Deployment', wrong for host events);
 * - `resource` is stored as sent (no json_dump quoting);
 * - plus tty, node_id, user_name from newer KubeArmor versions.
 * Integers default to 0 (proto3 omits zero PIDs/UIDs); severity is an INTEGER from the string
 * Severity, 0 when absent or '' (DefaultPosture alerts carry none), as in EdgeLake.
 *
 * These are plain JSON documents; `fedlake` users replace them per stream with a mapping file.
 */
import type { KubeArmorStream } from '@fedlake/core'
import type { ColumnSpec, MappingPolicy } from './policy.js'
import { parseMappingPolicy } from './policy.js'

export const DEFAULT_KUBEARMOR_DBMS = 'kubearmor'

/** EdgeLake's policy ids; also the table each stream lands in. */
export const KUBEARMOR_POLICY_IDS: Readonly<Record<KubeArmorStream, string>> = {
  logs: 'kubearmor-logs',
  alerts: 'kubearmor-alert',
  messages: 'kubearmor-message'
}

export const KUBEARMOR_TABLES: Readonly<Record<KubeArmorStream, string>> = {
  logs: 'logs',
  alerts: 'alert',
  messages: 'message'
}

const text = (bring: string): ColumnSpec => ({ type: 'string', bring, default: '' })
const int = (bring: string): ColumnSpec => ({ type: 'int', bring, default: 0 })
const TIMESTAMP: ColumnSpec = { type: 'timestamp', bring: '[Timestamp]', apply: 'epoch_to_datetime', default: 'now()' }
const UPDATED_TIMESTAMP: ColumnSpec = { type: 'timestamp', bring: '[UpdatedTime]', default: 'now()' }

/** Columns shared by `alert` and `logs`, in table order, with the alert-only ones marked. */
const EVENT_COLUMNS: ReadonlyArray<readonly [string, ColumnSpec, 'alert-only'?]> = [
  ['timestamp', TIMESTAMP],
  ['updated_timestamp', UPDATED_TIMESTAMP],
  ['cluster_name', text('[ClusterName]')],
  ['hostname', text('[HostName]')],
  ['namespace', text('[NamespaceName]')],
  ['owner_ref', text('[Owner][Ref]')],
  ['owner_name', text('[Owner][Name]')],
  ['owner_namespace', text('[Owner][Namespace]')],
  ['pod_name', text('[PodName]')],
  ['labels', text('[Labels]')],
  ['container_id', text('[ContainerID]')],
  ['container_name', text('[ContainerName]')],
  ['container_image', text('[ContainerImage]')],
  ['host_ppid', int('[HostPPID]')],
  ['host_pid', int('[HostPID]')],
  ['ppid', int('[PPID]')],
  ['pid', int('[PID]')],
  ['uid', int('[UID]')],
  ['parent_process_name', text('[ParentProcessName]')],
  ['process_name', text('[ProcessName]')],
  ['policy_name', text('[PolicyName]'), 'alert-only'],
  ['severity', { type: 'int', bring: '[Severity]', default: 0, optional: true }, 'alert-only'],
  ['tag', text('[Tags]'), 'alert-only'],
  ['atag', text('[ATags]'), 'alert-only'],
  ['message', text('[Message]'), 'alert-only'],
  ['type', text('[Type]')],
  ['source', text('[Source]')],
  ['operation', text('[Operation]')],
  ['resource', text('[Resource]')],
  ['data', text('[Data]')],
  ['enforcer', text('[Enforcer]'), 'alert-only'],
  ['action', text('[Action]'), 'alert-only'],
  ['result', text('[Result]')],
  ['cwd', text('[Cwd]')],
  ['tty', text('[TTY]')],
  ['node_id', text('[NodeID]')],
  ['user_name', text('[UserName]')]
]

const MESSAGE_COLUMNS: ReadonlyArray<readonly [string, ColumnSpec]> = [
  ['timestamp', TIMESTAMP],
  ['updated_timestamp', UPDATED_TIMESTAMP],
  ['cluster_name', text('[ClusterName]')],
  ['hostname', text('[HostName]')],
  ['host_ip', text('[HostIP]')],
  ['type', text('[Type]')],
  ['level', text('[Level]')],
  ['message', text('[Message]')]
]

function policyJson (stream: KubeArmorStream, dbms: string, columns: ReadonlyArray<readonly [string, ColumnSpec, unknown?]>): unknown {
  return {
    mapping: {
      id: KUBEARMOR_POLICY_IDS[stream],
      dbms,
      table: KUBEARMOR_TABLES[stream],
      stream,
      schema: Object.fromEntries(columns.map(([name, spec]) => [name, { ...spec }]))
    }
  }
}

/** The three built-in policies (logs, alerts, messages) as validated policy documents. */
export function defaultKubeArmorPolicies (dbms: string = DEFAULT_KUBEARMOR_DBMS): MappingPolicy[] {
  return [
    parseMappingPolicy(policyJson('logs', dbms, EVENT_COLUMNS.filter(c => c[2] !== 'alert-only')), 'built-in kubearmor-logs'),
    parseMappingPolicy(policyJson('alerts', dbms, EVENT_COLUMNS), 'built-in kubearmor-alert'),
    parseMappingPolicy(policyJson('messages', dbms, MESSAGE_COLUMNS), 'built-in kubearmor-message')
  ]
}
