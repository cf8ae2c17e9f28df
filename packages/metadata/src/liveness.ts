/**
 * Liveness without flooding. Every `intervalMs` a node sends each directly connected peer one frame on a
 * long-lived stream: its metadata version, and how long ago it last had evidence that each other node was
 * alive (ages, not timestamps, so clocks need not agree). A node's freshest evidence of Y is the newest of
 * Y's own frames (direct) and its neighbours' reports, so evidence travels one hop per interval and a dead
 * node's evidence stops growing everywhere the moment its own frames stop.
 *
 * Cost: N·D small frames per interval (D = connections per node). The flooded, signed heartbeats this
 * replaces cost N² deliveries × gossip degree and N² Ed25519 checks per interval, which kept two cores
 * saturated at 50 nodes.
 *
 * A connection that has carried no frame for `2 × unreachableAfterMs` is closed (its peer is gone without
 * a FIN, or does not speak this protocol), so the node dials a working one instead; this replaces libp2p's
 * connection monitor, whose ping streams cost as much as the liveness frames themselves.
 *
 * Trust: a report is authenticated hop by hop (noise, and the network key when set), not end to end: a
 * member of the network could claim that a dead node is alive. Liveness only ranks operators for queries
 * (which time out and fail over); the policies that say what data lives where stay signed end to end.
 */
import type { Logger } from '@fedlake/core'
import type { Stream } from '@libp2p/interface'
import { FrameStream } from './framing.js'
import type { IngestTotals, NodeDetails, PeerDirectory } from './peer-directory.js'

export const LIVENESS_PROTOCOL = '/fedlake/metadata/liveness/1.0.0'
/** Frames are small; anything larger is not a liveness frame. */
const MAX_FRAME_BYTES = 1024 * 1024
/** Every tenth frame also carries what the sender knows of the other nodes' details (names, addresses). */
const DETAILS_EVERY = 10

/**
 * [peer index on this stream, ms since the sender's freshest evidence, that peer's metadata version when it
 * changed since the last frame on this stream]. Indexes are introduced once per stream in `ids`, so a frame
 * costs a few bytes per node instead of a 52-character peer id and a 32-character version.
 */
type SeenEntry = [number, number] | [number, number, string]
/** [peer id, ms since it said goodbye] */
type GoneEntry = [string, number]

interface LivenessFrame {
  v: 1
  /** Network name; a stream whose first frame names another network is dropped. */
  net: string
  version: string
  /** [index, peer id] for peers this stream has not named before. */
  ids?: Array<[number, string]>
  /** The sender's own details: on the first frame of a stream and every DETAILS_EVERY frames. */
  info?: NodeDetails
  seen: SeenEntry[]
  gone?: GoneEntry[]
  /** Details of other nodes, every DETAILS_EVERY frames. */
  details?: Record<string, NodeDetails>
  /** The sender is stopping. */
  bye?: true
}

export interface LivenessExchangeInit {
  readonly selfId: string
  readonly networkName: string
  readonly intervalMs: number
  readonly unreachableAfterMs: number
  readonly directory: PeerDirectory
  readonly logger: Logger
  readonly connectedPeers: () => string[]
  readonly isBlocked: (peerId: string) => boolean
  readonly openStream: (peerId: string, signal: AbortSignal) => Promise<Stream>
  /** Closes every connection to a peer that has been silent too long. */
  readonly hangUp: (peerId: string) => Promise<void>
  /** What this node tells about itself; built only for the frames that carry it (its addresses cost a libp2p walk). */
  readonly ownDetails: () => NodeDetails
  /** This node's ingest totals (operators): changed totals go out on the next frame. */
  readonly ownIngest: () => IngestTotals | undefined
  readonly version: () => string
  /** A direct peer reported its metadata version. */
  readonly onPeerVersion: (peerId: string, version: string) => void
  /** Evidence arrived that may flip a status (a new peer, a goodbye). */
  readonly onEvidence: () => void
}

export interface LivenessCounters {
  framesSent: number
  framesReceived: number
  framesInvalid: number
}

interface Outbound {
  frames: FrameStream
  sent: number
  writing: boolean
  /** Peer id -> index named on this stream. */
  readonly ids: Map<string, number>
  /** Peer id -> the version last sent for it on this stream. */
  readonly versions: Map<string, string>
  /** The sender's ingest totals last sent on this stream (JSON), so changed totals go out on the next frame. */
  ingestSent?: string
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isAge = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0
/** A libp2p peer id as text (base58btc multihash, or a CID in base32); anything else is not a node. */
const PEER_ID = /^(?:[1-9A-HJ-NP-Za-km-z]{40,100}|b[a-z2-7]{50,120})$/
const MAX_PEER_INDEX = 100_000

function readDetails (value: unknown): NodeDetails | undefined {
  if (!isObject(value)) return undefined
  const strings = (v: unknown): string[] | undefined => Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined
  const roles = strings(value.roles)
  const addresses = strings(value.addresses)
  const ingest = readIngestTotals(value.ingest)
  return {
    ...(typeof value.name === 'string' ? { name: value.name } : {}),
    ...(roles !== undefined ? { roles } : {}),
    ...(addresses !== undefined ? { addresses } : {}),
    ...(typeof value.restAddress === 'string' ? { restAddress: value.restAddress } : {}),
    ...(ingest !== undefined ? { ingest } : {})
  }
}

function readIngestTotals (value: unknown): IngestTotals | undefined {
  if (!isObject(value)) return undefined
  const count = (v: unknown): number | undefined => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined
  const received = count(value.received)
  const committed = count(value.committed)
  const dropped = count(value.dropped)
  const rejected = count(value.rejected)
  if (received === undefined || committed === undefined || dropped === undefined || rejected === undefined) return undefined
  return { received, committed, dropped, rejected }
}

function readFrame (value: unknown): LivenessFrame | undefined {
  if (!isObject(value) || value.v !== 1 || typeof value.net !== 'string' || typeof value.version !== 'string' || !Array.isArray(value.seen)) return undefined
  return value as unknown as LivenessFrame
}

export class LivenessExchange {
  readonly counters: LivenessCounters = { framesSent: 0, framesReceived: 0, framesInvalid: 0 }
  private readonly outbound = new Map<string, Outbound>()
  private readonly opening = new Set<string>()
  private readonly inbound = new Set<Stream>()
  /** When each connected peer last sent a frame, or when we first saw it connected. */
  private readonly heardAt = new Map<string, number>()
  private readonly log: Logger
  private timer: NodeJS.Timeout | undefined
  private running = false

  constructor (private readonly init: LivenessExchangeInit) {
    this.log = init.logger.child('liveness')
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.timer = setInterval(() => { this.tick() }, this.init.intervalMs)
    this.tick()
  }

  /** Tells every direct peer goodbye (bounded wait), then closes all streams. */
  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    clearInterval(this.timer)
    const goodbyes = [...this.outbound.entries()].map(async ([peerId, out]) => {
      await out.frames.write(this.frame(peerId, out, true)).catch(() => undefined)
    })
    await Promise.race([Promise.all(goodbyes), new Promise(resolve => setTimeout(resolve, 200))])
    for (const out of this.outbound.values()) await out.frames.close()
    this.outbound.clear()
    for (const stream of this.inbound) stream.abort(new Error('stopping'))
    this.inbound.clear()
  }

  /** Sends a frame to every connected peer now (ensuring a stream to each). */
  tick (): void {
    if (!this.running) return
    const connected = new Set(this.init.connectedPeers())
    for (const [peerId, out] of this.outbound) {
      if (!connected.has(peerId) || this.init.isBlocked(peerId)) this.drop(peerId, out)
    }
    const now = Date.now()
    for (const peerId of this.heardAt.keys()) if (!connected.has(peerId)) this.heardAt.delete(peerId)
    for (const peerId of connected) {
      if (this.init.isBlocked(peerId)) continue
      const heard = this.heardAt.get(peerId)
      if (heard === undefined) {
        this.heardAt.set(peerId, now)
      } else if (now - heard > 2 * this.init.unreachableAfterMs) {
        this.log.info('closing a silent connection', { peer: peerId, silentMs: now - heard })
        this.heardAt.delete(peerId)
        void this.init.hangUp(peerId).catch(() => undefined)
        continue
      }
      const out = this.outbound.get(peerId)
      if (out !== undefined) this.send(peerId, out)
      else this.open(peerId)
    }
  }

  /**
   * Other traffic (stream data) arrived from a connected peer: its connection is not silent, even when its
   * liveness frames wait behind that data on the same connection.
   */
  noteTraffic (peerId: string): void {
    if (this.heardAt.has(peerId)) this.heardAt.set(peerId, Date.now())
  }

  /** A peer just connected: it learns we are alive now rather than at the next tick. */
  greet (peerId: string): void {
    if (!this.running || this.init.isBlocked(peerId) || this.outbound.has(peerId)) return
    this.open(peerId)
  }

  /** Serves one inbound liveness stream until it ends. */
  async serve (stream: Stream, from: string): Promise<void> {
    if (this.init.isBlocked(from)) { stream.abort(new Error('blocked')); return }
    this.inbound.add(stream)
    const frames = new FrameStream(stream, MAX_FRAME_BYTES)
    const names: string[] = []
    try {
      for (;;) {
        const raw = await frames.read()
        if (raw === undefined) return
        const frame = readFrame(raw)
        if (frame === undefined || frame.net !== this.init.networkName) {
          this.counters.framesInvalid++
          this.log.debug('dropping a liveness stream with an invalid frame', { peer: from })
          stream.abort(new Error('invalid liveness frame'))
          return
        }
        this.counters.framesReceived++
        const now = Date.now()
        this.heardAt.set(from, now)
        this.apply(from, frame, names, now)
      }
    } catch (err) {
      if (this.running) this.log.debug('liveness stream ended', { peer: from, err })
    } finally {
      this.inbound.delete(stream)
    }
  }

  private open (peerId: string): void {
    if (this.opening.has(peerId)) return
    this.opening.add(peerId)
    this.init.openStream(peerId, AbortSignal.timeout(Math.max(5000, 2 * this.init.intervalMs)))
      .then(stream => {
        if (!this.running || this.outbound.has(peerId)) { stream.abort(new Error('not needed')); return }
        const out: Outbound = { frames: new FrameStream(stream, MAX_FRAME_BYTES), sent: 0, writing: false, ids: new Map(), versions: new Map() }
        this.outbound.set(peerId, out)
        this.send(peerId, out)
      }, err => { this.log.debug('cannot open a liveness stream', { peer: peerId, err }) })
      .finally(() => { this.opening.delete(peerId) })
  }

  private drop (peerId: string, out: Outbound): void {
    this.outbound.delete(peerId)
    out.frames.stream.abort(new Error('peer gone'))
  }

  private send (peerId: string, out: Outbound): void {
    // a peer that has not taken the previous frame yet gets the next one at the next tick
    if (out.writing) return
    out.writing = true
    const frame = this.frame(peerId, out, false)
    out.sent++
    this.counters.framesSent++
    out.frames.write(frame)
      .then(() => { out.writing = false }, err => {
        this.log.debug('liveness frame not sent', { peer: peerId, err })
        if (this.outbound.get(peerId) === out) this.drop(peerId, out)
      })
  }

  private frame (to: string, out: Outbound, bye: boolean): LivenessFrame {
    const now = Date.now()
    const withDetails = out.sent % DETAILS_EVERY === 0
    const { directory } = this.init
    const seen: SeenEntry[] = []
    const ids: Array<[number, string]> = []
    const gone: GoneEntry[] = []
    const details: Record<string, NodeDetails> = {}
    for (const peerId of directory.peerIds()) {
      if (peerId === to) continue
      const lastSeenAt = directory.lastSeenAt(peerId)
      const goodbyeAt = directory.goodbyeAt(peerId)
      if (goodbyeAt !== undefined && (lastSeenAt === undefined || goodbyeAt >= lastSeenAt)) {
        if (now - goodbyeAt <= this.init.unreachableAfterMs) gone.push([peerId, now - goodbyeAt])
      } else if (lastSeenAt !== undefined && now - lastSeenAt <= this.init.unreachableAfterMs) {
        let index = out.ids.get(peerId)
        if (index === undefined) {
          index = out.ids.size
          out.ids.set(peerId, index)
          ids.push([index, peerId])
        }
        const version = directory.version(peerId)
        if (version !== undefined && version !== out.versions.get(peerId)) {
          out.versions.set(peerId, version)
          seen.push([index, now - lastSeenAt, version])
        } else {
          seen.push([index, now - lastSeenAt])
        }
        const known = withDetails ? directory.details(peerId) : undefined
        if (known !== undefined) details[peerId] = known
      }
    }
    const frame: LivenessFrame = { v: 1, net: this.init.networkName, version: this.init.version(), seen }
    if (ids.length > 0) frame.ids = ids
    if (gone.length > 0) frame.gone = gone
    const totals = this.init.ownIngest()
    const ingest = totals === undefined ? undefined : JSON.stringify(totals)
    if (withDetails || bye || ingest !== out.ingestSent) {
      frame.info = this.init.ownDetails()
      out.ingestSent = ingest
    }
    if (withDetails) frame.details = details
    if (bye) frame.bye = true
    return frame
  }

  private apply (from: string, frame: LivenessFrame, names: string[], now: number): void {
    const { directory, selfId } = this.init
    const info = frame.info !== undefined ? readDetails(frame.info) : undefined
    const isNew = directory.lastSeenAt(from) === undefined
    if (frame.bye === true) {
      directory.goodbye(from, now)
    } else {
      directory.observe(from, now, frame.version, info)
      this.init.onPeerVersion(from, frame.version)
    }
    let evidence = isNew || frame.bye === true
    for (const entry of Array.isArray(frame.ids) ? frame.ids : []) {
      if (Array.isArray(entry) && Number.isSafeInteger(entry[0]) && entry[0] >= 0 && entry[0] < MAX_PEER_INDEX &&
        typeof entry[1] === 'string' && PEER_ID.test(entry[1])) names[entry[0]] = entry[1]
    }
    for (const entry of frame.seen) {
      if (!Array.isArray(entry)) continue
      const [index, age, version] = entry
      const peerId = typeof index === 'number' ? names[index] : undefined
      if (peerId === undefined || !isAge(age) || peerId === selfId || peerId === from) continue
      const wasKnown = directory.lastSeenAt(peerId) !== undefined
      directory.observe(peerId, now - age, typeof version === 'string' ? version : undefined)
      if (!wasKnown) evidence = true
    }
    for (const entry of frame.gone ?? []) {
      if (!Array.isArray(entry)) continue
      const [peerId, age] = entry
      if (typeof peerId !== 'string' || !PEER_ID.test(peerId) || !isAge(age) || peerId === selfId) continue
      if (directory.goodbye(peerId, now - age)) evidence = true
    }
    if (isObject(frame.details)) {
      for (const [peerId, value] of Object.entries(frame.details)) {
        const details = readDetails(value)
        if (peerId !== selfId && details !== undefined && PEER_ID.test(peerId)) directory.learnDetails(peerId, details)
      }
    }
    if (evidence) this.init.onEvidence()
  }
}
