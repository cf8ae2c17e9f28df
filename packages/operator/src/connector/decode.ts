/**
 * Hand-written decoders for feeder.Log, feeder.Alert and feeder.Message (proto/kubearmor.proto),
 * applied to each message the connector's gRPC channel reads. They produce what @grpc/proto-loader gives with
 * KUBEARMOR_LOADER_OPTIONS (`EventData` always an object, `ATags` always an array, int64 as number)
 * except that absent fields are present as own properties with value `undefined` (same JSON, same
 * reads), at 2-2.5x its speed (test/connector-ingest.bench.ts). Verified against protobufjs on
 * randomized messages in test/connector-decode.test.ts.
 *
 * Tolerance: unknown field numbers are skipped by wire type (newer KubeArmor versions add fields);
 * a known field arriving with an unexpected wire type is skipped too, as protobuf treats it as
 * unknown. Malformed bytes throw WireFormatError; `safeDeserializer` turns that into a value.
 */
import type { ExecEvent, KubeArmorAlert, KubeArmorLog, KubeArmorMessage, Podowner } from '@fedlake/core'
import { WIRE_LEN, WIRE_VARINT, WireReader } from './wire-reader.js'

function decodePodowner (r: WireReader, end: number, into: Podowner | undefined): Podowner {
  const o: Podowner = into ?? {}
  while (r.pos < end) {
    const tag = r.uint32(end)
    const wt = tag & 7
    if (wt !== WIRE_LEN) { r.skip(wt, end, tag >>> 3); continue }
    switch (tag >>> 3) {
      case 1: o.Ref = r.string(end); break
      case 2: o.Name = r.string(end); break
      case 3: o.Namespace = r.string(end); break
      default: r.skip(wt, end, tag >>> 3)
    }
  }
  return o
}

function decodeExecEvent (r: WireReader, end: number, into: ExecEvent | undefined): ExecEvent {
  const o: ExecEvent = into ?? {}
  while (r.pos < end) {
    const tag = r.uint32(end)
    const wt = tag & 7
    if (wt !== WIRE_LEN) { r.skip(wt, end, tag >>> 3); continue }
    switch (tag >>> 3) {
      case 1: o.ExecID = r.string(end); break
      case 2: o.ExecutableName = r.string(end); break
      default: r.skip(wt, end, tag >>> 3)
    }
  }
  return o
}

/** One map<string,string> entry: key = 1, value = 2; a missing key or value is ''. */
function decodeMapEntry (r: WireReader, end: number, into: Record<string, string>): void {
  let key = ''
  let value = ''
  while (r.pos < end) {
    const tag = r.uint32(end)
    const wt = tag & 7
    if (wt !== WIRE_LEN) { r.skip(wt, end, tag >>> 3); continue }
    switch (tag >>> 3) {
      case 1: key = r.string(end); break
      case 2: value = r.string(end); break
      default: r.skip(wt, end, tag >>> 3)
    }
  }
  into[key] = value
}

// Every field is created up front (absent ones stay undefined) so all decoded messages share one
// hidden class: property stores while decoding and loads while mapping stay monomorphic.
function emptyLog (): KubeArmorLog {
  return {
    Timestamp: undefined,
    UpdatedTime: undefined,
    ClusterName: undefined,
    HostName: undefined,
    NamespaceName: undefined,
    Owner: undefined,
    PodName: undefined,
    Labels: undefined,
    ContainerID: undefined,
    ContainerName: undefined,
    ContainerImage: undefined,
    ParentProcessName: undefined,
    ProcessName: undefined,
    HostPPID: undefined,
    HostPID: undefined,
    PPID: undefined,
    PID: undefined,
    UID: undefined,
    Type: undefined,
    Source: undefined,
    Operation: undefined,
    Resource: undefined,
    Data: undefined,
    EventData: {},
    Result: undefined,
    Cwd: undefined,
    TTY: undefined,
    ExecEvent: undefined,
    NodeID: undefined,
    ProcessHash: undefined,
    ParentHash: undefined,
    ResourceHash: undefined,
    HashAlgo: undefined,
    UserName: undefined
  }
}

function emptyAlert (): KubeArmorAlert {
  return {
    Timestamp: undefined,
    UpdatedTime: undefined,
    ClusterName: undefined,
    HostName: undefined,
    NamespaceName: undefined,
    Owner: undefined,
    PodName: undefined,
    Labels: undefined,
    ContainerID: undefined,
    ContainerName: undefined,
    ContainerImage: undefined,
    HostPPID: undefined,
    HostPID: undefined,
    PPID: undefined,
    PID: undefined,
    UID: undefined,
    ParentProcessName: undefined,
    ProcessName: undefined,
    PolicyName: undefined,
    Severity: undefined,
    Tags: undefined,
    ATags: [],
    Message: undefined,
    Type: undefined,
    Source: undefined,
    Operation: undefined,
    Resource: undefined,
    Data: undefined,
    EventData: {},
    Enforcer: undefined,
    Action: undefined,
    Result: undefined,
    Cwd: undefined,
    TTY: undefined,
    MaxAlertsPerSec: undefined,
    DroppingAlertsInterval: undefined,
    ExecEvent: undefined,
    KubeArmorVersion: undefined,
    NodeID: undefined,
    ProcessHash: undefined,
    ParentHash: undefined,
    ResourceHash: undefined,
    HashAlgo: undefined,
    UserName: undefined
  }
}

function emptyMessage (): KubeArmorMessage {
  return {
    Timestamp: undefined,
    UpdatedTime: undefined,
    ClusterName: undefined,
    HostName: undefined,
    HostIP: undefined,
    Type: undefined,
    Level: undefined,
    Message: undefined
  }
}

/** feeder.Log (field numbers differ from Alert for the same names). */
export function decodeLog (bytes: Uint8Array): KubeArmorLog {
  const r = new WireReader(bytes)
  const end = bytes.length
  const m = emptyLog()
  while (r.pos < end) {
    const tag = r.uint32(end)
    const field = tag >>> 3
    const wt = tag & 7
    if (wt === WIRE_VARINT) {
      switch (field) {
        case 1: m.Timestamp = r.int64(end); break
        case 9: m.HostPID = r.int32(end); break
        case 10: m.PPID = r.int32(end); break
        case 11: m.PID = r.int32(end); break
        case 12: m.UID = r.int32(end); break
        case 22: m.HostPPID = r.int32(end); break
        default: r.skip(wt, end, field)
      }
      continue
    }
    if (wt !== WIRE_LEN) { r.skip(wt, end, field); continue }
    switch (field) {
      case 2: m.UpdatedTime = r.string(end); break
      case 3: m.ClusterName = r.string(end); break
      case 4: m.HostName = r.string(end); break
      case 5: m.NamespaceName = r.string(end); break
      case 6: m.PodName = r.string(end); break
      case 7: m.ContainerID = r.string(end); break
      case 8: m.ContainerName = r.string(end); break
      case 13: m.Type = r.string(end); break
      case 14: m.Source = r.string(end); break
      case 15: m.Operation = r.string(end); break
      case 16: m.Resource = r.string(end); break
      case 17: m.Data = r.string(end); break
      case 18: m.Result = r.string(end); break
      case 19: m.ContainerImage = r.string(end); break
      case 20: m.ParentProcessName = r.string(end); break
      case 21: m.ProcessName = r.string(end); break
      case 23: m.Labels = r.string(end); break
      case 24: m.Owner = decodePodowner(r, r.delimitedEnd(end), m.Owner); break
      case 25: m.Cwd = r.string(end); break
      case 26: m.TTY = r.string(end); break
      case 27: m.ExecEvent = decodeExecEvent(r, r.delimitedEnd(end), m.ExecEvent); break
      case 28: m.NodeID = r.string(end); break
      case 29: m.ProcessHash = r.string(end); break
      case 30: m.ParentHash = r.string(end); break
      case 31: m.ResourceHash = r.string(end); break
      case 32: m.HashAlgo = r.string(end); break
      case 33: decodeMapEntry(r, r.delimitedEnd(end), m.EventData as Record<string, string>); break
      case 34: m.UserName = r.string(end); break
      default: r.skip(wt, end, field)
    }
  }
  return m
}

/** feeder.Alert. */
export function decodeAlert (bytes: Uint8Array): KubeArmorAlert {
  const r = new WireReader(bytes)
  const end = bytes.length
  const m = emptyAlert()
  const atags = m.ATags as string[]
  while (r.pos < end) {
    const tag = r.uint32(end)
    const field = tag >>> 3
    const wt = tag & 7
    if (wt === WIRE_VARINT) {
      switch (field) {
        case 1: m.Timestamp = r.int64(end); break
        case 9: m.HostPID = r.int32(end); break
        case 10: m.PPID = r.int32(end); break
        case 11: m.PID = r.int32(end); break
        case 12: m.UID = r.int32(end); break
        case 27: m.HostPPID = r.int32(end); break
        case 34: m.MaxAlertsPerSec = r.int32(end); break
        case 35: m.DroppingAlertsInterval = r.int32(end); break
        default: r.skip(wt, end, field)
      }
      continue
    }
    if (wt !== WIRE_LEN) { r.skip(wt, end, field); continue }
    switch (field) {
      case 2: m.UpdatedTime = r.string(end); break
      case 3: m.ClusterName = r.string(end); break
      case 4: m.HostName = r.string(end); break
      case 5: m.NamespaceName = r.string(end); break
      case 6: m.PodName = r.string(end); break
      case 7: m.ContainerID = r.string(end); break
      case 8: m.ContainerName = r.string(end); break
      case 13: m.PolicyName = r.string(end); break
      case 14: m.Severity = r.string(end); break
      case 15: m.Tags = r.string(end); break
      case 16: m.Message = r.string(end); break
      case 17: m.Type = r.string(end); break
      case 18: m.Source = r.string(end); break
      case 19: m.Operation = r.string(end); break
      case 20: m.Resource = r.string(end); break
      case 21: m.Data = r.string(end); break
      case 22: m.Action = r.string(end); break
      case 23: m.Result = r.string(end); break
      case 24: m.ContainerImage = r.string(end); break
      case 25: m.ParentProcessName = r.string(end); break
      case 26: m.ProcessName = r.string(end); break
      case 28: m.Enforcer = r.string(end); break
      case 29: m.Labels = r.string(end); break
      case 30: atags.push(r.string(end)); break
      case 31: m.Owner = decodePodowner(r, r.delimitedEnd(end), m.Owner); break
      case 32: m.Cwd = r.string(end); break
      case 33: m.TTY = r.string(end); break
      case 36: m.ExecEvent = decodeExecEvent(r, r.delimitedEnd(end), m.ExecEvent); break
      case 37: m.KubeArmorVersion = r.string(end); break
      case 38: m.NodeID = r.string(end); break
      case 39: m.ProcessHash = r.string(end); break
      case 40: m.ParentHash = r.string(end); break
      case 41: m.ResourceHash = r.string(end); break
      case 42: m.HashAlgo = r.string(end); break
      case 43: decodeMapEntry(r, r.delimitedEnd(end), m.EventData as Record<string, string>); break
      case 44: m.UserName = r.string(end); break
      default: r.skip(wt, end, field)
    }
  }
  return m
}

/** feeder.Message. */
export function decodeMessage (bytes: Uint8Array): KubeArmorMessage {
  const r = new WireReader(bytes)
  const end = bytes.length
  const m = emptyMessage()
  while (r.pos < end) {
    const tag = r.uint32(end)
    const field = tag >>> 3
    const wt = tag & 7
    if (wt === WIRE_VARINT && field === 1) { m.Timestamp = r.int64(end); continue }
    if (wt !== WIRE_LEN) { r.skip(wt, end, field); continue }
    switch (field) {
      case 2: m.UpdatedTime = r.string(end); break
      case 3: m.ClusterName = r.string(end); break
      case 4: m.HostName = r.string(end); break
      case 5: m.HostIP = r.string(end); break
      case 6: m.Type = r.string(end); break
      case 7: m.Level = r.string(end); break
      case 8: m.Message = r.string(end); break
      default: r.skip(wt, end, field)
    }
  }
  return m
}

/** feeder.ReplyMessage `{Retval}` (HealthCheck reply). */
export function decodeReplyMessage (bytes: Uint8Array): { Retval?: number } {
  const r = new WireReader(bytes)
  const end = bytes.length
  const m: { Retval?: number } = {}
  while (r.pos < end) {
    const tag = r.uint32(end)
    if (tag === 0x08) m.Retval = r.int32(end)
    else r.skip(tag & 7, end, tag >>> 3)
  }
  return m
}

function varintBytes (value: number): number[] {
  const out: number[] = []
  // int32 negatives are sign-extended to 64 bits on the wire (10 bytes)
  let lo = value >>> 0
  let hi = value < 0 ? 0xffffffff : 0
  while (hi !== 0 || lo > 0x7f) {
    out.push((lo & 0x7f) | 0x80)
    lo = ((lo >>> 7) | (hi << 25)) >>> 0
    hi = hi >>> 7
  }
  out.push(lo)
  return out
}

/** feeder.RequestMessage `{Filter}`. */
export function encodeRequestMessage (filter: string): Buffer {
  const text = Buffer.from(filter, 'utf8')
  if (text.length === 0) return Buffer.alloc(0)
  return Buffer.concat([Buffer.from([0x0a, ...varintBytes(text.length)]), text])
}

/** feeder.NonceMessage `{nonce}` (int32). */
export function encodeNonceMessage (nonce: number): Buffer {
  if ((nonce | 0) === 0) return Buffer.alloc(0)
  return Buffer.from([0x08, ...varintBytes(nonce | 0)])
}

/** A response message that could not be decoded; the raw bytes go to the rejects table. */
export class DecodeFailure {
  readonly bytes: Buffer
  readonly reason: string
  constructor (bytes: Uint8Array, reason: string) {
    // the bytes may be a view of a larger received chunk: keep a private copy of just the message
    this.bytes = Buffer.from(bytes)
    this.reason = reason
  }
}

/** Wraps a decoder so it never throws: a bad message becomes a value (a reject row), the stream goes on. */
export function safeDeserializer<T> (decode: (bytes: Uint8Array) => T): (bytes: Buffer) => T | DecodeFailure {
  return (bytes) => {
    try {
      return decode(bytes)
    } catch (err) {
      return new DecodeFailure(bytes, err instanceof Error ? err.message : String(err))
    }
  }
}
