/**
 * gRPC's length-prefixed message framing, read straight from HTTP/2 DATA chunks: each message is a
 * 1-byte compressed flag, a 4-byte big-endian length and the bytes. A chunk may hold many messages or
 * part of one; whole messages inside a chunk are handed out as views of it (no copy), a message split
 * across chunks is assembled in its own buffer.
 *
 * Pausing takes effect after the current message: the rest of the chunk is kept and read again on
 * resume, so a consumer that pauses sees no message after it asked to stop.
 */

export const GRPC_FRAME_HEADER_BYTES = 5

export interface GrpcMessageReaderInit {
  /** A whole message; `compressed` is the frame's flag. The view is valid until the next call. */
  readonly onMessage: (message: Buffer, compressed: boolean) => void
  /** A frame announced more than maxMessageBytes; nothing more is read. */
  readonly onTooLarge: (length: number) => void
  readonly maxMessageBytes: number
}

export class GrpcMessageReader {
  private readonly init: GrpcMessageReaderInit
  private readonly header = Buffer.alloc(GRPC_FRAME_HEADER_BYTES)
  private headerFill = 0
  /** The message being assembled across chunks. */
  private body: Buffer | undefined
  private bodyFill = 0
  private bodyCompressed = false
  /** Unread bytes kept while paused. */
  private stash: Buffer | undefined
  private failed = false
  paused = false

  constructor (init: GrpcMessageReaderInit) {
    this.init = init
  }

  /** Reads one DATA chunk; while paused it is kept for resume(). */
  write (chunk: Buffer): void {
    if (this.failed) return
    if (this.stash !== undefined) {
      this.stash = Buffer.concat([this.stash, chunk])
      return
    }
    this.read(chunk)
  }

  /** Reads what was kept while paused, unless a message pauses again. True when nothing is left. */
  resume (): boolean {
    this.paused = false
    const stash = this.stash
    if (stash === undefined) return true
    this.stash = undefined
    this.read(stash)
    return this.stash === undefined
  }

  private read (chunk: Buffer): void {
    const length = chunk.length
    let pos = 0
    while (pos < length) {
      if (this.paused) { this.stash = chunk.subarray(pos); return }
      if (this.body !== undefined) {
        const body = this.body
        const n = Math.min(length - pos, body.length - this.bodyFill)
        chunk.copy(body, this.bodyFill, pos, pos + n)
        this.bodyFill += n
        pos += n
        if (this.bodyFill < body.length) return
        this.body = undefined
        this.init.onMessage(body, this.bodyCompressed)
        continue
      }
      let flag: number
      let size: number
      if (this.headerFill === 0 && length - pos >= GRPC_FRAME_HEADER_BYTES) {
        flag = chunk[pos] as number
        size = chunk.readUInt32BE(pos + 1)
        pos += GRPC_FRAME_HEADER_BYTES
      } else {
        const n = Math.min(GRPC_FRAME_HEADER_BYTES - this.headerFill, length - pos)
        chunk.copy(this.header, this.headerFill, pos, pos + n)
        this.headerFill += n
        pos += n
        if (this.headerFill < GRPC_FRAME_HEADER_BYTES) return
        this.headerFill = 0
        flag = this.header[0] as number
        size = this.header.readUInt32BE(1)
      }
      if (size > this.init.maxMessageBytes) {
        this.failed = true
        this.init.onTooLarge(size)
        return
      }
      const compressed = (flag & 1) === 1
      if (length - pos >= size) {
        const message = chunk.subarray(pos, pos + size)
        pos += size
        this.init.onMessage(message, compressed)
      } else {
        this.body = Buffer.allocUnsafe(size)
        this.bodyFill = 0
        this.bodyCompressed = compressed
      }
    }
  }
}
