/**
 * Sends a StreamReply with the client's backpressure: each chunk is written only after the previous one was
 * taken by the socket, so a slow client slows the producer (and through it DuckDB) instead of growing memory.
 * A body cut by an error after the status went out ends with the reply's error trailer, then the connection
 * is closed without HTTP's final chunk, so any HTTP client also sees the reply as incomplete.
 */
import type { ServerResponse } from 'node:http'
import { toFedlakeError } from '@fedlake/core'
import type { FedlakeError, JsonValue, Logger, StreamReply } from '@fedlake/core'
import type { FastifyReply } from 'fastify'

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  vary: 'Origin',
  'access-control-expose-headers': '*'
}
/** How long a cut reply's last bytes get to reach the client before the socket is destroyed. */
const FLUSH_GRACE_MS = 5000

export async function sendStream (
  reply: FastifyReply,
  stream: StreamReply,
  signal: AbortSignal,
  errorBody: (err: FedlakeError) => Record<string, JsonValue>,
  log: Logger
): Promise<void> {
  const body = stream.body[Symbol.asyncIterator]()
  // The first chunk is awaited before the status is sent: an error that early still gets a real status.
  const first = await body.next()
  reply.hijack()
  const res = reply.raw
  res.writeHead(200, { ...CORS_HEADERS, 'content-type': stream.contentType, 'cache-control': 'no-store' })
  try {
    for (let next = first; next.done !== true; next = await body.next()) {
      if (!res.write(next.value)) await drained(res, signal)
    }
    res.end()
  } catch (err) {
    await body.return?.(undefined)
    const error = toFedlakeError(signal.aborted ? signal.reason : err)
    if (res.destroyed) return
    log.warn('streamed reply cut', { code: error.code, error: error.message })
    cutShort(res, stream.errorTrailer(errorBody(error)))
  }
}

function drained (res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => { res.off('drain', onDrain); res.off('close', onClose); signal.removeEventListener('abort', onAbort) }
    const onDrain = (): void => { done(); resolve() }
    const onClose = (): void => { done(); reject(new Error('client closed the connection')) }
    const onAbort = (): void => { done(); reject(signal.reason) }
    if (signal.aborted) { onAbort(); return }
    res.once('drain', onDrain)
    res.once('close', onClose)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

function cutShort (res: ServerResponse, trailer: string): void {
  const socket = res.socket
  const destroy = setTimeout(() => { res.destroy() }, FLUSH_GRACE_MS)
  destroy.unref()
  res.write(trailer, () => {
    if (socket === null) { res.destroy(); return }
    socket.end()
  })
}
