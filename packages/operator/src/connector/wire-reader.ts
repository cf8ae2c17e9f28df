/**
 * Minimal protobuf wire-format reader for the hand-written KubeArmor decoders: varints, int64 as JS
 * number (Long.toNumber semantics, like proto-loader with `longs: Number`), length-delimited slices,
 * UTF-8 strings and skipping unknown fields by wire type. Throws WireFormatError on malformed input;
 * the connector turns that into a DecodeFailure (a reject row; the stream goes on).
 */

export class WireFormatError extends Error {
  override readonly name = 'WireFormatError'
}

export const WIRE_VARINT = 0
export const WIRE_FIXED64 = 1
export const WIRE_LEN = 2
export const WIRE_START_GROUP = 3
export const WIRE_END_GROUP = 4
export const WIRE_FIXED32 = 5

const TWO_POW_32 = 4294967296

/** Buffer's undocumented fast slicers (what Buffer#toString calls after argument checks). */
interface FastSlices {
  utf8Slice(start: number, end: number): string
  latin1Slice(start: number, end: number): string
}

export class WireReader {
  readonly buf: Buffer
  pos: number
  private latin1: string | undefined

  constructor (bytes: Uint8Array, pos = 0) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.pos = pos
  }

  /** Unsigned 32-bit varint (tags, lengths). Longer encodings keep their low 32 bits, like protobufjs. */
  uint32 (end: number): number {
    const buf = this.buf
    let pos = this.pos
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= end) throw new WireFormatError('truncated varint')
      const b = buf[pos++] as number
      value = shift < 28 ? value | ((b & 0x7f) << shift) : value | ((b & 0x0f) << 28)
      if (b < 0x80) { this.pos = pos; return value >>> 0 }
    }
    // 10-byte encodings (negative int32): drop the high bytes
    for (let i = 0; i < 5; i++) {
      if (pos >= end) throw new WireFormatError('truncated varint')
      if ((buf[pos++] as number) < 0x80) { this.pos = pos; return value >>> 0 }
    }
    throw new WireFormatError('varint longer than 10 bytes')
  }

  int32 (end: number): number {
    return this.uint32(end) | 0
  }

  /** Signed int64 varint as a JS number (exact up to 2^53). */
  int64 (end: number): number {
    const buf = this.buf
    let pos = this.pos
    let lo = 0
    let b: number
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw new WireFormatError('truncated varint')
      b = buf[pos++] as number
      lo |= (b & 0x7f) << shift
      if (b < 0x80) { this.pos = pos; return lo >>> 0 }
    }
    if (pos >= end) throw new WireFormatError('truncated varint')
    b = buf[pos++] as number
    lo = (lo | ((b & 0x7f) << 28)) >>> 0
    let hi = (b & 0x7f) >> 4
    if (b < 0x80) { this.pos = pos; return hi * TWO_POW_32 + lo }
    for (let shift = 3; shift < 38; shift += 7) {
      if (pos >= end) throw new WireFormatError('truncated varint')
      b = buf[pos++] as number
      hi |= (b & 0x7f) << shift
      if (b < 0x80) { this.pos = pos; return (hi | 0) * TWO_POW_32 + lo }
    }
    throw new WireFormatError('varint longer than 10 bytes')
  }

  /** Reads a length prefix and returns the end offset of the delimited bytes. */
  delimitedEnd (end: number): number {
    const len = this.uint32(end)
    const stop = this.pos + len
    if (stop > end) throw new WireFormatError(`length ${len} runs past the end of the message`)
    return stop
  }

  string (end: number): string {
    const stop = this.delimitedEnd(end)
    const start = this.pos
    this.pos = stop
    const buf = this.buf
    for (let i = start; i < stop; i++) {
      if ((buf[i] as number) >= 0x80) return (buf as unknown as FastSlices).utf8Slice(start, stop)
    }
    // ASCII: a substring of the whole message decoded once is far cheaper than one native call per field
    this.latin1 ??= this.decodeLatin1()
    return this.latin1.substring(start, stop)
  }

  /** Skips one field whose tag has been read. */
  skip (wireType: number, end: number, fieldNumber: number): void {
    switch (wireType) {
      case WIRE_VARINT: this.int64(end); return
      case WIRE_FIXED64: this.advance(8, end); return
      case WIRE_LEN: this.pos = this.delimitedEnd(end); return
      case WIRE_FIXED32: this.advance(4, end); return
      case WIRE_START_GROUP: {
        for (;;) {
          const tag = this.uint32(end)
          const wt = tag & 7
          if (wt === WIRE_END_GROUP) {
            if ((tag >>> 3) !== fieldNumber) throw new WireFormatError('mismatched end group')
            return
          }
          this.skip(wt, end, tag >>> 3)
        }
      }
      default:
        throw new WireFormatError(`invalid wire type ${wireType} for field ${fieldNumber}`)
    }
  }

  private decodeLatin1 (): string {
    return (this.buf as unknown as FastSlices).latin1Slice(0, this.buf.length)
  }

  private advance (n: number, end: number): void {
    if (this.pos + n > end) throw new WireFormatError('truncated fixed-width field')
    this.pos += n
  }
}
