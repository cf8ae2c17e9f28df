/** Hand-built protobuf bytes for tolerance tests (unknown fields, wrong wire types, garbage). */
function varint (value: number): number[] {
  const out: number[] = []
  let v = value
  while (v > 0x7f) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 128) }
  out.push(v)
  return out
}

export function varintField (field: number, value: number): number[] {
  return [...varint(field << 3), ...varint(value)]
}

export function bytesField (field: number, value: string | Uint8Array): number[] {
  const bytes = typeof value === 'string' ? [...Buffer.from(value, 'utf8')] : [...value]
  return [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes]
}

export function message (...fields: number[][]): Uint8Array {
  return Uint8Array.from(fields.flat())
}
