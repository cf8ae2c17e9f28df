/**
 * VARCHAR vectors read in bulk. node-api decodes each value with a TextDecoder call (and a native call for
 * strings over 12 bytes); result columns of telemetry repeat a few values, whose entries point at the same
 * bytes, so here a string is decoded once per chunk per distinct pointer, and short ASCII strings (inlined
 * in their 16-byte entry) are built without a decoder.
 */
import { createRequire } from 'node:module'

interface StringBindings {
  get_data_from_pointer(buffer: ArrayBuffer, pointerOffset: number, byteCount: number): Uint8Array
}

const requireHere = createRequire(import.meta.url)
const bindings = createRequire(requireHere.resolve('@duckdb/node-api'))('@duckdb/node-bindings') as StringBindings
const decoder = new TextDecoder()
const ENTRY_BYTES = 16
const INLINE_BYTES = 12
const TWO_POW_32 = 4294967296

/**
 * The strings of a VARCHAR vector's entries (`entries` = its duckdb_string_t array), null where `valid`
 * marks NULL.
 */
export function readStrings (entries: DataView, rowCount: number, valid: Uint8Array | null): (string | null)[] {
  const out = new Array<string | null>(rowCount)
  const bytes = new Uint8Array(entries.buffer, entries.byteOffset, entries.byteLength)
  const byPointer = new Map<number, string>()
  for (let r = 0; r < rowCount; r++) {
    if (valid !== null && valid[r] === 0) { out[r] = null; continue }
    const at = r * ENTRY_BYTES
    const length = entries.getUint32(at, true)
    if (length <= INLINE_BYTES) {
      out[r] = inlineString(bytes, at + 4, length)
      continue
    }
    const pointer = entries.getUint32(at + 8, true) + entries.getUint32(at + 12, true) * TWO_POW_32
    let text = byPointer.get(pointer)
    if (text === undefined) {
      text = decoder.decode(bindings.get_data_from_pointer(entries.buffer as ArrayBuffer, entries.byteOffset + at + 8, length))
      byPointer.set(pointer, text)
    }
    out[r] = text
  }
  return out
}

/** A string of at most 12 bytes inlined in its entry: ASCII built directly, anything else decoded. */
function inlineString (bytes: Uint8Array, at: number, length: number): string {
  let high = 0
  for (let i = at; i < at + length; i++) high |= bytes[i] as number
  if (high >= 0x80) return decoder.decode(bytes.subarray(at, at + length))
  const b = (i: number): number => bytes[at + i] as number
  switch (length) {
    case 0: return ''
    case 1: return String.fromCharCode(b(0))
    case 2: return String.fromCharCode(b(0), b(1))
    case 3: return String.fromCharCode(b(0), b(1), b(2))
    case 4: return String.fromCharCode(b(0), b(1), b(2), b(3))
    default: return String.fromCharCode.apply(null, bytes.subarray(at, at + length) as unknown as number[])
  }
}
