/** Length-prefixed JSON messages (4-byte big-endian length, UTF-8 JSON) over a libp2p stream. */
import type { Stream } from '@libp2p/interface'

export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024

export class FrameStream {
  private readonly iterator: AsyncIterator<Uint8Array | { subarray: () => Uint8Array }>
  private buffer: Buffer = Buffer.alloc(0)
  private ended = false

  constructor (readonly stream: Stream, private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.iterator = stream[Symbol.asyncIterator]()
  }

  async write (message: unknown): Promise<void> {
    const body = Buffer.from(JSON.stringify(message), 'utf8')
    if (body.length > this.maxFrameBytes) throw new Error(`frame of ${body.length} bytes exceeds ${this.maxFrameBytes}`)
    const header = Buffer.alloc(4)
    header.writeUInt32BE(body.length)
    if (!this.stream.send(Buffer.concat([header, body]))) await this.stream.onDrain()
  }

  /** The next message, or undefined when the remote closed its side. */
  async read (): Promise<unknown> {
    for (;;) {
      if (this.buffer.length >= 4) {
        const length = this.buffer.readUInt32BE(0)
        if (length > this.maxFrameBytes) throw new Error(`incoming frame of ${length} bytes exceeds ${this.maxFrameBytes}`)
        if (this.buffer.length >= 4 + length) {
          const body = this.buffer.subarray(4, 4 + length)
          this.buffer = this.buffer.subarray(4 + length)
          return JSON.parse(body.toString('utf8')) as unknown
        }
      }
      if (this.ended) {
        if (this.buffer.length > 0) throw new Error('stream ended inside a frame')
        return undefined
      }
      const next = await this.iterator.next()
      if (next.done === true) { this.ended = true; continue }
      this.buffer = Buffer.concat([this.buffer, next.value.subarray()])
    }
  }

  async close (): Promise<void> {
    await this.stream.close().catch(() => { this.stream.abort(new Error('close failed')) })
  }
}
