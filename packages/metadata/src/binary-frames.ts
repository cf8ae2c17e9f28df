/**
 * Binary frames on a byte stream: a 4-byte big-endian length, then that many bytes. The decoder
 * checks the length against its limit as soon as the header is in, before holding any of the body,
 * so an oversized frame is a protocol error and never an allocation.
 */
import { FedlakeError } from '@fedlake/core'
import { METADATA_ERRORS } from './errors.js'

export const FRAME_HEADER_BYTES = 4
/** What a header can express. */
export const MAX_FRAME_LIMIT = 0xffff_ffff

export function frameTooLarge (bytes: number, maxFrameBytes: number, direction: 'sent' | 'received'): FedlakeError {
  return new FedlakeError(METADATA_ERRORS.METADATA_FRAME_TOO_LARGE,
    `a ${direction === 'sent' ? 'frame to send' : 'received frame'} of ${bytes} bytes exceeds the maximum of ${maxFrameBytes} bytes`,
    { bytes, maxFrameBytes, direction })
}

export function encodeFrameHeader (length: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES)
  new DataView(header.buffer).setUint32(0, length)
  return header
}

/** Header and body in one buffer. */
export function encodeFrame (body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + body.byteLength)
  new DataView(frame.buffer).setUint32(0, body.byteLength)
  frame.set(body, FRAME_HEADER_BYTES)
  return frame
}

/** Several frames, each with its header, in one buffer. */
export function encodeFrames (bodies: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(bodies.reduce((sum, b) => sum + FRAME_HEADER_BYTES + b.byteLength, 0))
  const view = new DataView(out.buffer)
  let at = 0
  for (const body of bodies) {
    view.setUint32(at, body.byteLength)
    out.set(body, at + FRAME_HEADER_BYTES)
    at += FRAME_HEADER_BYTES + body.byteLength
  }
  return out
}

/** Reassembles frames from chunks as they arrive. */
export class FrameDecoder {
  private readonly chunks: Uint8Array[] = []
  private buffered = 0
  private bodyLength: number | undefined

  constructor (private readonly maxFrameBytes: number) {}

  push (chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return
    this.chunks.push(chunk)
    this.buffered += chunk.byteLength
  }

  /** The next complete frame (a copy), or undefined until more bytes arrive. Throws METADATA_FRAME_TOO_LARGE. */
  next (): Uint8Array | undefined {
    if (this.bodyLength === undefined) {
      if (this.buffered < FRAME_HEADER_BYTES) return undefined
      const header = this.take(FRAME_HEADER_BYTES)
      const length = new DataView(header.buffer).getUint32(0)
      if (length > this.maxFrameBytes) throw frameTooLarge(length, this.maxFrameBytes, 'received')
      this.bodyLength = length
    }
    if (this.buffered < this.bodyLength) return undefined
    const body = this.take(this.bodyLength)
    this.bodyLength = undefined
    return body
  }

  /** Bytes of an unfinished frame are held (a stream that ends now ended inside a frame). */
  get midFrame (): boolean {
    return this.bodyLength !== undefined || this.buffered > 0
  }

  private take (n: number): Uint8Array {
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const head = this.chunks[0] as Uint8Array
      const want = n - filled
      if (head.byteLength <= want) {
        out.set(head, filled)
        filled += head.byteLength
        this.chunks.shift()
      } else {
        out.set(head.subarray(0, want), filled)
        this.chunks[0] = head.subarray(want)
        filled += want
      }
    }
    this.buffered -= n
    return out
  }
}
