/** Round trip to a node over libp2p's ping protocol, dialling it first when needed (`test network`). */
import { peerIdFromString } from '@libp2p/peer-id'
import type { NodeEntry } from './catalog.js'
import type { Dialer } from './dialer.js'
import { seedToMultiaddr } from './p2p.js'
import type { P2PNode } from './p2p.js'
import type { PeerDirectory } from './peer-directory.js'

export type Pinger = (target: NodeEntry | string, timeoutMs: number) => Promise<number | undefined>

export interface PingerInit {
  readonly selfId: string
  readonly ping: P2PNode['services']['ping']
  readonly dialer: Dialer
  readonly directory: PeerDirectory
}

/** Resolves to the round trip in ms, or undefined when the node does not answer in time. */
export function createPinger (init: PingerInit): Pinger {
  return async (target, timeoutMs) => {
    const peerId = typeof target === 'string' ? target : target.peerId
    if (peerId === init.selfId) return 0
    try {
      const signal = AbortSignal.timeout(timeoutMs)
      if (peerId !== undefined) {
        if (!init.dialer.isConnected(peerId)) {
          const extra = typeof target === 'string' ? [] : target.p2pAddresses
          if (extra.length > 0) init.directory.learnAddresses(peerId, extra)
          await init.dialer.dialPeer(peerId, signal)
        }
        return await init.ping.ping(peerIdFromString(peerId), { signal })
      }
      if (typeof target !== 'string' && target.ip !== undefined && target.port !== undefined) {
        return await init.ping.ping(seedToMultiaddr(`${target.ip}:${target.port}`), { signal })
      }
      return undefined
    } catch {
      return undefined
    }
  }
}
