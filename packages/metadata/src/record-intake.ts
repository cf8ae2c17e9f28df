/**
 * Receiving policies from peers (gossip and anti-entropy): skip records already held, verify id and
 * signature, merge into the store, count the outcome. A fresh record that arrived by anti-entropy is
 * passed back into gossip.
 */
import { isFedlakeError } from '@fedlake/core'
import type { Logger } from '@fedlake/core'
import type { PeerId } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Message } from '@libp2p/gossipsub'
import type { OwnCounters } from './counters.js'
import { METADATA_ERRORS } from './errors.js'
import { recordKeyOf, verifyPolicy } from './policy.js'
import type { PolicyRecord } from './policy.js'
import type { PolicyStore } from './store.js'
import type { IngestResult } from './sync.js'

/** A record younger than this that arrives by anti-entropy is probably missing elsewhere too. */
const REGOSSIP_WINDOW_MS = 60_000

export interface RecordIntakeInit {
  readonly store: PolicyStore
  readonly counters: OwnCounters
  readonly logger: Logger
  /** Spreads a record by gossip. */
  readonly regossip: (record: PolicyRecord) => Promise<void>
}

export interface RecordIntake {
  /** Verifies and merges one received policy; `origin` is `gossip:<peer>` or `sync:<peer>`. */
  ingest(raw: unknown, origin: string): Promise<IngestResult>
  /** The gossipsub validator of the policy topic: only new, valid records are forwarded. */
  validateGossip(from: PeerId, msg: Message): Promise<TopicValidatorResult>
}

export function createRecordIntake (init: RecordIntakeInit): RecordIntake {
  const { store, counters, logger: log } = init

  const heldKeyOf = (raw: unknown): string | undefined => {
    if (typeof raw !== 'object' || raw === null) return undefined
    const body = Object.values(raw)[0] as { signature?: unknown } | undefined
    if (typeof body?.signature !== 'string') return undefined
    const key = recordKeyOf(body.signature)
    return store.hasKey(key) ? key : undefined
  }

  const ingest = async (raw: unknown, origin: string): Promise<IngestResult> => {
    // Most gossip and sync traffic is records we already hold: skip the signature check for those.
    if (heldKeyOf(raw) !== undefined) { counters.duplicates++; return 'duplicate' }
    let record: PolicyRecord
    try {
      record = await verifyPolicy(raw)
    } catch (err) {
      const forged = isFedlakeError(err, METADATA_ERRORS.METADATA_POLICY_FORGED)
      if (forged) counters.rejectedForged++
      else counters.rejectedInvalid++
      log.warn(forged ? 'rejected a forged policy' : 'rejected an invalid policy', { origin, err, ...(isFedlakeError(err) ? err.details : {}) })
      return 'rejected'
    }
    const result = store.add(record)
    if (result === 'added' || result === 'replaced') {
      counters.accepted++
      // A fresh record that arrived by anti-entropy (e.g. a late joiner's own policies) is
      // probably missing elsewhere too: spread it by gossip instead of waiting for more rounds.
      if (origin.startsWith('sync:') && Date.now() - Date.parse(record.date) < REGOSSIP_WINDOW_MS) void init.regossip(record)
    } else {
      counters.duplicates++
    }
    return result
  }

  const validateGossip = async (from: PeerId, msg: Message): Promise<TopicValidatorResult> => {
    counters.gossipReceived++
    let raw: unknown
    try { raw = JSON.parse(new TextDecoder().decode(msg.data)) } catch { counters.rejectedInvalid++; return TopicValidatorResult.Reject }
    const result = await ingest(raw, `gossip:${from.toString()}`)
    if (result === 'rejected') return TopicValidatorResult.Reject
    return result === 'added' || result === 'replaced' ? TopicValidatorResult.Accept : TopicValidatorResult.Ignore
  }

  return { ingest, validateGossip }
}
