/**
 * gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html) and the transport-level
 * mappings grpc-js applies (HTTP status without grpc-status, RST_STREAM codes), so the connector reports
 * the same codes it reported with grpc-js.
 */
import { constants as h2 } from 'node:http2'

export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16
} as const

const NAMES: readonly string[] = Object.keys(GRPC_STATUS)

/** `UNAVAILABLE` for 14; the number itself for a code outside the table. */
export function grpcStatusName (code: number): string {
  return NAMES[code] ?? String(code)
}

/** How a call ended: the gRPC status code and its details text. */
export interface GrpcCallStatus {
  readonly code: number
  readonly details: string
}

/** A non-200 HTTP response without grpc-status (a proxy or a non-gRPC server answered), as grpc-js maps it. */
export function statusFromHttp (httpStatus: number): GrpcCallStatus {
  const details = `Received HTTP status code ${httpStatus}`
  switch (httpStatus) {
    case 400: return { code: GRPC_STATUS.INTERNAL, details }
    case 401: return { code: GRPC_STATUS.UNAUTHENTICATED, details }
    case 403: return { code: GRPC_STATUS.PERMISSION_DENIED, details }
    case 404: return { code: GRPC_STATUS.UNIMPLEMENTED, details }
    case 429: case 502: case 503: case 504: return { code: GRPC_STATUS.UNAVAILABLE, details }
    default: return { code: GRPC_STATUS.UNKNOWN, details }
  }
}

/** A stream reset by the peer (RST_STREAM) before any gRPC status arrived, as grpc-js maps it. */
export function statusFromRstCode (rstCode: number): GrpcCallStatus {
  switch (rstCode) {
    case h2.NGHTTP2_REFUSED_STREAM: return { code: GRPC_STATUS.UNAVAILABLE, details: 'Stream refused by server' }
    case h2.NGHTTP2_CANCEL: return { code: GRPC_STATUS.CANCELLED, details: 'Call cancelled' }
    case h2.NGHTTP2_ENHANCE_YOUR_CALM: return { code: GRPC_STATUS.RESOURCE_EXHAUSTED, details: 'Bandwidth exhausted or memory limit exceeded' }
    case h2.NGHTTP2_INADEQUATE_SECURITY: return { code: GRPC_STATUS.PERMISSION_DENIED, details: 'Protocol not secure enough' }
    case h2.NGHTTP2_INTERNAL_ERROR: return { code: GRPC_STATUS.INTERNAL, details: `Received RST_STREAM with code ${rstCode} (Internal server error)` }
    default: return { code: GRPC_STATUS.INTERNAL, details: `Received RST_STREAM with code ${rstCode}` }
  }
}

/**
 * The status carried by response headers or trailers, or undefined when they carry none.
 * grpc-message is percent-encoded on the wire; a malformed encoding is kept as it is.
 */
export function statusFromHeaders (headers: Readonly<Record<string, string | string[] | number | undefined>>): GrpcCallStatus | undefined {
  const raw = headers['grpc-status']
  const value = Array.isArray(raw) ? raw[0] : raw
  if (value === undefined) return undefined
  const code = Number(value)
  const messageRaw = headers['grpc-message']
  const message = Array.isArray(messageRaw) ? messageRaw[0] : messageRaw
  let details = ''
  if (message !== undefined) {
    try { details = decodeURIComponent(String(message)) } catch { details = String(message) }
  }
  return { code: Number.isInteger(code) && code >= 0 ? code : GRPC_STATUS.UNKNOWN, details }
}
