/**
 * KubeArmor's per-subscriber fan-out (KubeArmor/feeder/feeder.go): every Watch* call gets its own
 * bounded queue; publishing is non-blocking and an event is dropped for a subscriber whose queue
 * is full. Each subscriber's queue is drained into its gRPC call with bounded backpressure, so a
 * slow client fills its own queue and loses events, never the others.
 *
 * Two ways to drain: grpc-js's ServerWritableStream writes one message at a time (the next
 * _write waits for the previous HTTP/2 write to complete), which caps a stream at roughly half of
 * what the transport can do. So when the call exposes its intercepting call (`sendMessage(message,
 * callback)`, the public server-interceptor contract), up to MAX_IN_FLIGHT messages are handed to
 * it at once and each completion (HTTP/2 flow control respected) lets another one go. Otherwise
 * the Writable path honours write() === false and waits for 'drain'.
 */
import type { KubeArmorStream } from '@fedlake/core'
import type { ServerWritableStream } from '@grpc/grpc-js'

export const STREAMS: readonly KubeArmorStream[] = ['logs', 'alerts', 'messages']

/** One encoded event on its way to the subscribers of a stream. */
export interface Envelope {
  readonly stream: KubeArmorStream
  readonly bytes: Buffer
  /** The event as an object, when someone needs it (dump, listeners, record). */
  readonly event: object | undefined
  /** Set on the first gRPC write to any subscriber. */
  written: boolean
}

export type WatchCall = ServerWritableStream<unknown, Buffer>

/** Messages handed to a call's HTTP/2 stream and not yet flushed, per subscriber. */
export const MAX_IN_FLIGHT = 64

type Sink = (bytes: Buffer, onFlushed: () => void) => void

/** The call's `sendMessage` (ServerInterceptingCallInterface), when grpc-js exposes it. */
function directSink (call: WatchCall): Sink | undefined {
  const inner = (call as unknown as { call?: { sendMessage?: unknown } }).call
  if (inner === undefined || typeof inner.sendMessage !== 'function') return undefined
  const sendMessage = inner.sendMessage as (message: unknown, callback: () => void) => void
  return (bytes, onFlushed) => { sendMessage.call(inner, bytes, onFlushed) }
}

export interface SubscriberStats {
  readonly id: number
  readonly stream: KubeArmorStream
  readonly filter: string
  readonly peer: string
  /** ISO time the call arrived. */
  readonly since: string
  readonly capacity: number
  /** Events waiting in this subscriber's queue. */
  readonly queued: number
  /** Events handed to this call's write(). */
  readonly sent: number
  /** Events dropped because this subscriber's queue was full. */
  readonly dropped: number
}

export class Subscriber {
  readonly since = Date.now()
  sent = 0
  dropped = 0
  waitingDrain = false
  inFlight = 0
  /** Completion callback of the direct path (one function per subscriber, not per message). */
  onFlushed: () => void = () => {}
  closed = false
  lastProgress = Date.now()
  readonly sink: Sink | undefined
  private readonly ring: Array<Envelope | undefined>
  private head = 0
  size = 0

  constructor (
    readonly id: number,
    readonly stream: KubeArmorStream,
    readonly filter: string,
    readonly call: WatchCall,
    readonly capacity: number
  ) {
    this.ring = new Array<Envelope | undefined>(capacity)
    this.sink = directSink(call)
  }

  offer (envelope: Envelope): boolean {
    if (this.size >= this.capacity) {
      this.dropped++
      return false
    }
    this.ring[(this.head + this.size) % this.capacity] = envelope
    this.size++
    return true
  }

  take (): Envelope {
    const envelope = this.ring[this.head] as Envelope
    this.ring[this.head] = undefined
    this.head = (this.head + 1) % this.capacity
    this.size--
    return envelope
  }

  clear (): void {
    this.ring.fill(undefined)
    this.head = 0
    this.size = 0
  }

  stats (): SubscriberStats {
    let peer = ''
    try { peer = this.call.getPeer() } catch { /* call already gone */ }
    return {
      id: this.id,
      stream: this.stream,
      filter: this.filter,
      peer,
      since: new Date(this.since).toISOString(),
      capacity: this.capacity,
      queued: this.size,
      sent: this.sent,
      dropped: this.dropped
    }
  }
}

export interface StreamCounters {
  /** Events delivered to at least one subscriber's write(). */
  sent: number
  /** Drops summed over every subscriber the stream ever had. */
  dropped: number
  /** Events published while the stream had no subscriber (lost, as in KubeArmor). */
  unsubscribed: number
  /** Watch calls accepted since start. */
  subscriptions: number
}

export interface FanOutInit {
  capacity(stream: KubeArmorStream): number
  /** Called once per envelope, on its first write to any subscriber. */
  onFirstWrite(envelope: Envelope): void
  /** Called when a subscriber's queue shrinks or the set of subscribers changes. */
  onChange(): void
}

export class FanOut {
  readonly subscribers: Readonly<Record<KubeArmorStream, Set<Subscriber>>> = { logs: new Set(), alerts: new Set(), messages: new Set() }
  readonly counters: Readonly<Record<KubeArmorStream, StreamCounters>> = {
    logs: { sent: 0, dropped: 0, unsubscribed: 0, subscriptions: 0 },
    alerts: { sent: 0, dropped: 0, unsubscribed: 0, subscriptions: 0 },
    messages: { sent: 0, dropped: 0, unsubscribed: 0, subscriptions: 0 }
  }

  private nextId = 1
  private stalled = false

  constructor (private readonly init: FanOutInit) {}

  add (stream: KubeArmorStream, filter: string, call: WatchCall): Subscriber {
    const subscriber = new Subscriber(this.nextId++, stream, filter, call, this.init.capacity(stream))
    subscriber.onFlushed = () => {
      subscriber.inFlight--
      // Refill in groups, so several messages reach the HTTP/2 stream together.
      if (subscriber.inFlight <= MAX_IN_FLIGHT / 2) this.pump(subscriber)
    }
    this.subscribers[stream].add(subscriber)
    this.counters[stream].subscriptions++
    this.init.onChange()
    return subscriber
  }

  remove (subscriber: Subscriber): void {
    if (subscriber.closed) return
    subscriber.closed = true
    subscriber.clear()
    this.subscribers[subscriber.stream].delete(subscriber)
    this.init.onChange()
  }

  /** Non-blocking enqueue to every subscriber of the stream; returns how many accepted it. */
  publish (envelope: Envelope): number {
    const subscribers = this.subscribers[envelope.stream]
    if (subscribers.size === 0) {
      this.counters[envelope.stream].unsubscribed++
      return 0
    }
    let accepted = 0
    for (const subscriber of subscribers) {
      if (subscriber.offer(envelope)) {
        accepted++
        this.pump(subscriber)
      } else {
        this.counters[envelope.stream].dropped++
      }
    }
    return accepted
  }

  pump (subscriber: Subscriber): void {
    if (this.stalled || subscriber.waitingDrain || subscriber.closed || subscriber.size === 0) return
    if (subscriber.sink !== undefined) this.pumpDirect(subscriber, subscriber.sink)
    else this.pumpWritable(subscriber)
    subscriber.lastProgress = Date.now()
    this.init.onChange()
  }

  private handOver (envelope: Envelope, subscriber: Subscriber): void {
    subscriber.sent++
    if (!envelope.written) {
      envelope.written = true
      this.counters[envelope.stream].sent++
      this.init.onFirstWrite(envelope)
    }
  }

  private pumpDirect (subscriber: Subscriber, sink: Sink): void {
    const { onFlushed } = subscriber
    while (subscriber.size > 0 && subscriber.inFlight < MAX_IN_FLIGHT) {
      const envelope = subscriber.take()
      this.handOver(envelope, subscriber)
      subscriber.inFlight++
      sink(envelope.bytes, onFlushed)
    }
  }

  private pumpWritable (subscriber: Subscriber): void {
    const { call } = subscriber
    while (subscriber.size > 0) {
      const envelope = subscriber.take()
      this.handOver(envelope, subscriber)
      if (!call.write(envelope.bytes)) {
        subscriber.waitingDrain = true
        call.once('drain', () => {
          subscriber.waitingDrain = false
          this.pump(subscriber)
        })
        break
      }
    }
  }

  /** Stops (true) or resumes (false) writing to every call; queues keep filling and dropping. */
  setStalled (stalled: boolean): void {
    this.stalled = stalled
    if (!stalled) for (const stream of STREAMS) for (const subscriber of this.subscribers[stream]) this.pump(subscriber)
  }

  get isStalled (): boolean { return this.stalled }

  all (): Subscriber[] {
    return STREAMS.flatMap(stream => [...this.subscribers[stream]])
  }

  /**
   * Whether every live subscriber of `streams` can take `batch` more events. Subscribers whose
   * queue has been full without progress for `staleMs` (a client that stopped reading) do not
   * hold generation back: they drop, as they would in KubeArmor.
   */
  hasRoom (streams: readonly KubeArmorStream[], batch: number, staleMs: number): boolean {
    const now = Date.now()
    let live = 0
    for (const stream of streams) {
      for (const subscriber of this.subscribers[stream]) {
        const full = subscriber.size + batch > subscriber.capacity
        if (full && now - subscriber.lastProgress > staleMs) continue
        live++
        if (full) return false
      }
    }
    return live > 0 || streams.some(stream => this.subscribers[stream].size > 0)
  }
}
