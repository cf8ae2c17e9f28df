/**
 * An operator the liveness view has lost (no sign of life for longer than `metadata.unreachableAfterMs`) is still
 * asked, since the view may lag behind a node that just came back, but it gets a short probe to answer instead of
 * the query's whole deadline: a frozen or cut-off operator then costs about a second, not the deadline.
 */
import { FedlakeError } from '@fedlake/core'
import { QUERY_ERRORS } from '../errors.js'
import type { OperatorTarget } from './targets.js'

/** How long a lost operator may take to answer (its fields) before the query gives up on it. */
export const LOST_OPERATOR_PROBE_MS = 1500

/** Runs `open` with the whole `signal` for a live operator, and with at most the probe's time for a lost one. */
export async function openProbing<T> (target: OperatorTarget, signal: AbortSignal, open: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (target.lostForMs === undefined) return await open(signal)
  const probe = new AbortController()
  // the probe bounds the answer's start only: once open, the operator's rows take what the query allows
  const timer = setTimeout(() => { probe.abort() }, LOST_OPERATOR_PROBE_MS)
  try {
    return await open(AbortSignal.any([signal, probe.signal]))
  } catch (err) {
    if (!probe.signal.aborted || signal.aborted) throw err
    throw new FedlakeError(QUERY_ERRORS.NETWORK_OPERATOR_UNREACHABLE,
      `${target.name} is unreachable: no sign of life for ${(target.lostForMs / 1000).toFixed(1)} s, and no answer within ${LOST_OPERATOR_PROBE_MS} ms`,
      { node: target.name, peerId: target.peerId, lostForMs: target.lostForMs })
  } finally {
    clearTimeout(timer)
  }
}
