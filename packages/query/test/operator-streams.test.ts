import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createFramePipe, silentLogger, waitFor } from '@fedlake/core'
import type { FrameStream } from '@fedlake/core'
import { batchFromValues, decodeFrame, encodeBatchFrame, encodeControl } from '@fedlake/sql'
import type { SubqueryRequest } from '@fedlake/sql'
import { OperatorStreams } from '../src/network/operator-streams.js'

const target = { peerId: 'op-peer', name: 'op-1' }
const request = (sql: string): SubqueryRequest => ({ type: 'query', queryId: 'q', dbms: 'd', sql, timeoutMs: 5000 })

/**
 * The operator's side of the protocol over in-process pipes: answers each request with its SQL's length as one
 * BIGINT row. `keeps` false acts as an operator that does not know keepOpen (one sub-query per stream).
 */
function operatorPeer (keeps = true): { streams: FrameStream[], requests: SubqueryRequest[], openStream: (peerId: string, signal: AbortSignal) => Promise<FrameStream>, closedByQueryNode: () => number } {
  const streams: FrameStream[] = []
  const requests: SubqueryRequest[] = []
  let closed = 0
  const serve = async (stream: FrameStream): Promise<void> => {
    for await (const raw of stream.frames) {
      const frame = decodeFrame(raw)
      assert.ok(frame.kind === 'control' && frame.message.type === 'query')
      const req = frame.message
      requests.push(req)
      const fields = [{ name: 'n', type: 'BIGINT' as const }]
      await stream.send(encodeControl({ type: 'fields', fields }))
      await stream.send(encodeBatchFrame(batchFromValues(fields, [[BigInt(req.sql.length)]])))
      const keepOpen = keeps && req.keepOpen === true
      await stream.send(encodeControl(keepOpen ? { type: 'end', rows: 1, keepOpen } : { type: 'end', rows: 1 }))
      if (!keepOpen) { await stream.closeWrite(); return }
    }
    closed++
    await stream.closeWrite()
  }
  return {
    streams,
    requests,
    closedByQueryNode: () => closed,
    openStream: async () => {
      const [client, server] = createFramePipe(4)
      streams.push(server)
      void serve(server).catch(() => undefined)
      return client
    }
  }
}

async function answer (streams: OperatorStreams, sql: string): Promise<bigint> {
  const sub = await streams.ask(target, request(sql), new AbortController().signal)
  const values: bigint[] = []
  for await (const batch of sub.batches) values.push(batch.vectors[0]?.values[0] as bigint)
  assert.equal(values.length, 1)
  return values[0] as bigint
}

describe('operator streams', () => {
  it('sends the next sub-query to an operator on the stream the last one used', async () => {
    const peer = operatorPeer()
    const streams = new OperatorStreams({ openStream: peer.openStream, selfPeerId: () => 'me', logger: silentLogger })
    assert.equal(await answer(streams, 'select 1'), 8n)
    assert.equal(await answer(streams, 'select 22'), 9n)
    assert.equal(await answer(streams, 'select 333'), 10n)
    assert.equal(peer.streams.length, 1)
    assert.ok(peer.requests.every(r => r.keepOpen === true))
    streams.close()
  })

  it('opens one stream per concurrent sub-query and keeps them all', async () => {
    const peer = operatorPeer()
    const streams = new OperatorStreams({ openStream: peer.openStream, selfPeerId: () => 'me', logger: silentLogger })
    assert.deepEqual(await Promise.all(['a', 'bb', 'ccc'].map(async s => await answer(streams, s))), [1n, 2n, 3n])
    assert.deepEqual(await Promise.all(['a', 'bb', 'ccc'].map(async s => await answer(streams, s))), [1n, 2n, 3n])
    assert.equal(peer.streams.length, 3)
    streams.close()
  })

  it('asks again on a new stream when a kept one had ended', async () => {
    const peer = operatorPeer()
    const streams = new OperatorStreams({ openStream: peer.openStream, selfPeerId: () => 'me', logger: silentLogger })
    assert.equal(await answer(streams, 'select 1'), 8n)
    // the operator gives up on the idle stream (its idle timeout, a restart)
    peer.streams[0]?.abort()
    assert.equal(await answer(streams, 'select 22'), 9n)
    assert.equal(peer.streams.length, 2)
    streams.close()
  })

  it('closes a stream when the operator does not keep it, and idle streams after idleMs', async () => {
    const old = operatorPeer(false)
    const oneShot = new OperatorStreams({ openStream: old.openStream, selfPeerId: () => 'me', logger: silentLogger })
    assert.equal(await answer(oneShot, 'select 1'), 8n)
    assert.equal(await answer(oneShot, 'select 1'), 8n)
    assert.equal(old.streams.length, 2)

    const peer = operatorPeer()
    const streams = new OperatorStreams({ openStream: peer.openStream, selfPeerId: () => 'me', logger: silentLogger, idleMs: 50 })
    assert.equal(await answer(streams, 'select 1'), 8n)
    await waitFor(() => peer.closedByQueryNode() === 1, { timeoutMs: 5000, what: 'the idle stream to be closed by the query node' })
    assert.equal(await answer(streams, 'select 1'), 8n)
    assert.equal(peer.streams.length, 2)
    streams.close()
  })
})
