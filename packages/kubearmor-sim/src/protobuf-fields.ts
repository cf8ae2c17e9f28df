/**
 * Walks the top-level fields of a protobuf message, for the few small messages coded by hand here
 * (grpc.health.v1 requests, a FileDescriptorProto to rename). Throws RangeError on truncated input or
 * a wire type this walker does not know (groups).
 */
export interface ProtobufField {
  readonly field: number
  readonly wireType: number
  /** Where the field starts (its tag) and ends in the message. */
  readonly start: number
  readonly end: number
  /** The varint value (wire type 0). */
  readonly value?: number
  /** The payload of a length-delimited field (wire type 2). */
  readonly bytes?: Buffer
}

export function protobufFields (message: Uint8Array): ProtobufField[] {
  const input = Buffer.from(message.buffer, message.byteOffset, message.byteLength)
  const fields: ProtobufField[] = []
  let pos = 0
  const varint = (): number => {
    let result = 0
    let shift = 0
    for (;;) {
      const byte = input[pos++]
      if (byte === undefined) throw new RangeError('truncated varint')
      result += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return result
      shift += 7
    }
  }
  while (pos < input.length) {
    const start = pos
    const tag = varint()
    const wireType = tag & 7
    let value: number | undefined
    let bytes: Buffer | undefined
    if (wireType === 0) value = varint()
    else if (wireType === 1) pos += 8
    else if (wireType === 2) {
      const length = varint()
      bytes = input.subarray(pos, pos + length)
      pos += length
    } else if (wireType === 5) pos += 4
    else throw new RangeError(`unsupported wire type ${wireType}`)
    if (pos > input.length) throw new RangeError('truncated field')
    fields.push({ field: tag >>> 3, wireType, start, end: pos, ...(value !== undefined ? { value } : {}), ...(bytes !== undefined ? { bytes } : {}) })
  }
  return fields
}
