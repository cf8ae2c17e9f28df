/**
 * The policy topic (`/fedlake/<network>/policies/1`): sends signed records into the gossipsub mesh and
 * routes received ones through a validator, which decides whether gossipsub forwards them.
 */
import type { Logger } from '@fedlake/core'
import type { PeerId } from '@libp2p/interface'
import type { GossipSub, Message, TopicValidatorResult } from '@libp2p/gossipsub'
import type { PolicyRecord } from './policy.js'

export interface PolicyGossipInit {
  readonly pubsub: GossipSub
  readonly networkName: string
  readonly logger: Logger
  /** Nothing is sent while the node is not running. */
  readonly isRunning: () => boolean
}

export interface PolicyGossip {
  readonly topic: string
  /** Sends a record into the mesh; a failure is logged, anti-entropy delivers the record later. */
  send(record: PolicyRecord): Promise<void>
  /** Routes every received message through the validator (before the libp2p node starts). */
  validateWith(validator: (from: PeerId, msg: Message) => Promise<TopicValidatorResult>): void
  /** Joins the topic (once the libp2p node runs). */
  subscribe(): void
}

export function createPolicyGossip (init: PolicyGossipInit): PolicyGossip {
  const topic = `/fedlake/${init.networkName}/policies/1`
  return {
    topic,

    async send (record) {
      if (!init.isRunning()) return
      try {
        await init.pubsub.publish(topic, new TextEncoder().encode(JSON.stringify(record.policy)))
      } catch (err) {
        init.logger.warn('gossip publish failed; anti-entropy will deliver the policy', { id: record.id, err })
      }
    },

    validateWith (validator) {
      init.pubsub.topicValidators.set(topic, validator)
    },

    subscribe () {
      init.pubsub.subscribe(topic)
    }
  }
}
