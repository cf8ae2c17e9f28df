/**
 * Publishing signed records authored by this node: policies (idempotent by content id, concurrent
 * publishes of one content share one signature) and tombstones (author or admin only).
 */
import { FedlakeError } from '@fedlake/core'
import type { PrivateKey } from '@libp2p/interface'
import type { OwnCounters } from './counters.js'
import { METADATA_ERRORS } from './errors.js'
import { TOMBSTONE_TYPE, computePolicyId, signPolicy } from './policy.js'
import type { PolicyContent, PolicyRecord, StoredPolicy } from './policy.js'
import type { PolicyStore } from './store.js'

export interface PublisherInit {
  readonly store: PolicyStore
  readonly privateKey: PrivateKey
  readonly selfId: string
  readonly counters: OwnCounters
  /** Spreads a freshly signed record. */
  readonly gossip: (record: PolicyRecord) => Promise<void>
}

export interface Publisher {
  /** Signs, stores and gossips content; content already held returns the stored policy. */
  publish(content: PolicyContent): Promise<StoredPolicy>
  /** Signs, stores and gossips a tombstone for a visible policy. */
  delete(id: string): Promise<void>
}

export function createPublisher (init: PublisherInit): Publisher {
  const { store, privateKey, selfId, counters } = init
  const pending = new Map<string, Promise<StoredPolicy>>()

  const latestTombstoneFor = (id: string): number => {
    const own = store.getRecord(computePolicyId(TOMBSTONE_TYPE, { target: id, by: selfId }))
    return own !== undefined ? Date.parse(own.date) : 0
  }

  const publish = (content: PolicyContent): Promise<StoredPolicy> => {
    const id = computePolicyId(content.type, content.content)
    const existing = store.get(id)
    if (existing !== undefined) return Promise.resolve(existing.policy)
    const inFlight = pending.get(id)
    if (inFlight !== undefined) return inFlight
    const run = (async () => {
      // A republish after a delete must be dated after the tombstone to become visible again.
      const floor = Math.max(Date.now(), latestTombstoneFor(id) + 1)
      const record = await signPolicy(content, privateKey, selfId, new Date(floor))
      store.add(record)
      counters.published++
      await init.gossip(record)
      return record.policy
    })().finally(() => { pending.delete(id) })
    pending.set(id, run)
    return run
  }

  const deletePolicy = async (id: string): Promise<void> => {
    const record = store.requireVisible(id)
    if (!store.mayDelete(record, selfId)) {
      throw new FedlakeError(METADATA_ERRORS.METADATA_NOT_AUTHORIZED, `policy ${id} belongs to ${record.author}; only its author or an admin may delete it`, { id, author: record.author })
    }
    const tombstone = await signPolicy({ type: TOMBSTONE_TYPE, content: { target: id, by: selfId } }, privateKey, selfId,
      new Date(Math.max(Date.now(), Date.parse(record.date))))
    store.add(tombstone)
    counters.published++
    await init.gossip(tombstone)
  }

  return { publish, delete: deletePolicy }
}
