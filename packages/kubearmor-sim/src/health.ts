/**
 * grpc.health.v1.Health on the simulator's port (KubeArmor's pre-2026-06 layout): `feeder.LogService`
 * and the server as a whole ("") report SERVING. The two tiny messages are coded by hand.
 */
import { status } from '@grpc/grpc-js'
import type { ServerUnaryCall, ServerWritableStream, ServiceDefinition, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js'
import { KUBEARMOR_SERVICE } from '@fedlake/core'

export const HEALTH_SERVING = 1

interface HealthCheckRequest { service: string }

/** HealthCheckRequest { string service = 1 }; unknown fields skipped. */
function decodeRequest (bytes: Buffer): HealthCheckRequest {
  let pos = 0
  let service = ''
  const varint = (): number => {
    let result = 0
    let shift = 0
    for (;;) {
      const byte = bytes[pos++]
      if (byte === undefined) throw new RangeError('truncated varint')
      result += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return result
      shift += 7
    }
  }
  while (pos < bytes.length) {
    const tag = varint()
    const wireType = tag & 7
    if (wireType === 2) {
      const length = varint()
      if (tag >>> 3 === 1) service = bytes.toString('utf8', pos, pos + length)
      pos += length
    } else if (wireType === 0) varint()
    else if (wireType === 1) pos += 8
    else if (wireType === 5) pos += 4
    else throw new RangeError(`unsupported wire type ${wireType}`)
  }
  return { service }
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
