/**
 * A bidirectional stream of message frames with another node: the shape the node-to-node transport gives
 * (the metadata package implements it over libp2p) and the sub-query protocol speaks. `send` waits while
 * the peer is slow (backpressure); `abort` resets both directions and makes the peer's reads throw.
 */
export interface FrameStream {
  /** Peer id of the other side. */
  readonly remotePeer: string
  /** Frames the other side sent, in order; ends when it closes its write side; throws when the stream is reset. */
  readonly frames: AsyncIterable<Uint8Array>
  send(frame: Uint8Array): Promise<void>
  /**
   * Sends frames in order, like `send` for each; a transport may put small ones in one write (one muxer frame,
   * one encryption, one socket write: per-write costs that dominate a small reply).
   */
  sendAll(frames: readonly Uint8Array[]): Promise<void>
  /** Closes our write side: the other side's `frames` ends. */
  closeWrite(): Promise<void>
  abort(reason?: Error): void
}

/**
 * Two FrameStreams joined in this process (a node that queries its own operator role, and tests). Each
 * direction holds at most `capacity` frames: a sender beyond that waits for the reader.
 */
export function createFramePipe (capacity = 4, peers: readonly [string, string] = ['local', 'local']): [FrameStream, FrameStream] {
  const ab = new FrameQueue(capacity)
  const ba = new FrameQueue(capacity)
  const end = (reads: FrameQueue, writes: FrameQueue, remotePeer: string): FrameStream => ({
    remotePeer,
    frames: { [Symbol.asyncIterator]: () => ({ next: async () => await reads.take(), return: async () => { reads.fail(new Error('reader left')); return { done: true, value: undefined } } }) },
    send: async frame => { await writes.put(frame) },
    sendAll: async frames => { for (const frame of frames) await writes.put(frame) },
    closeWrite: async () => { writes.close() },
    abort: reason => {
      const err = reason ?? new Error('stream reset')
      reads.fail(err)
      writes.fail(err)
    }
  })
  return [end(ba, ab, peers[1]), end(ab, ba, peers[0])]
}

class FrameQueue {
  private readonly frames: Uint8Array[] = []
  private closed = false
  private failure: Error | undefined
  private readers: (() => void)[] = []
  private writers: (() => void)[] = []

  constructor (private readonly capacity: number) {}

  async put (frame: Uint8Array): Promise<void> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure
      if (this.closed) throw new Error('write side closed')
      if (this.frames.length < this.capacity) break
      await new Promise<void>(resolve => { this.writers.push(resolve) })
    }
    this.frames.push(frame)
    this.wake(this.readers)
  }

  async take (): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure
      const frame = this.frames.shift()
      if (frame !== undefined) {
        this.wake(this.writers)
        return { done: false, value: frame }
      }
      if (this.closed) return { done: true, value: undefined }
      await new Promise<void>(resolve => { this.readers.push(resolve) })
    }
  }

  close (): void {
    this.closed = true
    this.wake(this.readers)
  }

  fail (err: Error): void {
    this.failure ??= err
    this.frames.length = 0
    this.wake(this.readers)
    this.wake(this.writers)
  }

  private wake (waiting: (() => void)[]): void {
    const all = waiting.splice(0)
    for (const resolve of all) resolve()
  }
}
