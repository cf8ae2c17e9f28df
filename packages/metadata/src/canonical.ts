/**
 * Canonical JSON: object keys sorted by code unit, no whitespace. Two nodes that hold the same
 * content produce the same bytes, so ids and signatures computed over it agree everywhere.
 */
import { createHash } from 'node:crypto'
import type { JsonValue } from '@fedlake/core'

export function canonicalJson (value: JsonValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('non-finite number in JSON')
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const keys = Object.keys(value).filter(k => value[k] !== undefined).sort()
  return `{${keys.map(k => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`
}

export function sha256Hex (text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex')
}
