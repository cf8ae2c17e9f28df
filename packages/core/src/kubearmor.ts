/**
 * KubeArmor wire types (feeder.LogService, proto/kubearmor.proto) as plain objects, shared by the
 * simulator that produces them and the operator connector that consumes them.
 * Field names are the proto names (keepCase). Absent scalar fields are `undefined` on decode.
 */
import { fileURLToPath } from 'node:url'

export const KUBEARMOR_PROTO_PATH = fileURLToPath(new URL('../../../proto/kubearmor.proto', import.meta.url))
export const KUBEARMOR_SERVICE = 'feeder.LogService'
export const KUBEARMOR_DEFAULT_PORT = 32767

/**
 * @grpc/proto-loader options both sides use: names as in the proto, int64 as JS numbers
 * (epoch seconds fit), no default materialisation, so a missing field stays distinguishable.
 */
export const KUBEARMOR_LOADER_OPTIONS = Object.freeze({
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  arrays: true,
  objects: true,
  oneofs: true
})

export type KubeArmorStream = 'logs' | 'alerts' | 'messages'

export interface Podowner { Ref?: string, Name?: string, Namespace?: string }
export interface ExecEvent { ExecID?: string, ExecutableName?: string }

export interface KubeArmorMessage {
  Timestamp?: number
  UpdatedTime?: string
  ClusterName?: string
  HostName?: string
  HostIP?: string
  Type?: string
  Level?: string
  Message?: string
}

/** Fields common to Log and Alert (different field numbers on the wire, same names). */
export interface KubeArmorEventBase {
  Timestamp?: number
  UpdatedTime?: string
  ClusterName?: string
  HostName?: string
  NamespaceName?: string
  Owner?: Podowner
  PodName?: string
  Labels?: string
  ContainerID?: string
  ContainerName?: string
  ContainerImage?: string
  HostPPID?: number
  HostPID?: number
  PPID?: number
  PID?: number
  UID?: number
  ParentProcessName?: string
  ProcessName?: string
  Type?: string
  Source?: string
  Operation?: string
  Resource?: string
  Data?: string
  EventData?: Record<string, string>
  Result?: string
  Cwd?: string
  TTY?: string
  ExecEvent?: ExecEvent
  NodeID?: string
  ProcessHash?: string
  ParentHash?: string
  ResourceHash?: string
  HashAlgo?: string
  UserName?: string
}

export type KubeArmorLog = KubeArmorEventBase

export interface KubeArmorAlert extends KubeArmorEventBase {
  PolicyName?: string
  Severity?: string
  Tags?: string
  ATags?: string[]
  Message?: string
  Enforcer?: string
  Action?: string
  MaxAlertsPerSec?: number
  DroppingAlertsInterval?: number
  KubeArmorVersion?: string
}
