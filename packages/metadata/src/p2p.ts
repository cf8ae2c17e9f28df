/**
 * The libp2p node behind the metadata layer: TCP, noise, yamux, identify, ping, gossipsub, and the
 * pre-shared network key when one is configured. The only module that assembles libp2p.
 */
import { createHash } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'
import { lookup } from 'node:dns/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Multiaddr } from '@multiformats/multiaddr'
import { useHalfWindowUpdates } from './yamux-window-updates.js'

export type P2PNode = Libp2p<{ identify: Identify, ping: Ping, pubsub: GossipSub }>

/**
 * The largest receive window a yamux stream grows to (yamux's default is 16 MiB). It is also what a paused
 * stream (peer-stream.ts) may still receive, so it bounds the memory of a slow reader: 64 concurrent
 * sub-query streams cost at most 256 MiB of windows instead of 1 GiB. 4 MiB still fills a 100 ms link at 40 MiB/s.
 */
export const YAMUX_MAX_STREAM_WINDOW = 4 * 1024 * 1024

/**
 * Streams a peer may open on a new connection before libp2p has attached its handlers (yamux's default is 10,
 * and the 11th aborts the whole connection): a query node opening its sub-queries at once on a fresh
 * connection opens dozens.
 */
const YAMUX_MAX_EARLY_STREAMS = 256

export interface P2PInit {
  readonly privateKey: PrivateKey
  readonly host: string
  readonly port: number
  readonly networkKey?: Uint8Array
  /** Peers refused in both directions (ban list; partition tests). */
  readonly isBlocked: (peerId: string) => boolean
}

/** Resolves a host name to an IP literal for listen/dial multiaddrs. */
export async function resolveHost (host: string): Promise<string> {
  if (isIPv4(host) || isIPv6(host)) return host
  if (host === 'localhost') return '127.0.0.1'
  return (await lookup(host, { family: 4 })).address
}

function ipProto (ip: string): string {
  return isIPv6(ip) ? 'ip6' : 'ip4'
}

/**
 * A seed as a dialable multiaddr. `host:port` becomes `/ip4/h/tcp/p` (or `/ip6`, `/dns4`) with no
 * peer id: libp2p learns the peer id during the noise handshake. A multiaddr passes through.
 */
export function seedToMultiaddr (seed: string): Multiaddr {
  const s = seed.trim()
  if (s.startsWith('/')) return multiaddr(s)
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s)
  if (m === null) throw new Error(`seed '${seed}' is neither host:port nor a multiaddr`)
  const host = m[1] as string
  const proto = isIPv4(host) ? 'ip4' : isIPv6(host) ? 'ip6' : 'dns4'
  return multiaddr(`/${proto}/${host}/tcp/${m[2] as string}`)
}

/** The TCP port the node listens on, once it does. */
export function tcpListenPort (p2p: P2PNode): number | undefined {
  const port = p2p.getMultiaddrs()[0]?.getComponents().find(c => c.name === 'tcp')?.value
  return port !== undefined ? Number(port) : undefined
}

/** from + seqno identify a signed gossipsub message; the data hash covers unsigned ones. */
function fastMessageId (from: Uint8Array | undefined, seqno: Uint8Array | undefined, data: Uint8Array | undefined): string {
  if (from !== undefined && seqno !== undefined) return `${Buffer.from(from).toString('base64')}/${Buffer.from(seqno).toString('base64')}`
  return createHash('sha256').update(data ?? new Uint8Array(0)).digest('base64')
}

export async function createP2PNode (init: P2PInit): Promise<P2PNode> {
  useHalfWindowUpdates()
  const ip = await resolveHost(init.host)
  const blocked = (peerId: { toString: () => string }): boolean => init.isBlocked(peerId.toString())
  return createLibp2p({
    start: false,
    privateKey: init.privateKey,
    addresses: { listen: [`/${ipProto(ip)}/${ip}/tcp/${init.port}`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxEarlyStreams: YAMUX_MAX_EARLY_STREAMS, streamOptions: { maxStreamWindowSize: YAMUX_MAX_STREAM_WINDOW } })],
    ...(init.networkKey !== undefined ? { connectionProtector: preSharedKey({ psk: init.networkKey }) } : {}),
    connectionManager: {
      // libp2p refuses more than 5 inbound connections per second from one IP by default; several
      // nodes on one host (demo, tests) join faster than that.
      inboundConnectionThreshold: 100,
      maxIncomingPendingConnections: 64
    },
    // Liveness frames (liveness.ts) already show whether a connection carries anything and close silent
    // ones; the monitor's ping stream per connection every 10 s cost as much CPU as the frames at 50 nodes.
    connectionMonitor: { enabled: false },
    connectionGater: {
      denyDialPeer: blocked,
      denyInboundEncryptedConnection: blocked,
      denyOutboundEncryptedConnection: blocked
    },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        // Policies and heartbeats carry their own Ed25519 signatures (checked with cached keys), so
        // gossipsub's per-message envelope signature would only double the cost.
        globalSignaturePolicy: 'StrictNoSign',
        emitSelf: false,
        floodPublish: false,
        // Gossipsub penalises many peers behind one IP (Sybil defence); fedlake nodes often share a
        // host (docker-compose, tests on loopback), and with >10 of them every peer got graylisted.
        scoreParams: { IPColocationFactorWeight: 0 },
        // Without it gossipsub checks the signature of every duplicate copy before noticing it is a
        // duplicate (each node receives each message about D times): most of the CPU at 20+ nodes.
        fastMsgIdFn: msg => fastMessageId(msg.from, msg.seqno, msg.data),
        // Policies are small and rare; a message larger than this is not a policy.
        maxInboundDataLength: 4 * 1024 * 1024
      })
    }
  })
}
