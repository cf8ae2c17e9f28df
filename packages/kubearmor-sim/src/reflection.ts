/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha, via @grpc/reflection) for the LogService
 * port, as the KubeArmor daemon registers it (`reflection.Register`; the relay does not). EdgeLake's
 * `get grpc services` and grpcurl use it. Lists feeder.LogService, plus grpc.health.v1.Health when
 * health is served on the same port; files are named as protoc names them (kubearmor.proto,
 * grpc/health/v1/health.proto) rather than proto-loader's per-package names.
 */
import type grpc from '@grpc/grpc-js'
import protoLoader from '@grpc/proto-loader'
import { ReflectionService } from '@grpc/reflection'
import { kubearmorPackageDefinition } from './proto.js'
import { protobufFields } from './protobuf-fields.js'

export const KUBEARMOR_PROTO_FILE = 'kubearmor.proto'
export const HEALTH_PROTO_FILE = 'grpc/health/v1/health.proto'

/** grpc/health/v1/health.proto, the parts health.ts serves. */
const HEALTH_PROTO_JSON: Parameters<typeof protoLoader.fromJSON>[0] = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } }
                },
                Health: {
                  methods: {
                    Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse', comment: '' },
                    Watch: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse', responseStream: true, comment: '' }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

function varint (value: number): number[] {
  const out: number[] = []
  while (value > 0x7f) { out.push((value & 0x7f) | 0x80); value >>>= 7 }
  out.push(value)
  return out
}

/** Sets FileDescriptorProto.name (field 1, a string), keeping every other top-level field as is. */
export function renameFileDescriptor (bytes: Uint8Array, name: string): Buffer {
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const kept = protobufFields(input).filter(f => f.field !== 1).map(f => input.subarray(f.start, f.end))
  const encodedName = Buffer.from(name, 'utf8')
  return Buffer.concat([Buffer.from([0x0a, ...varint(encodedName.length)]), encodedName, ...kept])
}

/**
 * The file descriptors of a package definition (proto-loader puts the same list on every entry),
 * renamed to `name` when the definition is a single file (one proto package), as here.
 */
function fileDescriptors (definition: protoLoader.PackageDefinition, name: string): Buffer[] {
  for (const entry of Object.values(definition)) {
    const protos = (entry as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos
    if (Array.isArray(protos)) return protos.length === 1 ? protos.map(b => renameFileDescriptor(b, name)) : protos
  }
  return []
}

const services = new Map<boolean, ReflectionService>()

function reflectionService (withHealth: boolean): ReflectionService {
  let service = services.get(withHealth)
  if (service === undefined) {
    // ReflectionService only reads `fileDescriptorProtos` from each entry of the definition it gets.
    const files: Record<string, { fileDescriptorProtos: Buffer[] }> = {
      [KUBEARMOR_PROTO_FILE]: { fileDescriptorProtos: fileDescriptors(kubearmorPackageDefinition(), KUBEARMOR_PROTO_FILE) }
    }
    if (withHealth) {
      const health = protoLoader.fromJSON(HEALTH_PROTO_JSON, { keepCase: true })
      files[HEALTH_PROTO_FILE] = { fileDescriptorProtos: fileDescriptors(health, HEALTH_PROTO_FILE) }
    }
    service = new ReflectionService(files as unknown as protoLoader.PackageDefinition)
    services.set(withHealth, service)
  }
  return service
}

/** Registers grpc.reflection.v1 and v1alpha ServerReflection on `server`. */
export function addReflection (server: grpc.Server, options: { health: boolean }): void {
  reflectionService(options.health).addToServer(server)
}
