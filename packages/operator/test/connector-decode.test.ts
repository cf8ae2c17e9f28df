import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import protobuf from 'protobufjs'
import { KUBEARMOR_PROTO_PATH } from '@fedlake/core'
import {
  DecodeFailure, decodeAlert, decodeLog, decodeMessage, decodeReplyMessage, encodeNonceMessage, encodeRequestMessage,
  safeDeserializer, WireFormatError
} from '../src/connector/index.js'

// protobufjs is the reference: @grpc/proto-loader decodes with it (loader options of core's KUBEARMOR_LOADER_OPTIONS)
const root = protobuf.loadSync(KUBEARMOR_PROTO_PATH)
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: false, arrays: true, objects: true, oneofs: true }

/** Deterministic PRNG so a failure can be replayed. */
function rng (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const PIECES = ['a', 'Z', '/', ' ', '=', '0', 'é', 'ß', '日本', '🙂', 'nginx', 'SYS_OPENAT', '\u0000', '\n', 'k8s.io/x']

function randomString (rand: () => number): string {
  const n = Math.floor(rand() * 8) === 0 ? 0 : Math.floor(rand() * 12)
  let s = ''
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rand() * PIECES.length)] as string
  if (rand() < 0.1) s += 'x'.repeat(Math.floor(rand() * 300)) // multi-byte length prefixes
  return s
}

function randomInt32 (rand: () => number): number {
  const choice = rand()
  if (choice < 0.1) return -Math.floor(rand() * 2 ** 31)
  if (choice < 0.15) return [0, -1, 2147483647, -2147483648][Math.floor(rand() * 4)] as number
  return Math.floor(rand() * 2 ** (1 + Math.floor(rand() * 31)))
}

function randomInt64 (rand: () => number): number {
  const choice = rand()
  if (choice < 0.1) return -Math.floor(rand() * 2 ** 52)
  if (choice < 0.2) return [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 32, 2 ** 31][Math.floor(rand() * 6)] as number
  return Math.floor(rand() * 2 ** (1 + Math.floor(rand() * 52)))
}

function randomValue (field: protobuf.Field, rand: () => number): unknown {
  const type = field.resolve().resolvedType
  if (field.map) {
    const out: Record<string, string> = {}
    const n = Math.floor(rand() * 4)
    for (let i = 0; i < n; i++) out[randomString(rand)] = randomString(rand)
    return out
  }
  if (type instanceof protobuf.Type) return randomMessage(type, rand, 0.7)
  const scalar = (): unknown => field.type === 'string' ? randomString(rand) : field.type === 'int64' ? randomInt64(rand) : randomInt32(rand)
  if (field.repeated) return Array.from({ length: Math.floor(rand() * 4) }, scalar)
  return scalar()
}

function randomMessage (type: protobuf.Type, rand: () => number, density: number): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of type.fieldsArray) if (rand() < density) out[field.name] = randomValue(field, rand)
  return out
}

/** Unknown fields of every wire type, with numbers above the known ones (as a newer KubeArmor would send). */
function unknownFields (rand: () => number): Uint8Array {
  const w = protobuf.Writer.create()
  const n = Math.floor(rand() * 4)
  for (let i = 0; i < n; i++) {
    const field = 45 + Math.floor(rand() * 2000)
    switch (Math.floor(rand() * 5)) {
      case 0: w.uint32(field << 3 | 0).int64(randomInt64(rand)); break
      case 1: w.uint32(field << 3 | 1).fixed64(Math.floor(rand() * 1e9)); break
      case 2: w.uint32(field << 3 | 2).string(randomString(rand)); break
      case 3: w.uint32(field << 3 | 5).fixed32(Math.floor(rand() * 1e9)); break
      default: w.uint32(field << 3 | 3).uint32(7 << 3 | 0).int32(5).uint32(field << 3 | 4) // a group with one varint
    }
  }
  return w.finish()
}

/** The decoders keep absent fields as undefined own properties; proto-loader's objects omit them. */
function withoutUndefined (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, withoutUndefined(v)]))
}

function splice (a: Uint8Array, b: Uint8Array, rand: () => number): Buffer {
  // unknown fields go before, after, or between two encodings of the same message (a valid merge)
  const where = Math.floor(rand() * 3)
  if (where === 0) return Buffer.concat([b, a])
  if (where === 1) return Buffer.concat([a, b])
  return Buffer.concat([a, b, a])
}

const CASES: Array<[string, (bytes: Uint8Array) => unknown]> = [
  ['feeder.Log', decodeLog],
  ['feeder.Alert', decodeAlert],
  ['feeder.Message', decodeMessage]
]

describe('hand-written decoders match protobufjs', () => {
  for (const [typeName, decode] of CASES) {
    it(`${typeName}: 1500 random messages with unknown fields, merges and non-ASCII text`, () => {
      const type = root.lookupType(typeName)
      const rand = rng(typeName.length * 7919)
      for (let i = 0; i < 1500; i++) {
        const message = randomMessage(type, rand, rand())
        const encoded = type.encode(type.fromObject(message)).finish()
        const bytes = splice(encoded, unknownFields(rand), rand)
        const expected = type.toObject(type.decode(bytes), TO_OBJECT)
        assert.deepStrictEqual(withoutUndefined(decode(bytes)), expected, `${typeName} #${i}: ${JSON.stringify(message)}`)
      }
    })
  }

  it('decodes an empty message like proto-loader (EventData {}, ATags [])', () => {
    assert.deepStrictEqual(withoutUndefined(decodeLog(Buffer.alloc(0))), { EventData: {} })
    assert.deepStrictEqual(withoutUndefined(decodeAlert(Buffer.alloc(0))), { ATags: [], EventData: {} })
    assert.deepStrictEqual(withoutUndefined(decodeMessage(new Uint8Array(0))), {})
  })

  it('throws WireFormatError on malformed bytes; safeDeserializer returns a DecodeFailure with a copy of them', () => {
    const malformed = [
      Buffer.from([0x12, 0x05, 0x61]), // length past the end
      Buffer.from([0x08, 0xff, 0xff]), // truncated varint
      Buffer.from([0x0f]), // wire type 7
      Buffer.from([0x0c]), // end group without start
      Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]) // 11-byte varint
    ]
    const safe = safeDeserializer(decodeLog)
    for (const bytes of malformed) {
      assert.throws(() => decodeLog(bytes), WireFormatError, bytes.toString('hex'))
      const result = safe(bytes)
      assert.ok(result instanceof DecodeFailure)
      assert.deepEqual(result.bytes, bytes)
      const copy = Buffer.from(result.bytes)
      bytes.fill(0x55) // grpc-js may reuse its buffers: the failure keeps its own copy
      assert.deepEqual(result.bytes, copy)
      assert.ok(result.reason.length > 0)
    }
  })

  it('skips a known field sent with an unexpected wire type', () => {
    const w = protobuf.Writer.create()
    w.uint32(9 << 3 | 2).string('not a pid') // HostPID as bytes
    w.uint32(4 << 3 | 0).int32(5) // HostName as varint
    w.uint32(6 << 3 | 2).string('pod')
    assert.deepStrictEqual(withoutUndefined(decodeLog(w.finish())), { EventData: {}, PodName: 'pod' })
  })

  it('encodes RequestMessage, NonceMessage and decodes ReplyMessage as protobufjs does', () => {
    const request = root.lookupType('feeder.RequestMessage')
    for (const filter of ['all', 'policy', '', 'ünïcode'.repeat(30)]) {
      assert.deepStrictEqual(request.toObject(request.decode(encodeRequestMessage(filter)), TO_OBJECT), filter === '' ? {} : { Filter: filter })
    }
    const nonce = root.lookupType('feeder.NonceMessage')
    const reply = root.lookupType('feeder.ReplyMessage')
    for (const n of [1, 127, 128, 300, 2147483647, -1, -2147483648, 0]) {
      assert.deepStrictEqual(nonce.toObject(nonce.decode(encodeNonceMessage(n)), TO_OBJECT), n === 0 ? {} : { nonce: n })
      assert.deepStrictEqual(decodeReplyMessage(reply.encode({ Retval: n }).finish()), { Retval: n })
    }
  })
})
