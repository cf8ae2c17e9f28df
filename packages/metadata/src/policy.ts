/**
 * The policy model (EdgeLake's "blockchain" entries): a JSON object with one root key naming its
 * type. On publish the author adds an envelope inside the body: `id` (SHA-256 of the canonical
 * content), `date`, `ledger`, `author` (peer id) and `signature` (Ed25519 over the canonical
 * policy without the signature). Receivers recompute the id and check the signature with the
 * public key embedded in the author's peer id.
 */
import { FedlakeError } from '@fedlake/core'
import type { JsonValue } from '@fedlake/core'
import type { PrivateKey } from '@libp2p/interface'
import { canonicalJson, sha256Hex } from './canonical.js'
import { publicKeyOf, verifyBy } from './ed25519.js'
import { METADATA_ERRORS } from './errors.js'

/** Fields the publishing node sets; anything a user puts there is replaced. */
export const ENVELOPE_FIELDS: readonly string[] = ['id', 'date', 'ledger', 'author', 'signature']
/** A deletion: `{"tombstone": {"target": <policy id>, "by": <author peer id>}}`, signed like any policy. */
export const TOMBSTONE_TYPE = 'tombstone'
export const DEFAULT_MAX_POLICY_BYTES = 256 * 1024

const TYPE_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/
const ID_RE = /^[0-9a-f]{64}$/
const DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/

export type PolicyBody = Readonly<Record<string, JsonValue>>
/** A published policy as stored and returned: `{ <type>: { ...content, id, date, ledger, author, signature } }`. */
export type StoredPolicy = Readonly<Record<string, PolicyBody>>

/** A verified policy with its envelope parsed out. */
export interface PolicyRecord {
  readonly type: string
  readonly id: string
  readonly date: string
  readonly author: string
  readonly signature: string
  /** Names this signed variant (content + date + author): used by anti-entropy digests. */
  readonly key: string
  /** The body without envelope fields. */
  readonly content: Readonly<Record<string, JsonValue>>
  readonly policy: StoredPolicy
}

export interface PolicyContent {
  readonly type: string
  readonly content: Readonly<Record<string, JsonValue>>
}

function invalid (message: string): FedlakeError {
  return new FedlakeError(METADATA_ERRORS.METADATA_POLICY_INVALID, message)
}

function isPlainObject (v: unknown): v is Record<string, JsonValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Validates the user-facing shape and strips envelope fields. */
export function parsePolicyInput (input: unknown, maxBytes = DEFAULT_MAX_POLICY_BYTES): PolicyContent {
  if (!isPlainObject(input)) throw invalid('a policy is a JSON object with one root key naming its type')
  const keys = Object.keys(input)
  if (keys.length !== 1) throw invalid(`a policy has exactly one root key (the policy type), got ${keys.length}`)
  const type = keys[0] as string
  if (!TYPE_RE.test(type)) throw invalid(`invalid policy type '${type}'`)
  const body = input[type]
  if (!isPlainObject(body)) throw invalid(`the value of '${type}' must be a JSON object`)
  const content: Record<string, JsonValue> = {}
  for (const [k, v] of Object.entries(body)) {
    if (!ENVELOPE_FIELDS.includes(k) && v !== undefined) content[k] = v
  }
  let text: string
  try { text = canonicalJson({ [type]: content }) } catch (err) { throw invalid(`policy is not valid JSON: ${(err as Error).message}`) }
  if (Buffer.byteLength(text) > maxBytes) throw invalid(`policy is larger than ${maxBytes} bytes`)
  return { type, content }
}

export function computePolicyId (type: string, content: Readonly<Record<string, JsonValue>>): string {
  return sha256Hex(canonicalJson({ [type]: content }))
}

function signedBytes (type: string, bodyWithoutSignature: Record<string, JsonValue>): Uint8Array {
  return new TextEncoder().encode(canonicalJson({ [type]: bodyWithoutSignature }))
}

/** The anti-entropy key of a signed variant. */
export function recordKeyOf (signature: string): string {
  return sha256Hex(signature).slice(0, 32)
}

export async function signPolicy (input: PolicyContent, privateKey: PrivateKey, author: string, date = new Date()): Promise<PolicyRecord> {
  const id = computePolicyId(input.type, input.content)
  const body: Record<string, JsonValue> = { ...input.content, id, date: date.toISOString(), ledger: 'global', author }
  const signature = Buffer.from(await privateKey.sign(signedBytes(input.type, body))).toString('base64')
  const policy = { [input.type]: { ...body, signature } }
  return { type: input.type, id, date: body.date as string, author, signature, key: recordKeyOf(signature), content: input.content, policy }
}

function forged (message: string, details: Record<string, unknown> = {}): FedlakeError {
  return new FedlakeError(METADATA_ERRORS.METADATA_POLICY_FORGED, message, details)
}

/** Checks shape, id and signature of a policy received from anywhere. Throws POLICY_INVALID or POLICY_FORGED. */
export async function verifyPolicy (raw: unknown, maxBytes = DEFAULT_MAX_POLICY_BYTES): Promise<PolicyRecord> {
  const { type, content } = parsePolicyInput(raw, maxBytes)
  const body = (raw as Record<string, Record<string, unknown>>)[type] as Record<string, unknown>
  const { id, date, ledger, author, signature } = body
  if (typeof id !== 'string' || typeof date !== 'string' || typeof ledger !== 'string' ||
      typeof author !== 'string' || typeof signature !== 'string') {
    throw invalid('a published policy carries id, date, ledger, author and signature strings')
  }
  if (!ID_RE.test(id)) throw invalid('policy id is not a SHA-256 hex digest')
  if (!DATE_RE.test(date) || Number.isNaN(Date.parse(date))) throw invalid('policy date is not an ISO-8601 UTC time')
  const expectedId = computePolicyId(type, content)
  if (expectedId !== id) throw forged('policy id does not match its content', { id, expectedId })
  if (publicKeyOf(author) === null) throw forged('policy author is not an Ed25519 peer id', { id, author })
  const ok = verifyBy(author, signedBytes(type, { ...content, id, date, ledger, author }), Buffer.from(signature, 'base64'))
  if (!ok) throw forged('policy signature does not verify', { id, author })
  if (type === TOMBSTONE_TYPE && (content.by !== author || typeof content.target !== 'string')) {
    throw forged('a tombstone names its author in "by" and a target policy id', { id, author })
  }
  const policy = { [type]: { ...content, id, date, ledger, author, signature } }
  return { type, id, date, author, signature, key: recordKeyOf(signature), content, policy }
}

/**
 * Total order between two signed variants of the same id (same content published by different
 * nodes or republished after a delete): the later date wins, then the larger author, then the
 * larger signature. Every node applies it, so all keep the same variant.
 */
export function isNewerVariant (a: PolicyRecord, b: PolicyRecord): boolean {
  const da = Date.parse(a.date)
  const db = Date.parse(b.date)
  if (da !== db) return da > db
  if (a.author !== b.author) return a.author > b.author
  return a.signature > b.signature
}

export function policyTypeOf (policy: StoredPolicy): string {
  return Object.keys(policy)[0] ?? ''
}

export function policyBodyOf (policy: StoredPolicy): PolicyBody {
  return policy[policyTypeOf(policy)] ?? {}
}
