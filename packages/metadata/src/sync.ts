/**
 * Anti-entropy over a libp2p stream (`/fedlake/metadata/sync/1.0.0`). The initiator sends its
 * version; if it differs, the responder lists its record keys, the initiator asks for the keys it
 * lacks and pushes the records the responder lacks, and the responder answers with the asked
 * records. One exchange leaves both sides with the union of their records.
 */
import type { Stream } from '@libp2p/interface'
import { FrameStream } from './framing.js'
import type { PolicyRecord, StoredPolicy } from './policy.js'
import type { PolicyStore } from './store.js'

export const SYNC_PROTOCOL = '/fedlake/metadata/sync/1.0.0'
const CHUNK_BYTES = 512 * 1024

export type IngestResult = 'added' | 'replaced' | 'duplicate' | 'stale' | 'rejected'

export interface SyncContext {
  readonly networkName: string
  readonly store: PolicyStore
  /** Verifies and merges one received policy. */
  ingest(raw: unknown, origin: string): Promise<IngestResult>
}

export interface SyncOutcome {
  /** Both sides already had the same version. */
  readonly equal: boolean
  readonly sent: number
  readonly received: number
}

type SyncMessage =
  | { t: 'hello', network: string, version: string }
  | { t: 'same' }
  | { t: 'reject', reason: string }
  | { t: 'keys', keys: string[] }
  | { t: 'want', keys: string[] }
  | { t: 'records', records: StoredPolicy[], last: boolean }

function asMessage (value: unknown): SyncMessage {
  if (typeof value !== 'object' || value === null || typeof (value as { t?: unknown }).t !== 'string') throw new Error('malformed sync message')
  return value as SyncMessage
}

async function readMessage (frames: FrameStream): Promise<SyncMessage> {
  const value = await frames.read()
  if (value === undefined) throw new Error('sync stream ended early')
  return asMessage(value)
}

async function sendRecords (frames: FrameStream, records: readonly PolicyRecord[]): Promise<void> {
  let batch: StoredPolicy[] = []
  let bytes = 0
  for (const r of records) {
    const size = JSON.stringify(r.policy).length
    if (batch.length > 0 && bytes + size > CHUNK_BYTES) {
      await frames.write({ t: 'records', records: batch, last: false })
      batch = []
      bytes = 0
    }
    batch.push(r.policy)
    bytes += size
  }
  await frames.write({ t: 'records', records: batch, last: true })
}

async function receiveRecords (frames: FrameStream, ctx: SyncContext, origin: string): Promise<number> {
  let received = 0
  for (;;) {
    const msg = await readMessage(frames)
    if (msg.t !== 'records' || !Array.isArray(msg.records)) throw new Error(`expected records, got ${msg.t}`)
    for (const raw of msg.records) {
      const result = await ctx.ingest(raw, origin)
      if (result === 'added' || result === 'replaced') received++
    }
    if (msg.last) return received
  }
}

/** Runs the initiating side on a freshly opened stream; closes it. */
export async function initiateSync (stream: Stream, ctx: SyncContext, origin: string): Promise<SyncOutcome> {
  const frames = new FrameStream(stream)
  try {
    await frames.write({ t: 'hello', network: ctx.networkName, version: ctx.store.version() })
    const reply = await readMessage(frames)
    if (reply.t === 'same') return { equal: true, sent: 0, received: 0 }
    if (reply.t === 'reject') throw new Error(`peer refused sync: ${reply.reason}`)
    if (reply.t !== 'keys' || !Array.isArray(reply.keys)) throw new Error(`expected keys, got ${reply.t}`)
    const theirs = new Set(reply.keys)
    const want = reply.keys.filter(k => typeof k === 'string' && !ctx.store.hasKey(k))
    const missingThere = ctx.store.recordsByKeys(ctx.store.recordKeys().filter(k => !theirs.has(k)))
    await frames.write({ t: 'want', keys: want })
    await sendRecords(frames, missingThere)
    const received = await receiveRecords(frames, ctx, origin)
    return { equal: false, sent: missingThere.length, received }
  } finally {
    await frames.close()
  }
}

/** Serves one sync exchange on an inbound stream; closes it. */
export async function serveSync (stream: Stream, ctx: SyncContext, origin: string): Promise<SyncOutcome> {
  const frames = new FrameStream(stream)
  try {
    const hello = await readMessage(frames)
    if (hello.t !== 'hello') throw new Error(`expected hello, got ${hello.t}`)
    if (hello.network !== ctx.networkName) {
      await frames.write({ t: 'reject', reason: `network '${ctx.networkName}' expected` })
      return { equal: false, sent: 0, received: 0 }
    }
    if (hello.version === ctx.store.version()) {
      await frames.write({ t: 'same' })
      return { equal: true, sent: 0, received: 0 }
    }
    await frames.write({ t: 'keys', keys: ctx.store.recordKeys() })
    const want = await readMessage(frames)
    if (want.t !== 'want' || !Array.isArray(want.keys)) throw new Error(`expected want, got ${want.t}`)
    const received = await receiveRecords(frames, ctx, origin)
    const asked = ctx.store.recordsByKeys(want.keys)
    await sendRecords(frames, asked)
    return { equal: false, sent: asked.length, received }
  } finally {
    await frames.close()
  }
}
