import type { MetadataCounters } from './api.js'

/** The counters the node keeps itself; the liveness ones live in the liveness exchange. */
export type OwnCounters = Omit<MetadataCounters, 'livenessFramesSent' | 'livenessFramesReceived' | 'livenessFramesRejected'>

export function createOwnCounters (): OwnCounters {
  return {
    published: 0, gossipReceived: 0, syncReceived: 0, accepted: 0, duplicates: 0, rejectedForged: 0, rejectedInvalid: 0,
    syncRounds: 0, syncFailures: 0, syncSent: 0, loadedFromDisk: 0
  }
}
