import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'
import type { Logger } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { useHalfWindowUpdates } from '../src/yamux-window-updates.js'

const DATA = 0
const WINDOW_UPDATE = 1
/** yamux's initial stream window (256 KiB). */
const WINDOW = 256 * 1024

const silent = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false, newScope: () => silent }) as unknown as Logger

interface SentFrame { type: number, flag: number, length: number }

/** A yamux stream (established unless `state` says otherwise) whose frames out are recorded; `receive(n)` hands it one data frame of n bytes. */
function establishedStream (state = StreamState.Established): { sent: SentFrame[], receive: (bytes: number) => void } {
  const sent: SentFrame[] = []
  const stream = new YamuxStream({
    id: '1',
    streamId: 1,
    state,
    log: silent,
    direction: 'inbound',
    getRTT: () => -1,
    sendFrame: header => { sent.push({ type: header.type, flag: header.flag, length: header.length }); return true }
  })
  stream.addEventListener('message', () => {})
  const handleData = (stream as unknown as { handleData: (frame: unknown) => void }).handleData.bind(stream)
  return {
    sent,
    receive: bytes => handleData({ header: { type: DATA, flag: 0, streamID: 1, length: bytes }, data: new Uint8ArrayList(new Uint8Array(bytes)) })
  }
}

describe('yamux window updates', () => {
  it('are sent once half the receive window is used, not after every data frame', () => {
    useHalfWindowUpdates()
    const { sent, receive } = establishedStream()
    for (let i = 0; i < 500; i++) receive(200)
    assert.equal(sent.length, 0, '100 kB of small frames, under half the window: no update')
    for (let i = 0; i < 200; i++) receive(200)
    const updates = sent.filter(f => f.type === WINDOW_UPDATE)
    assert.equal(updates.length, 1, 'one update once half the window is used')
    assert.ok((updates[0]?.length ?? 0) >= WINDOW / 2, `it gives back what was used (${updates[0]?.length ?? 0} bytes)`)
  })

  it('still acknowledge a newly opened stream at once', () => {
    useHalfWindowUpdates()
    useHalfWindowUpdates()
    const { sent, receive } = establishedStream(StreamState.SYNReceived)
    receive(200)
    assert.equal(sent.length, 1, 'the ACK goes out with the first update')
    assert.equal(sent[0]?.type, WINDOW_UPDATE)
    assert.notEqual(sent[0]?.flag, 0)
    receive(200)
    assert.equal(sent.length, 1, 'then the stream is established and waits for half the window')
  })
})
