/**
 * grpc.health.v1.Health on the simulator's port (KubeArmor's pre-2026-06 layout): `feeder.LogService`
 * and the server as a whole ("") report SERVING. The two tiny messages are coded by hand.
 */
import { status } from '@grpc/grpc-js'
import type { ServerUnaryCall, ServerWritableStream, ServiceDefinition, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js'
import { KUBEARMOR_SERVICE } from '@fedlake/core'
import { protobufFields } from './protobuf-fields.js'

export const HEALTH_SERVING = 1

interface HealthCheckRequest { service: string }

/** HealthCheckRequest { string service = 1 }; unknown fields skipped. */
function decodeRequest (bytes: Buffer): HealthCheckRequest {
  const service = protobufFields(bytes).findLast(f => f.field === 1 && f.bytes !== undefined)?.bytes
  return { service: service?.toString('utf8') ?? '' }
}

function encodeResponse (servingStatus: number): Buffer {
  return Buffer.from([0x08, servingStatus])
}

function encodeRequest (request: HealthCheckRequest): Buffer {
  const service = Buffer.from(request.service ?? '', 'utf8')
  return service.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, service.length]), service])
}

function decodeResponse (bytes: Buffer): { status: number } {
  return { status: bytes.length >= 2 && bytes[0] === 0x08 ? (bytes[1] as number) : 0 }
}

const method = (name: string, responseStream: boolean): Record<string, unknown> => ({
  path: `/grpc.health.v1.Health/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: encodeRequest,
  requestDeserialize: decodeRequest,
  responseSerialize: encodeResponse,
  responseDeserialize: decodeResponse
})

export const HEALTH_SERVICE = { Check: method('Check', false), Watch: method('Watch', true) } as unknown as ServiceDefinition

const KNOWN = new Set(['', KUBEARMOR_SERVICE])

export function healthHandlers (): UntypedServiceImplementation {
  return {
    Check (call: ServerUnaryCall<HealthCheckRequest, number>, callback: sendUnaryData<number>) {
      if (KNOWN.has(call.request.service)) callback(null, HEALTH_SERVING)
      else callback({ code: status.NOT_FOUND, details: `unknown service ${call.request.service}` })
    },
    Watch (call: ServerWritableStream<HealthCheckRequest, number>) {
      // Reports the status once and stays open, as a real server does while nothing changes.
      call.write(KNOWN.has(call.request.service) ? HEALTH_SERVING : 3)
    }
  }
}
