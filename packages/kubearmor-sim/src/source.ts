/**
 * Turns generated events into wire bytes. With `recycleAfter` > 0 the first N events are kept
 * (pre-encoded without their time fields) and then re-sent in a loop with fresh per-node
 * timestamps: the throughput mode, where encoding and generating would otherwise cost more CPU
 * than gRPC itself.
 */
import type { KubeArmorStream } from '@fedlake/core'
import { epochSeconds, formatUpdatedTime } from './clock.js'
import type { EventGenerator } from './generator.js'
import type { SimNode } from './topology.js'
import { encodeEvent, encodeTail, withTime } from './wire.js'

export interface ProducedEvent {
  readonly stream: KubeArmorStream
  readonly bytes: Buffer
  readonly event: object | undefined
}

export interface EventSource {
  /** `wantObject`: also return the event object (costs a copy for recycled events). */
  next(wantObject: boolean): ProducedEvent
}

interface Kept {
  readonly stream: KubeArmorStream
  readonly node: SimNode | undefined
  readonly tail: Buffer
  readonly event: Readonly<Record<string, unknown>>
}

export function createEventSource (generator: EventGenerator, recycleAfter: number): EventSource {
  const nodesByName = new Map(generator.topology.nodes.map(node => [node.hostName, node]))
  const kept: Kept[] = []
  let cursor = 0

  return {
    next (wantObject) {
      if (recycleAfter > 0 && kept.length >= recycleAfter) {
        const entry = kept[cursor] as Kept
        cursor = (cursor + 1) % kept.length
        const micros = entry.node?.now() ?? 0
        const timestamp = epochSeconds(micros)
        const updatedTime = formatUpdatedTime(micros)
        return {
          stream: entry.stream,
          bytes: withTime(entry.tail, timestamp, updatedTime),
          event: wantObject ? { ...entry.event, Timestamp: timestamp, UpdatedTime: updatedTime } : undefined
        }
      }
      const { stream, event } = generator.generate()
      if (recycleAfter === 0) return { stream, bytes: encodeEvent(stream, event), event }
      const tail = encodeTail(stream, event)
      kept.push({ stream, node: nodesByName.get(event.HostName ?? ''), tail, event: event as Readonly<Record<string, unknown>> })
      return { stream, bytes: withTime(tail, event.Timestamp ?? 0, event.UpdatedTime ?? ''), event }
    }
  }
}
