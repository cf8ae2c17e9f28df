/**
 * A request's deadline: the `timeout` header (EdgeLake: seconds, or "<n> <unit>") or the node's default,
 * capped by the node's limit. It aborts the command's signal when it falls or when the client goes away,
 * and lasts until the reply has been sent.
 */
import { abortable, FedlakeError, isFedlakeError } from '@fedlake/core'
import type { FastifyReply } from 'fastify'
import { NODE_ERRORS } from '../errors.js'

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000
}

/** The deadline in ms a `timeout` header asks for; 400 REST_BAD_TIMEOUT when it is not a duration or over `maxMs`. */
export function parseTimeoutHeader (value: string | undefined, defaultMs: number, maxMs: number): number {
  if (value === undefined || value.trim() === '') return defaultMs
  const m = /^\s*(\d{1,9}(?:\.\d{1,6})?)\s*([a-z]*)\s*$/i.exec(value)
  const unit = m === null ? undefined : UNIT_MS[(m[2] === '' ? 's' : m[2] as string).toLowerCase()]
  if (m === null || unit === undefined) {
    throw new FedlakeError(NODE_ERRORS.REST_BAD_TIMEOUT, `timeout '${value.slice(0, 40)}' is not a duration: give seconds (e.g. 10) or '<n> <unit>' with ms, s, min or h`)
  }
  const ms = Number(m[1]) * unit
  if (!(ms >= 1)) throw new FedlakeError(NODE_ERRORS.REST_BAD_TIMEOUT, `timeout '${value}' must be at least 1 ms`)
  if (ms > maxMs) {
    throw new FedlakeError(NODE_ERRORS.REST_BAD_TIMEOUT, `timeout '${value}' is over this node's limit of ${maxMs / 1000} s (limits.maxCommandTimeoutMs)`, { maxMs })
  }
  return Math.round(ms)
}

export interface RequestDeadline {
  readonly signal: AbortSignal
  /** Epoch ms. */
  readonly at: number
  /** The work's result, or the deadline's error as soon as it falls (a handler that ignores its signal is not waited for). */
  race<T>(work: Promise<T>): Promise<T>
  clear(): void
}

export function startDeadline (reply: FastifyReply, timeoutMs: number): RequestDeadline {
  const controller = new AbortController()
  const timer = setTimeout(() => {
    controller.abort(new FedlakeError(NODE_ERRORS.COMMAND_TIMEOUT, `the command exceeded its deadline of ${timeoutMs} ms`, { timeoutMs }))
  }, timeoutMs)
  // The response's 'close' (not the request's, which a consumed POST body also fires) tells a client that left.
  const onClose = (): void => {
    if (!reply.raw.writableFinished) controller.abort(new FedlakeError(NODE_ERRORS.CLIENT_GONE, 'the client closed the connection'))
  }
  reply.raw.once('close', onClose)
  return {
    signal: controller.signal,
    at: Date.now() + timeoutMs,
    async race (work) {
      return await abortable(work, controller.signal)
    },
    clear () {
      clearTimeout(timer)
      reply.raw.off('close', onClose)
    }
  }
}

/** When the deadline has fallen, the error the work failed with (a cancellation) is reported as the deadline. */
export function preferDeadline (err: unknown, reason: FedlakeError): unknown {
  return isFedlakeError(err) && (err.code === 'SQL_CANCELLED' || err.code === reason.code) ? reason : err
}
