/**
 * Streams between nodes (MetadataNode.handleStream / openStream): framing, backpressure, aborts from
 * either side, deadlines, frame limits and network isolation. In-process nodes on loopback, plus child
 * processes where a separate process is the point (the sender's memory, a frozen peer).
 */
import '@fedlake/core/polyfills'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { delay, isFedlakeError, silentLogger, waitFor } from '@fedlake/core'
import { multiaddr } from '@multiformats/multiaddr'
import { FrameDecoder, encodeFrame } from '../src/binary-frames.js'
import { METADATA_ERRORS, createMetadataNode, generateNetworkKey } from '../src/index.js'
import type { MetadataNode, NodeEntry, PeerStream } from '../src/index.js'
import { createP2PNode } from '../src/p2p.js'
import { MetadataProcess, hostPort, killAll } from './fixtures/process-harness.js'

const MiB = 1024 * 1024
/**
 * Not a liveness test: on a loaded machine bulk transfers delay liveness frames, and short settings would
 * mark peers unreachable (and close their connections) in the middle of a test.
 */
const TIMING = { heartbeatIntervalMs: 1000, unreachableAfterMs: 10_000 }
const CHILD_TIMING = { networkName: 'stream-test', ...TIMING }
const { METADATA_PEER_UNREACHABLE, METADATA_PROTOCOL_UNSUPPORTED, METADATA_STREAM_RESET, METADATA_STREAM_CANCELLED, METADATA_STREAM_CLOSED, METADATA_FRAME_TOO_LARGE } = METADATA_ERRORS

/** Asserts a FedlakeError with the code (assert.rejects with an object compares own properties only). */
function hasCode (code: string): (err: unknown) => boolean {
  return err => {
    assert.ok(isFedlakeError(err), `expected a FedlakeError ${code}, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    return true
  }
}

async function readAll (stream: PeerStream): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = []
  for await (const f of stream.frames) frames.push(f)
  return frames
}

/** A frame whose bytes all derive from its index, so order and content can be checked. */
function patterned (index: number, size: number): Uint8Array {
  const frame = new Uint8Array(size)
  for (let i = 0; i < size; i++) frame[i] = (index + i) & 0xff
  return frame
}

function isPatterned (frame: Uint8Array, index: number): boolean {
  for (let i = 0; i < frame.byteLength; i++) if (frame[i] !== ((index + i) & 0xff)) return false
  return true
}

async function randomPeerId (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

function entryFor (peerId: string, addresses: readonly string[]): NodeEntry {
  return { type: 'operator', name: 'elsewhere', policyId: 'none', peerId, p2pAddresses: addresses, status: 'unreachable' }
}

describe('frame decoder', () => {
  it('reassembles frames split anywhere, including empty ones, in order', () => {
    const bodies = [patterned(1, 0), patterned(2, 1), patterned(3, 1000), patterned(4, 0), patterned(5, 70_000)]
    const wire = Buffer.concat(bodies.map(b => encodeFrame(b)))
    for (const chunkSize of [1, 3, 4, 5, 4096, wire.length]) {
      const decoder = new FrameDecoder(MiB)
      const out: Uint8Array[] = []
      for (let at = 0; at < wire.length; at += chunkSize) {
        decoder.push(wire.subarray(at, at + chunkSize))
        for (let f = decoder.next(); f !== undefined; f = decoder.next()) out.push(f)
      }
      assert.equal(out.length, bodies.length, `chunk size ${chunkSize}`)
      out.forEach((f, i) => { assert.deepEqual(f, bodies[i]) })
      assert.equal(decoder.midFrame, false)
    }
  })

  it('rejects a header over the limit as soon as the header is in, holding none of the body', () => {
    const decoder = new FrameDecoder(MiB)
    decoder.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff))
    assert.throws(() => decoder.next(), hasCode(METADATA_FRAME_TOO_LARGE))
    const atLimit = new FrameDecoder(4)
    atLimit.push(encodeFrame(Uint8Array.of(1, 2, 3, 4)))
    assert.deepEqual(atLimit.next(), Uint8Array.of(1, 2, 3, 4), 'a frame of exactly the maximum passes')
  })
})

describe('streams between nodes (in-process, loopback)', () => {
  const root = mkdtempSync(join(tmpdir(), 'fedlake-md-streams-'))
  const nodes: MetadataNode[] = []
  const servers: Server[] = []
  const sockets: Socket[] = []
  let client: MetadataNode
  let server: MetadataNode
  /** Errors and signal reasons the server side saw, by test. */
  const seen = new Map<string, unknown>()

  const make = async (name: string, options: { seeds?: string[], networkName?: string, networkKeyFile?: string, heartbeatIntervalMs?: number, unreachableAfterMs?: number } = {}): Promise<MetadataNode> => {
    const node = await createMetadataNode({
      dataDir: join(root, name),
      host: '127.0.0.1',
      p2pPort: 0,
      seeds: options.seeds ?? [],
      networkName: options.networkName ?? 'stream-test',
      ...(options.networkKeyFile !== undefined ? { networkKeyFile: options.networkKeyFile } : {}),
      admins: [],
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? TIMING.heartbeatIntervalMs,
      unreachableAfterMs: options.unreachableAfterMs ?? TIMING.unreachableAfterMs,
      antiEntropyIntervalMs: 1000,
      logger: silentLogger,
      nodeInfo: { name, roles: ['query'] }
    })
    await node.start()
    nodes.push(node)
    return node
  }
  const seedOf = (n: MetadataNode): string => hostPort(n.p2pAddresses()[0] as string)

  before(async () => {
    server = await make('server')
    client = await make('client', { seeds: [seedOf(server)] })
    await waitFor(() => client.peers().includes(server.peerId), { what: 'client connected to server' })

    server.handleStream('echo/1', async stream => {
      for await (const frame of stream.frames) await stream.send(frame)
    })
    server.handleStream('wait-for-abort/1', async stream => {
      // like an operator running a query: not reading, only watching for cancellation
      await new Promise<void>(resolve => { stream.signal.addEventListener('abort', () => { resolve() }, { once: true }) })
      seen.set('wait-for-abort', stream.signal.reason)
    })
    server.handleStream('read-until-error/1', async stream => {
      try { await readAll(stream) } catch (err) { seen.set('read-until-error', err) }
    })
    server.handleStream('send-then-abort/1', async stream => {
      await stream.frames[Symbol.asyncIterator]().next()
      for (let i = 0; i < 3; i++) await stream.send(patterned(i, 10))
      stream.abort(new Error('operator failed'))
    })
    server.handleStream('throws/1', () => { throw new Error('handler bug') })
    server.handleStream('rejects/1', async stream => {
      for await (const frame of stream.frames) if (frame.byteLength > 0) throw new Error('handler failed mid-stream')
    })
    server.handleStream('silent/1', async stream => { await readAll(stream).catch(err => { seen.set('silent', err) }) })
    server.handleStream('small-frames/1', async stream => {
      try { await readAll(stream) } catch (err) { seen.set('small-frames', err) }
    }, { maxFrameBytes: MiB })
  })

  after(async () => {
    for (const s of sockets) s.destroy()
    for (const s of servers) s.close()
    await killAll()
    await Promise.allSettled(nodes.map(n => n.stop()))
    rmSync(root, { recursive: true, force: true })
  })

  it('echoes many frames of mixed sizes in order; the handler returning ends the peer\'s frames', async () => {
    const stream = await client.openStream(server.peerId, 'echo/1', { signal: AbortSignal.timeout(120_000) })
    assert.equal(stream.remotePeer, server.peerId)
    const sizes = Array.from({ length: 3000 }, (_, i) => i % 500 === 0 ? 0 : i % 997 === 0 ? 3 * MiB : i % 50 === 0 ? 70_000 : (i * 37) % 2000)
    const echoed = readAll(stream)
    for (let i = 0; i < sizes.length; i++) await stream.send(patterned(i, sizes[i] as number))
    await stream.closeWrite()
    await assert.rejects(stream.send(patterned(0, 1)), hasCode(METADATA_STREAM_CLOSED))
    const frames = await echoed
    assert.equal(frames.length, sizes.length)
    frames.forEach((f, i) => {
      assert.equal(f.byteLength, sizes[i], `frame ${i} size`)
      assert.ok(isPatterned(f, i), `frame ${i} content`)
    })
    assert.equal(stream.signal.aborted, false, 'a clean end does not abort the signal')
  })

  it('sendAll sends groups of frames in order, small groups in one write and groups with a large frame frame by frame', async () => {
    const stream = await client.openStream(server.peerId, 'echo/1', { signal: AbortSignal.timeout(60_000) })
    const groups = [[0, 10, 2000], [5], [100, 70_000, 3], [], [30_000, 30_000, 30_000], [0, 0]]
    const echoed = readAll(stream)
    let index = 0
    for (const sizes of groups) await stream.sendAll(sizes.map(size => patterned(index++, size)))
    await stream.closeWrite()
    const frames = await echoed
    const sizes = groups.flat()
    assert.equal(frames.length, sizes.length)
    frames.forEach((f, i) => {
      assert.equal(f.byteLength, sizes[i], `frame ${i} size`)
      assert.ok(isPatterned(f, i), `frame ${i} content`)
    })
  })

  it('runs 100 concurrent streams of one protocol to one peer, opened at once on a fresh connection', async () => {
    // libp2p's defaults refuse the 33rd inbound stream of a protocol, and yamux aborts a whole new connection
    // on the 11th stream opened before libp2p attached its handlers
    const fresh = await make('fresh')
    fresh.handleStream('echo/1', async stream => { for await (const f of stream.frames) await stream.send(f) })
    const target = entryFor(fresh.peerId, fresh.p2pAddresses())
    const streams = await Promise.all(Array.from({ length: 100 }, () => client.openStream(target, 'echo/1', { signal: AbortSignal.timeout(60_000) })))
    const replies = await Promise.all(streams.map(async (s, i) => {
      const reply = readAll(s)
      await s.send(patterned(i, 100))
      await s.closeWrite()
      return await reply
    }))
    replies.forEach((frames, i) => {
      assert.equal(frames.length, 1)
      assert.ok(isPatterned(frames[0] as Uint8Array, i))
    })
  })

  it('an abort by the client reaches a server that is not reading (its signal) and one that is (its frames)', async () => {
    const idle = await client.openStream(server.peerId, 'wait-for-abort/1', { signal: AbortSignal.timeout(10_000) })
    const reading = await client.openStream(server.peerId, 'read-until-error/1', { signal: AbortSignal.timeout(10_000) })
    await idle.send(patterned(0, 10))
    await reading.send(patterned(0, 10))
    const abortedAt = Date.now()
    idle.abort(new Error('cancelled by the user'))
    reading.abort()
    await waitFor(() => seen.has('wait-for-abort') && seen.has('read-until-error'), { timeoutMs: 2000, intervalMs: 5, what: 'the server saw both aborts' })
    assert.ok(Date.now() - abortedAt < 1000, `abort took ${Date.now() - abortedAt} ms to reach the server`)
    assert.ok(hasCode(METADATA_STREAM_RESET)(seen.get('wait-for-abort')))
    assert.ok(hasCode(METADATA_STREAM_RESET)(seen.get('read-until-error')))
    await assert.rejects(readAll(idle), hasCode(METADATA_STREAM_CANCELLED), 'the aborting side\'s own frames throw too')
    await assert.rejects(idle.send(patterned(1, 1)), hasCode(METADATA_STREAM_CANCELLED))
    assert.equal(idle.signal.aborted, true)
  })

  it('an abort by the server reaches the client: its frames and its sends throw', async () => {
    const stream = await client.openStream(server.peerId, 'send-then-abort/1', { signal: AbortSignal.timeout(10_000) })
    await stream.send(patterned(0, 1))
    await assert.rejects(readAll(stream), hasCode(METADATA_STREAM_RESET))
    await assert.rejects(stream.send(patterned(0, 1)), hasCode(METADATA_STREAM_RESET))
    assert.ok(hasCode(METADATA_STREAM_RESET)(stream.signal.reason))
  })

  it('a handler that throws, or rejects mid-stream, resets the stream', async () => {
    const thrown = await client.openStream(server.peerId, 'throws/1', { signal: AbortSignal.timeout(10_000) })
    await assert.rejects(readAll(thrown), hasCode(METADATA_STREAM_RESET))
    const rejected = await client.openStream(server.peerId, 'rejects/1', { signal: AbortSignal.timeout(10_000) })
    await rejected.send(new Uint8Array(0))
    await rejected.send(patterned(0, 5))
    await assert.rejects(readAll(rejected), hasCode(METADATA_STREAM_RESET))
  })

  it('the openStream signal\'s deadline aborts an open stream on both sides', async () => {
    const stream = await client.openStream(server.peerId, 'silent/1', { signal: AbortSignal.timeout(400) })
    const started = Date.now()
    await assert.rejects(readAll(stream), hasCode(METADATA_STREAM_CANCELLED))
    const elapsed = Date.now() - started
    assert.ok(elapsed < 1500, `deadline of 400 ms hit after ${elapsed} ms`)
    await waitFor(() => seen.get('silent'), { timeoutMs: 2000, what: 'the server saw the reset' })
    assert.ok(hasCode(METADATA_STREAM_RESET)(seen.get('silent')))
  })

  it('a frame over the maximum is refused before sending, and as a protocol error when received', async () => {
    const echo = await client.openStream(server.peerId, 'echo/1', { signal: AbortSignal.timeout(10_000), maxFrameBytes: MiB })
    await assert.rejects(echo.send(new Uint8Array(MiB + 1)), hasCode(METADATA_FRAME_TOO_LARGE))
    const reply = readAll(echo)
    await echo.send(patterned(7, MiB))
    await echo.closeWrite()
    const frames = await reply
    assert.equal(frames.length, 1, 'the refused frame left the stream usable')
    assert.ok(isPatterned(frames[0] as Uint8Array, 7))

    const big = await client.openStream(server.peerId, 'small-frames/1', { signal: AbortSignal.timeout(10_000), maxFrameBytes: 8 * MiB })
    await big.send(patterned(1, MiB))
    const outcome = big.send(new Uint8Array(2 * MiB)).then(() => readAll(big))
    await assert.rejects(outcome, hasCode(METADATA_STREAM_RESET), 'the sender sees the receiver reset the stream')
    await waitFor(() => seen.get('small-frames'), { timeoutMs: 2000, what: 'the receiver\'s error' })
    assert.ok(hasCode(METADATA_FRAME_TOO_LARGE)(seen.get('small-frames')))
  })

  it('opening a stream to an unknown peer, a stopped peer or a silent address fails with METADATA_PEER_UNREACHABLE within the deadline', async () => {
    let started = Date.now()
    await assert.rejects(client.openStream(await randomPeerId(), 'echo/1', { signal: AbortSignal.timeout(1500) }), hasCode(METADATA_PEER_UNREACHABLE))
    assert.ok(Date.now() - started < 1500, 'a peer with no known address fails at once')

    const gone = await make('gone')
    const goneAddresses = gone.p2pAddresses()
    await client.dial(seedOf(gone))
    await gone.stop()
    started = Date.now()
    await assert.rejects(client.openStream(entryFor(gone.peerId, goneAddresses), 'echo/1', { signal: AbortSignal.timeout(1500) }), hasCode(METADATA_PEER_UNREACHABLE))
    assert.ok(Date.now() - started < 2000, `stopped peer: ${Date.now() - started} ms`)

    // accepts TCP connections and never answers: the noise handshake hangs until the deadline
    const silent = createServer(socket => { sockets.push(socket) })
    servers.push(silent)
    await new Promise<void>(resolve => { silent.listen(0, '127.0.0.1', resolve) })
    const port = (silent.address() as AddressInfo).port
    started = Date.now()
    await assert.rejects(client.openStream(entryFor(await randomPeerId(), [`/ip4/127.0.0.1/tcp/${port}`]), 'echo/1', { signal: AbortSignal.timeout(1000) }),
      hasCode(METADATA_PEER_UNREACHABLE))
    const elapsed = Date.now() - started
    assert.ok(elapsed >= 900 && elapsed < 2000, `silent address: failed after ${elapsed} ms for a 1000 ms deadline`)
  })

  it('opening a stream to a frozen peer (SIGSTOP, connection still open) fails within the deadline', async () => {
    const frozen = new MetadataProcess('frozen', { dataDir: join(root, 'frozen'), seeds: [seedOf(client)], ...CHILD_TIMING })
    const ready = await frozen.ready
    await waitFor(() => client.peers().includes(ready.peerId), { what: 'frozen peer connected' })
    process.kill(ready.pid, 'SIGSTOP')
    try {
      const started = Date.now()
      await assert.rejects(client.openStream(ready.peerId, 'echo/1', { signal: AbortSignal.timeout(1000) }), hasCode(METADATA_PEER_UNREACHABLE))
      const elapsed = Date.now() - started
      assert.ok(elapsed >= 900 && elapsed < 2000, `frozen peer: failed after ${elapsed} ms for a 1000 ms deadline`)
    } finally {
      process.kill(ready.pid, 'SIGCONT')
      await frozen.kill()
    }
  })

  it('a peer that does not serve the protocol, or runs another network, answers METADATA_PROTOCOL_UNSUPPORTED', async () => {
    await assert.rejects(client.openStream(server.peerId, 'nobody-serves-this/1', { signal: AbortSignal.timeout(5000) }), hasCode(METADATA_PROTOCOL_UNSUPPORTED))
    const other = await make('other-network', { networkName: 'another-network' })
    other.handleStream('echo/1', async stream => { for await (const f of stream.frames) await stream.send(f) })
    await assert.rejects(client.openStream(entryFor(other.peerId, other.p2pAddresses()), 'echo/1', { signal: AbortSignal.timeout(5000) }),
      hasCode(METADATA_PROTOCOL_UNSUPPORTED), 'protocol ids carry the network name')
  })

  it('nodes with different network keys cannot open streams to each other; the same key can', async () => {
    const keyA = join(root, 'a.swarm.key')
    const keyB = join(root, 'b.swarm.key')
    await generateNetworkKey(keyA)
    await generateNetworkKey(keyB)
    const x = await make('x', { networkKeyFile: keyA })
    const y = await make('y', { networkKeyFile: keyB })
    const z = await make('z', { networkKeyFile: keyA })
    for (const n of [x, y]) n.handleStream('echo/1', async stream => { for await (const f of stream.frames) await stream.send(f) })
    await assert.rejects(z.openStream(entryFor(y.peerId, y.p2pAddresses()), 'echo/1', { signal: AbortSignal.timeout(3000) }), hasCode(METADATA_PEER_UNREACHABLE))
    await assert.rejects(y.openStream(entryFor(x.peerId, x.p2pAddresses()), 'echo/1', { signal: AbortSignal.timeout(3000) }), hasCode(METADATA_PEER_UNREACHABLE))
    const same = await z.openStream(entryFor(x.peerId, x.p2pAddresses()), 'echo/1', { signal: AbortSignal.timeout(5000) })
    const reply = readAll(same)
    await same.send(patterned(3, 10))
    await same.closeWrite()
    assert.ok(isPatterned((await reply)[0] as Uint8Array, 3), 'same key: the stream works')
  })

  it('peerIdOf resolves node names (from node policies), catalog entries and peer ids', async () => {
    await waitFor(() => client.catalog.nodes().some(n => n.name === 'server'), { what: 'server node policy on the client' })
    assert.equal(client.peerIdOf('server'), server.peerId)
    const entry = client.catalog.nodes().find(n => n.name === 'server') as NodeEntry
    assert.equal(client.peerIdOf(entry), server.peerId)
    assert.equal(client.peerIdOf(server.peerId), server.peerId)
    assert.equal(client.peerIdOf('no-such-node'), undefined)
    const stream = await client.openStream(entry, 'echo/1', { signal: AbortSignal.timeout(5000) })
    await stream.closeWrite()
    assert.deepEqual(await readAll(stream), [])
  })

  it('unregistering a protocol refuses new streams', async () => {
    const unregister = server.handleStream('temporary/1', async stream => { await stream.closeWrite() })
    const first = await client.openStream(server.peerId, 'temporary/1', { signal: AbortSignal.timeout(5000) })
    assert.deepEqual(await readAll(first), [])
    unregister()
    await assert.rejects(client.openStream(server.peerId, 'temporary/1', { signal: AbortSignal.timeout(5000) }), hasCode(METADATA_PROTOCOL_UNSUPPORTED))
  })

  it('stream data from a peer keeps its connection from being closed as silent (liveness frames may queue behind it)', async () => {
    const quick = await make('quick', { heartbeatIntervalMs: 200, unreachableAfterMs: 800 })
    quick.handleStream('sink/1', async stream => { await readAll(stream).catch(() => undefined) })
    // a bare libp2p node: it never sends liveness frames, only stream data
    const mute = await createP2PNode({ privateKey: await generateKeyPair('Ed25519'), host: '127.0.0.1', port: 0, isBlocked: () => false })
    await mute.start()
    try {
      const muteId = mute.peerId.toString()
      const raw = await mute.dialProtocol(multiaddr(quick.p2pAddresses()[0] as string), '/fedlake/stream-test/sink/1', { signal: AbortSignal.timeout(5000) })
      const started = Date.now()
      while (Date.now() - started < 3 * 800) {
        raw.send(encodeFrame(patterned(0, 100)))
        await delay(100)
        assert.ok(quick.peers().includes(muteId), `connection closed after ${Date.now() - started} ms while data flowed`)
      }
      const quiet = Date.now()
      await waitFor(() => !quick.peers().includes(muteId), { timeoutMs: 5000, intervalMs: 50, what: 'the quiet connection closed' })
      assert.ok(Date.now() - quiet >= 800, 'closed only once silent for 2 × unreachableAfterMs')
    } finally {
      await mute.stop()
    }
  })

  it('backpressure: 200 MiB to a slow reader; the sending process stays small and its sends wait for the reader', async t => {
    const FRAME = 256 * 1024
    const FRAMES = 800
    const consumed: Array<{ at: number, bytes: number }> = []
    let received = 0
    let intact = true
    let readerDone!: () => void
    const done = new Promise<void>(resolve => { readerDone = resolve })
    const readerMemory = { baseline: process.memoryUsage().arrayBuffers, peak: 0 }
    const unregister = client.handleStream('slow-sink/1', async stream => {
      let index = 0
      for await (const frame of stream.frames) {
        if (frame.byteLength !== FRAME || frame[0] !== index % 256) intact = false
        index++
        received += frame.byteLength
        consumed.push({ at: Date.now(), bytes: received })
        readerMemory.peak = Math.max(readerMemory.peak, process.memoryUsage().arrayBuffers)
        // a reader at ~40 MiB/s, far slower than loopback
        if (index % 4 === 0) await delay(25)
      }
      readerDone()
    })
    try {
      const sender = new MetadataProcess('sender', { dataDir: join(root, 'sender'), seeds: [seedOf(client)], ...CHILD_TIMING }, ['--expose-gc'])
      const { peerId: senderId } = await sender.ready
      await waitFor(() => client.peers().includes(senderId), { what: 'sender connected' })
      const report = await sender.call<{
        baseline: { rss: number, heapUsed: number, arrayBuffers: number }
        peak: { rss: number, heapUsed: number, arrayBuffers: number }
        startedAt: number
        finishedAt: number
      }>('push', { peer: client.peerId, protocol: 'slow-sink/1', frames: FRAMES, frameBytes: FRAME }, 300_000)
      await done
      assert.equal(received, FRAME * FRAMES)
      assert.ok(intact, 'every frame arrived whole and in order')
      const growth = {
        arrayBuffers: report.peak.arrayBuffers - report.baseline.arrayBuffers,
        heapUsed: report.peak.heapUsed - report.baseline.heapUsed,
        rss: report.peak.rss - report.baseline.rss
      }
      const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`
      const detail = `sender growth: arrayBuffers ${mib(growth.arrayBuffers)}, heap ${mib(growth.heapUsed)}, rss ${mib(growth.rss)}; reader arrayBuffers +${mib(readerMemory.peak - readerMemory.baseline)}`
      t.diagnostic(`${detail}; sending took ${report.finishedAt - report.startedAt} ms`)
      // live memory (sampled after collections): a frame, yamux's and noise's buffers, nothing proportional to 200 MiB
      assert.ok(growth.arrayBuffers < 24 * MiB, detail)
      assert.ok(growth.heapUsed < 16 * MiB, detail)
      assert.ok(growth.rss < 64 * MiB, detail)
      // the reader's figure includes garbage not yet collected; without pausing it would hold most of the data
      assert.ok(readerMemory.peak - readerMemory.baseline < 96 * MiB, detail)
      // When its last send resolved, the sender was at most a few windows ahead of the reader.
      const readByThen = consumed.filter(c => c.at <= report.finishedAt).at(-1)?.bytes ?? 0
      assert.ok(FRAME * FRAMES - readByThen < 24 * MiB, `the sender finished with ${mib(FRAME * FRAMES - readByThen)} still unread; ${detail}`)
      assert.ok(report.finishedAt - report.startedAt > 3000, `sending 200 MiB to a 40 MiB/s reader took only ${report.finishedAt - report.startedAt} ms`)
      await sender.stop()
    } finally {
      unregister()
    }
  })
})
