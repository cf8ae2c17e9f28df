/**
 * A hand-written protobuf encoder for feeder.Log / feeder.Alert / feeder.Message, byte-compatible
 * with proto/kubearmor.proto (proto3: zero values and empty strings are not written). It exists
 * for throughput: the simulator encodes each event once and hands the same bytes to every
 * subscriber. Tests check it against protobufjs decoding through @grpc/proto-loader.
 */
import type { KubeArmorStream } from '@fedlake/core'

type Kind = 'string' | 'int32' | 'int64' | 'owner' | 'exec' | 'map' | 'strings'
type FieldTable = ReadonlyArray<readonly [name: string, fieldNumber: number, kind: Kind]>

export const LOG_FIELDS: FieldTable = [
  ['Timestamp', 1, 'int64'], ['UpdatedTime', 2, 'string'], ['ClusterName', 3, 'string'], ['HostName', 4, 'string'],
  ['NamespaceName', 5, 'string'], ['Owner', 24, 'owner'], ['PodName', 6, 'string'], ['Labels', 23, 'string'],
  ['ContainerID', 7, 'string'], ['ContainerName', 8, 'string'], ['ContainerImage', 19, 'string'],
  ['ParentProcessName', 20, 'string'], ['ProcessName', 21, 'string'],
  ['HostPPID', 22, 'int32'], ['HostPID', 9, 'int32'], ['PPID', 10, 'int32'], ['PID', 11, 'int32'], ['UID', 12, 'int32'],
  ['Type', 13, 'string'], ['Source', 14, 'string'], ['Operation', 15, 'string'], ['Resource', 16, 'string'], ['Data', 17, 'string'],
  ['EventData', 33, 'map'], ['Result', 18, 'string'], ['Cwd', 25, 'string'], ['TTY', 26, 'string'], ['ExecEvent', 27, 'exec'],
  ['NodeID', 28, 'string'], ['ProcessHash', 29, 'string'], ['ParentHash', 30, 'string'], ['ResourceHash', 31, 'string'],
  ['HashAlgo', 32, 'string'], ['UserName', 34, 'string']
]

export const ALERT_FIELDS: FieldTable = [
  ['Timestamp', 1, 'int64'], ['UpdatedTime', 2, 'string'], ['ClusterName', 3, 'string'], ['HostName', 4, 'string'],
  ['NamespaceName', 5, 'string'], ['Owner', 31, 'owner'], ['PodName', 6, 'string'], ['Labels', 29, 'string'],
  ['ContainerID', 7, 'string'], ['ContainerName', 8, 'string'], ['ContainerImage', 24, 'string'],
  ['HostPPID', 27, 'int32'], ['HostPID', 9, 'int32'], ['PPID', 10, 'int32'], ['PID', 11, 'int32'], ['UID', 12, 'int32'],
  ['ParentProcessName', 25, 'string'], ['ProcessName', 26, 'string'], ['PolicyName', 13, 'string'], ['Severity', 14, 'string'],
  ['Tags', 15, 'string'], ['ATags', 30, 'strings'], ['Message', 16, 'string'], ['Type', 17, 'string'], ['Source', 18, 'string'],
  ['Operation', 19, 'string'], ['Resource', 20, 'string'], ['Data', 21, 'string'], ['EventData', 43, 'map'],
  ['Enforcer', 28, 'string'], ['Action', 22, 'string'], ['Result', 23, 'string'], ['Cwd', 32, 'string'], ['TTY', 33, 'string'],
  ['MaxAlertsPerSec', 34, 'int32'], ['DroppingAlertsInterval', 35, 'int32'], ['ExecEvent', 36, 'exec'],
  ['KubeArmorVersion', 37, 'string'], ['NodeID', 38, 'string'], ['ProcessHash', 39, 'string'], ['ParentHash', 40, 'string'],
  ['ResourceHash', 41, 'string'], ['HashAlgo', 42, 'string'], ['UserName', 44, 'string']
]

export const MESSAGE_FIELDS: FieldTable = [
  ['Timestamp', 1, 'int64'], ['UpdatedTime', 2, 'string'], ['ClusterName', 3, 'string'], ['HostName', 4, 'string'],
  ['HostIP', 5, 'string'], ['Type', 6, 'string'], ['Level', 7, 'string'], ['Message', 8, 'string']
]

export const FIELDS_BY_STREAM: Readonly<Record<KubeArmorStream, FieldTable>> = { logs: LOG_FIELDS, alerts: ALERT_FIELDS, messages: MESSAGE_FIELDS }

const OWNER_FIELDS: FieldTable = [['Ref', 1, 'string'], ['Name', 2, 'string'], ['Namespace', 3, 'string']]
const EXEC_FIELDS: FieldTable = [['ExecID', 1, 'string'], ['ExecutableName', 2, 'string']]

const WIRE_VARINT = 0
const WIRE_LEN = 2

/** Growable scratch buffer; each encode copies its result out, so the scratch is reused. */
class Writer {
  buf = Buffer.allocUnsafe(16 * 1024)
  pos = 0

  ensure (extra: number): void {
    if (this.pos + extra <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra))
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  varint (value: number): void {
    this.ensure(10)
    const buf = this.buf
    if (value < 0) {
      // int32/int64 negatives are sign-extended to 64 bits: always 10 bytes.
      let lo = value >>> 0
      let hi = Math.floor(value / 4294967296) >>> 0
      for (let i = 0; i < 9; i++) {
        buf[this.pos++] = (lo & 0x7f) | 0x80
        lo = ((lo >>> 7) | (hi << 25)) >>> 0
        hi >>>= 7
      }
      buf[this.pos++] = lo & 0x01
      return
    }
    while (value > 0x7f) {
      buf[this.pos++] = (value % 128) | 0x80
      value = Math.floor(value / 128)
    }
    buf[this.pos++] = value
  }

  tag (fieldNumber: number, wireType: number): void {
    this.varint(fieldNumber * 8 + wireType)
  }

  string (fieldNumber: number, value: string): void {
    const length = Buffer.byteLength(value)
    this.tag(fieldNumber, WIRE_LEN)
    this.varint(length)
    this.ensure(length)
    this.pos += this.buf.write(value, this.pos, 'utf8')
  }
}

function isAscii (value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false
  return true
}

function utf8Length (value: string): number {
  return isAscii(value) ? value.length : Buffer.byteLength(value)
}

function stringsSize (table: FieldTable, value: Record<string, unknown>): number {
  let size = 0
  for (const [name, fieldNumber] of table) {
    const v = value[name]
    if (typeof v !== 'string' || v === '') continue
    const length = utf8Length(v)
    size += varintSize(fieldNumber * 8) + varintSize(length) + length
  }
  return size
}

function varintSize (value: number): number {
  if (value < 0) return 10
  let size = 1
  while (value > 0x7f) { value = Math.floor(value / 128); size++ }
  return size
}

function writeStrings (w: Writer, table: FieldTable, value: Record<string, unknown>): void {
  for (const [name, fieldNumber] of table) {
    const v = value[name]
    if (typeof v === 'string' && v !== '') w.string(fieldNumber, v)
  }
}

const writer = new Writer()

function encodeInto (w: Writer, table: FieldTable, event: Record<string, unknown>): void {
  for (const [name, fieldNumber, kind] of table) {
    const v = event[name]
    if (v === undefined || v === null) continue
    switch (kind) {
      case 'string':
        if (typeof v === 'string' && v !== '') w.string(fieldNumber, v)
        break
      case 'int32':
      case 'int64':
        if (typeof v === 'number' && v !== 0) {
          w.tag(fieldNumber, WIRE_VARINT)
          w.varint(kind === 'int32' ? v | 0 : Math.trunc(v))
        }
        break
      case 'owner':
      case 'exec': {
        // Present sub-messages are written even when empty (Go sends ExecEvent{} as a zero-length field).
        const sub = v as Record<string, unknown>
        const table = kind === 'owner' ? OWNER_FIELDS : EXEC_FIELDS
        w.tag(fieldNumber, WIRE_LEN)
        w.varint(stringsSize(table, sub))
        writeStrings(w, table, sub)
        break
      }
      case 'map':
        for (const [key, value] of Object.entries(v as Record<string, string>)) {
          const keyLength = utf8Length(key)
          const valueLength = utf8Length(value)
          const entrySize = (keyLength > 0 ? 1 + varintSize(keyLength) + keyLength : 0) + (valueLength > 0 ? 1 + varintSize(valueLength) + valueLength : 0)
          w.tag(fieldNumber, WIRE_LEN)
          w.varint(entrySize)
          if (keyLength > 0) w.string(1, key)
          if (valueLength > 0) w.string(2, value)
        }
        break
      case 'strings':
        for (const item of v as readonly string[]) w.string(fieldNumber, item)
        break
    }
  }
}

// ---- fast path: ASCII-only events -----------------------------------------------------------
// Most events are pure ASCII. Then the whole message is built as one latin1 string (one char per
// byte) and converted with a single Buffer.from: far cheaper than a native call per field.

const SMALL = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i))
const NON_ASCII = /[\u0080-\uffff]/

function varintChars (value: number): string {
  if (value >= 0 && value < 128) return SMALL[value] as string
  writer.pos = 0
  writer.varint(value)
  return writer.buf.toString("latin1", 0, writer.pos)
}

interface CompiledField { readonly name: string, readonly kind: Kind, readonly tag: string }
type CompiledTable = readonly CompiledField[]

function compile (table: FieldTable): CompiledTable {
  return table.map(([name, fieldNumber, kind]) => {
    const wireType = kind === 'int32' || kind === 'int64' ? WIRE_VARINT : WIRE_LEN
    writer.pos = 0
    writer.tag(fieldNumber, wireType)
    return { name, kind, tag: writer.buf.toString("latin1", 0, writer.pos) }
  })
}

const COMPILED: Readonly<Record<KubeArmorStream, CompiledTable>> = {
  logs: compile(LOG_FIELDS),
  alerts: compile(ALERT_FIELDS),
  messages: compile(MESSAGE_FIELDS)
}
const OWNER_COMPILED = compile(OWNER_FIELDS)
const EXEC_COMPILED = compile(EXEC_FIELDS)

/** Concatenation of every string value written, for one bulk ASCII check. */
let seen = ''

function latin1Message (table: CompiledTable, value: Record<string, unknown>): string {
  let out = ''
  for (let i = 0; i < table.length; i++) {
    const field = table[i] as CompiledField
    const v = value[field.name]
    if (v === undefined || v === null) continue
    switch (field.kind) {
      case 'string':
        if (typeof v === 'string' && v !== '') {
          out += field.tag + varintChars(v.length) + v
          seen += v
        }
        break
      case 'int32':
      case 'int64':
        if (typeof v === 'number' && v !== 0) out += field.tag + varintChars(field.kind === 'int32' ? v | 0 : Math.trunc(v))
        break
      case 'owner':
      case 'exec': {
        const sub = latin1Message(field.kind === 'owner' ? OWNER_COMPILED : EXEC_COMPILED, v as Record<string, unknown>)
        out += field.tag + varintChars(sub.length) + sub
        break
      }
      case 'map':
        for (const key in v as Record<string, string>) {
          const item = (v as Record<string, string>)[key] as string
          const entry = (key === '' ? '' : '\x0a' + varintChars(key.length) + key) + (item === '' ? '' : '\x12' + varintChars(item.length) + item)
          out += field.tag + varintChars(entry.length) + entry
          seen += key + item
        }
        break
      case 'strings':
        for (const item of v as readonly string[]) {
          out += field.tag + varintChars(item.length) + item
          seen += item
        }
        break
    }
  }
  return out
}

function encodeWith (stream: KubeArmorStream, table: CompiledTable, event: object, skipTime: boolean): Buffer {
  seen = ''
  const latin1 = latin1Message(table, event as Record<string, unknown>)
  if (!NON_ASCII.test(seen)) return Buffer.from(latin1, 'latin1')
  const source = skipTime ? { ...event, Timestamp: undefined, UpdatedTime: undefined } : event
  writer.pos = 0
  encodeInto(writer, FIELDS_BY_STREAM[stream], source as Record<string, unknown>)
  const out = Buffer.allocUnsafe(writer.pos)
  writer.buf.copy(out, 0, 0, writer.pos)
  return out
}

const TAILS: Readonly<Record<KubeArmorStream, CompiledTable>> = {
  logs: COMPILED.logs.filter(f => f.name !== 'Timestamp' && f.name !== 'UpdatedTime'),
  alerts: COMPILED.alerts.filter(f => f.name !== 'Timestamp' && f.name !== 'UpdatedTime'),
  messages: COMPILED.messages.filter(f => f.name !== 'Timestamp' && f.name !== 'UpdatedTime')
}

/** Encodes an event of a stream (Log, Alert or Message) into a fresh Buffer. */
export function encodeEvent (stream: KubeArmorStream, event: object): Buffer {
  return encodeWith(stream, COMPILED[stream], event, false)
}

/**
 * Everything but Timestamp (1) and UpdatedTime (2), which are fields 1 and 2 in all three
 * messages: `withTime(tail, ...)` prepends them, so a recorded event can be re-sent with a new time.
 */
export function encodeTail (stream: KubeArmorStream, event: object): Buffer {
  return encodeWith(stream, TAILS[stream], event, true)
}

/** `tail` with Timestamp and UpdatedTime (short ASCII) written in front, as encodeEvent would. */
export function withTime (tail: Buffer, timestamp: number, updatedTime: string): Buffer {
  // Hot path of the recycling mode: plain JS writes, no native call per field.
  if (!(timestamp >= 0) || updatedTime.length > 127) throw new RangeError('withTime needs a non-negative Timestamp and a short UpdatedTime')
  const timeLength = updatedTime.length
  const size = (timestamp > 0 ? 1 + varintSize(timestamp) : 0) + (timeLength > 0 ? 2 + timeLength : 0) + tail.length
  const out = Buffer.allocUnsafe(size)
  let pos = 0
  if (timestamp > 0) {
    out[pos++] = 0x08
    let value = timestamp
    while (value > 0x7f) {
      out[pos++] = (value % 128) | 0x80
      value = Math.floor(value / 128)
    }
    out[pos++] = value
  }
  if (timeLength > 0) {
    out[pos++] = 0x12
    out[pos++] = timeLength
    for (let i = 0; i < timeLength; i++) {
      const c = updatedTime.charCodeAt(i)
      if (c > 0x7f) throw new RangeError('UpdatedTime must be ASCII')
      out[pos++] = c
    }
  }
  out.set(tail, pos)
  return out
}
