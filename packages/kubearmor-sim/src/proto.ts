/**
 * feeder.LogService loaded from proto/kubearmor.proto with @grpc/proto-loader. The server side
 * replaces the streaming responses' serializers with a pass-through: every event is encoded once
 * (wire.ts) and the same bytes go to each subscriber.
 */
import { KUBEARMOR_LOADER_OPTIONS, KUBEARMOR_PROTO_PATH } from '@fedlake/core'
import type { KubeArmorStream } from '@fedlake/core'
import type { ServiceDefinition } from '@grpc/grpc-js'
import protoLoader from '@grpc/proto-loader'

export const WATCH_METHOD: Readonly<Record<KubeArmorStream, 'WatchLogs' | 'WatchAlerts' | 'WatchMessages'>> = {
  logs: 'WatchLogs',
  alerts: 'WatchAlerts',
  messages: 'WatchMessages'
}

let cachedPackage: protoLoader.PackageDefinition | undefined

/** proto/kubearmor.proto as proto-loader loads it (message and service entries, with file descriptors). */
export function kubearmorPackageDefinition (): protoLoader.PackageDefinition {
  cachedPackage ??= protoLoader.loadSync(KUBEARMOR_PROTO_PATH, { ...KUBEARMOR_LOADER_OPTIONS })
  return cachedPackage
}

/** The LogService definition as proto-loader builds it (protobufjs serializers). */
export function logServiceDefinition (): ServiceDefinition {
  return kubearmorPackageDefinition()['feeder.LogService'] as unknown as ServiceDefinition
}

const passThrough = (value: Buffer): Buffer => value

/** The definition the simulator serves: Watch* responses are pre-encoded Buffers. */
export function serverServiceDefinition (): ServiceDefinition {
  const base = logServiceDefinition()
  const out: Record<string, unknown> = { ...base }
  for (const method of Object.values(WATCH_METHOD)) out[method] = { ...base[method], responseSerialize: passThrough }
  return out as unknown as ServiceDefinition
}

/** Decodes Log/Alert/Message bytes the way a proto-loader client with KUBEARMOR_LOADER_OPTIONS does. */
export function decodeEvent (stream: KubeArmorStream, bytes: Uint8Array): Record<string, unknown> {
  const method = logServiceDefinition()[WATCH_METHOD[stream]]
  if (method === undefined) throw new Error(`no ${WATCH_METHOD[stream]} in feeder.LogService`)
  return method.responseDeserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as Record<string, unknown>
}
