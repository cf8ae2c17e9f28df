/**
 * Requests Node's HTTP parser refuses before any route sees them (headers over the limit, bytes that are not
 * HTTP, a request sent too slowly), answered in EdgeLake's error shape like every other error. Headers over the
 * limit are almost always a long SQL statement in the `command` header: the answer says where it goes instead.
 */
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { FedlakeError } from '@fedlake/core'
import { NODE_ERRORS } from '../errors.js'

export type ClientErrorHandler = (err: NodeJS.ErrnoException, socket: Duplex) => void

/** A Fastify `clientErrorHandler`; `errorJson` renders the node's error body. */
export function clientErrorHandler (maxHeaderBytes: number, errorJson: (err: FedlakeError) => string): ClientErrorHandler {
  return (err, socket) => {
    // the connection is gone: nobody to answer
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    const error = err.code === 'HPE_HEADER_OVERFLOW'
      ? new FedlakeError(NODE_ERRORS.REST_HEADERS_TOO_LARGE,
        `the request's headers are over ${Math.round(maxHeaderBytes / 1024)} KiB: send a long command in a POST JSON body ({"command": "sql ...", "destination": "network"})`)
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new FedlakeError(NODE_ERRORS.REST_REQUEST_TIMEOUT, 'the request was not received in time')
        : new FedlakeError(NODE_ERRORS.REST_MALFORMED_REQUEST, `not a well-formed HTTP request (${err.code ?? err.message})`)
    if (socket.writable) {
      const body = errorJson(error)
      socket.write(`HTTP/1.1 ${error.spec.status} ${STATUS_CODES[error.spec.status] ?? 'Error'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`)
    }
    socket.destroy(err)
  }
}
