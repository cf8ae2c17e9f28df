/**
 * The operators answering one fragment, read as one stream of batches tagged by source.
 *
 * Each request is a table's cluster: its chosen operator first, then the other live members (which hold the
 * same events, as EdgeLake's clusters do). An operator that cannot be reached, or fails, is replaced by the
 * next member: its rows so far are left out (its source is excluded) and the sub-query runs again there. A
 * replacement is allowed only while nothing of the failed source has been handed on for good (`retryAfterRows`
 * false: a plain SELECT's rows already sent to the client cannot be taken back). With no member left, the
 * query fails naming the operator, or, under `subset`, goes on without that cluster.
 *
 * Sources are read concurrently: at most `capacity` batches wait for the consumer, the rest wait in the
 * operators (the transport's backpressure), so a slow consumer slows every operator down. `streams()` gives each
 * cluster's batches apart (for the ordered merge), with two batches waiting per cluster.
 */
import { FedlakeError, isFedlakeError } from '@fedlake/core'
import type { Logger } from '@fedlake/core'
import type { SourcedBatch } from '@fedlake/duckdb'
import type { ResultBatch, ResultField } from '@fedlake/sql'
import { QUERY_ERRORS } from '../errors.js'
import type { SubqueryEntry } from './query-log.js'
import type { OpenSubquery } from './subquery-client.js'
import type { OperatorTarget } from './targets.js'

export interface SourceRequest {
  /** The chosen operator, then the other live members of its cluster. */
  readonly targets: readonly OperatorTarget[]
  readonly open: (target: OperatorTarget, signal: AbortSignal) => Promise<OpenSubquery>
}

export interface FragmentSourcesInit {
  readonly requests: readonly SourceRequest[]
  readonly subset: boolean
  /** A source may be replaced even after some of its batches were read (they are excluded by source). */
  readonly retryAfterRows: boolean
  readonly signal: AbortSignal
  /** A log entry for each attempt (the query log shows every operator asked). */
  readonly attempt: (target: OperatorTarget) => SubqueryEntry
  readonly logger: Logger
  readonly capacity?: number
  /**
   * Tells `listener` the peer id of every node the liveness view loses (returns the unsubscribe function): a
   * sub-query still waiting on it is given up then, not at the deadline.
   */
  readonly watchLost?: (listener: (peerId: string) => void) => () => void
}

interface Attempt {
  readonly source: number
  readonly request: number
  readonly next: number
  readonly sub: OpenSubquery
  readonly log: SubqueryEntry
  handedOn: boolean
  /** Why it was given up while still sending (its operator was lost). */
  lost?: FedlakeError
  /** The merge has begun reading it (before that, an open source only waits for its turn). */
  reading: boolean
}

export class FragmentSources {
  private readonly attempts: Attempt[] = []
  private readonly excludedSources = new Set<number>()
  private readonly completed = new Set<number>()
  private readonly dropped = new Set<number>()
  /** The attempts still opening (no answer from their operator yet), each with what gives up on it. */
  private readonly opening = new Map<SubqueryEntry, AbortController>()
  private unwatch: (() => void) | undefined
  private firstFields: readonly ResultField[] | undefined
  private cancelled = false
  /** The query's time is up: no more retries, and under subset the sources still running are dropped. */
  private expired = false

  constructor (private readonly init: FragmentSourcesInit) {}

  /** Opens every request (moving to the next member on failure). Throws the first unrecoverable failure. */
  async open (): Promise<void> {
    this.unwatch ??= this.init.watchLost?.(peerId => { this.lost(peerId) })
    const opened = await Promise.allSettled(this.init.requests.map(async (_, r) => { await this.openRequest(r, 0) }))
    const failure = opened.find(o => o.status === 'rejected')
    if (failure !== undefined) {
      this.cancel()
      throw (failure as PromiseRejectedResult).reason
    }
  }

  fields (): readonly ResultField[] | undefined { return this.firstFields }

  /** Every source's fields, to check they agree. */
  opened (): readonly OpenSubquery[] { return this.attempts.map(a => a.sub) }

  excluded (): ReadonlySet<number> { return this.excludedSources }

  nodes (): { target: number, participating: number } {
    return { target: this.init.requests.length, participating: this.init.requests.length - this.dropped.size }
  }

  cancel (): void {
    this.stopWatching()
    this.cancelled = true
    for (const a of this.attempts) a.sub.cancel()
  }

  /**
   * Operators whose answer is still coming: those that have not answered at all when there are any (the others
   * may only be waiting for the merge to read them), else those still sending rows.
   */
  pending (): string[] {
    if (this.opening.size > 0) return [...this.opening.keys()].map(log => log.node)
    return this.attempts.filter(a => a.log.state === 'sent' || a.log.state === 'receiving').map(a => a.log.node)
  }

  /**
   * Time is up (subset): the sources still opening, and those still sending rows the merge is reading, are
   * dropped; the others (finished, or open and waiting for the merge to read them) make the answer.
   */
  expire (): void {
    this.expired = true
    for (const stop of this.opening.values()) stop.abort(new Error('did not answer within the deadline'))
    for (const a of this.attempts) {
      if (a.log.state !== 'receiving' || !a.reading) continue
      a.log.state = 'cancelled'
      a.log.error = 'did not answer within the deadline'
      this.excludedSources.add(a.source)
      this.dropped.add(a.request)
      a.sub.cancel()
    }
  }

  /** The liveness view lost a node: what still waits on it fails now (and moves to another member where it can). */
  private lost (peerId: string): void {
    const error = (node: string): FedlakeError => new FedlakeError(QUERY_ERRORS.NETWORK_OPERATOR_UNREACHABLE,
      `${node} became unreachable during the query (no sign of life from it)`, { node, peerId })
    for (const [log, stop] of this.opening) if (log.peerId === peerId) stop.abort(error(log.node))
    for (const a of this.attempts) {
      if (a.log.peerId !== peerId || a.log.state !== 'receiving') continue
      a.lost = error(a.log.node)
      a.sub.cancel()
    }
  }

  private stopWatching (): void {
    this.unwatch?.()
    this.unwatch = undefined
  }

  /** Every source's batches in one stream, as they come. */
  batches (): AsyncIterable<SourcedBatch> {
    return { [Symbol.asyncIterator]: () => this.mailboxes(1, () => 0, this.init.capacity ?? 4)[0] as AsyncIterator<SourcedBatch> }
  }

  /**
   * One stream per request (cluster), each read at its own pace (an ordered merge reads whichever it needs): a
   * failed operator's replacement continues its cluster's stream. Read them all, or return() one to stop every one.
   */
  streams (): AsyncIterable<ResultBatch>[] {
    const boxes = this.mailboxes(this.init.requests.length, attempt => attempt.request, 2)
    return boxes.map(box => ({
      [Symbol.asyncIterator]: () => ({
        next: async () => { const next = await box.next(); return next.done === true ? next : { done: false, value: next.value.batch } },
        return: async () => { await box.return?.(); return { done: true, value: undefined } }
      })
    }))
  }

  private async openRequest (request: number, from: number): Promise<void> {
    const targets = (this.init.requests[request] as SourceRequest).targets
    let lastError: unknown
    for (let t = from; t < targets.length; t++) {
      const target = targets[t] as OperatorTarget
      const log = this.init.attempt(target)
      const started = performance.now()
      const stop = new AbortController()
      this.opening.set(log, stop)
      try {
        const sub = await unlessAborted((this.init.requests[request] as SourceRequest).open(target, this.init.signal), stop.signal)
        log.state = 'receiving'
        log.ms = performance.now() - started
        this.firstFields ??= sub.fields
        this.attempts.push({ source: this.attempts.length, request, next: t + 1, sub, log, handedOn: false, reading: false })
        return
      } catch (err) {
        log.state = 'failed'
        log.error = err instanceof Error ? err.message : String(err)
        lastError = err
        if (this.init.signal.aborted || this.cancelled) throw this.stopReason(err)
        if (this.expired) {
          log.state = 'cancelled'
          log.error = 'did not answer within the deadline'
          break
        }
        if (t + 1 < targets.length) this.init.logger.warn('operator failed; asking another member of its cluster', { node: target.name, error: log.error })
      } finally {
        this.opening.delete(log)
      }
    }
    this.giveUp(request, lastError)
  }

  /** No member of the request's cluster answered: fail, or drop it under subset. */
  private giveUp (request: number, error: unknown): void {
    if (!this.init.subset) throw error
    this.dropped.add(request)
    this.init.logger.warn('cluster left out (subset)', { error: error instanceof Error ? error.message : String(error) })
  }

  private stopReason (err: unknown): unknown {
    const reason = this.init.signal.reason
    return this.init.signal.aborted && isFedlakeError(reason) ? reason : err
  }

  /**
   * Every attempt's batches delivered to mailbox `boxOf(attempt)` (its replacements' too): one consumer per
   * mailbox, at most `capacity` batches waiting in each, the rest held back in the operators.
   */
  private mailboxes (count: number, boxOf: (attempt: Attempt) => number, capacity: number): AsyncIterator<SourcedBatch>[] {
    const boxes = Array.from({ length: count }, () => ({ queue: [] as SourcedBatch[], pumping: 0, wake: undefined as (() => void) | undefined, producers: [] as (() => void)[] }))
    type Box = typeof boxes[number]
    let failure: unknown
    const notify = (box: Box): void => { const w = box.wake; box.wake = undefined; w?.() }

    const pump = async (attempt: Attempt): Promise<void> => {
      const box = boxes[boxOf(attempt)] as Box
      box.pumping++
      attempt.reading = true
      try {
        for await (const batch of attempt.sub.batches) {
          if (this.cancelled) return
          attempt.log.rows += batch.rowCount
          attempt.handedOn = true
          box.queue.push({ source: attempt.source, batch })
          notify(box)
          while (!this.cancelled && box.queue.length >= capacity) await new Promise<void>(resolve => { box.producers.push(resolve) })
        }
        attempt.log.state = 'completed'
        this.completed.add(attempt.source)
      } catch (err) {
        if (this.cancelled || attempt.log.state === 'cancelled') return
        const error = attempt.lost ?? err
        attempt.log.state = 'failed'
        attempt.log.error = error instanceof Error ? error.message : String(error)
        try {
          await this.replace(attempt, error, pump)
        } catch (final) {
          failure ??= final
          this.cancel()
          for (const other of boxes) notify(other)
        }
      } finally {
        box.pumping--
        notify(box)
      }
    }

    let started = false
    const start = (): void => {
      if (started) return
      started = true
      for (const attempt of [...this.attempts]) void pump(attempt)
    }

    return boxes.map(box => ({
      next: async () => {
        start()
        for (;;) {
          const item = box.queue.shift()
          if (item !== undefined) {
            for (const p of box.producers.splice(0)) p()
            return { done: false, value: item }
          }
          if (failure !== undefined) throw failure
          if (box.pumping === 0) {
            if (boxes.every(b => b.pumping === 0)) this.stopWatching()
            return { done: true, value: undefined }
          }
          await new Promise<void>(resolve => { box.wake = resolve })
        }
      },
      return: async () => {
        this.cancel()
        for (const b of boxes) for (const p of b.producers.splice(0)) p()
        return { done: true, value: undefined }
      }
    }))
  }

  /** A source failed midway: exclude its rows and ask the next member, or give up on its cluster. */
  private async replace (attempt: Attempt, error: unknown, pump: (attempt: Attempt) => Promise<void>): Promise<void> {
    if (this.init.signal.aborted) throw this.stopReason(error)
    const targets = (this.init.requests[attempt.request] as SourceRequest).targets
    const canRetry = !this.expired && attempt.next < targets.length && (this.init.retryAfterRows || !attempt.handedOn)
    if (!canRetry) {
      if (!this.init.subset) throw error
      this.excludedSources.add(attempt.source)
      this.dropped.add(attempt.request)
      return
    }
    this.excludedSources.add(attempt.source)
    const before = this.attempts.length
    await this.openRequest(attempt.request, attempt.next)
    const replacement = this.attempts[before]
    if (replacement !== undefined) void pump(replacement)
  }
}

/** The open, or a rejection with the signal's reason once it aborts; a sub-query that opens after that is cancelled. */
async function unlessAborted (opening: Promise<OpenSubquery>, signal: AbortSignal): Promise<OpenSubquery> {
  let onAbort = (): void => {}
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(signal.reason) }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([opening, aborted])
  } catch (err) {
    if (signal.aborted) opening.then(sub => { sub.cancel() }, () => undefined)
    throw err
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
