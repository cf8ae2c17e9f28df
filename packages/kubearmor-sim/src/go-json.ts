/**
 * Go `encoding/json` of KubeArmor's generated protobuf structs, as the relay's stdout, karmor
 * --json and otel-adapter print events: PascalCase keys in proto declaration order, `omitempty`
 * on every field except PPID and UID, Timestamp as a number, nested Owner/ExecEvent objects
 * (present even when empty), EventData keys sorted, and Go's HTML-safe escaping of <, > and &.
 */
import type { KubeArmorStream } from '@fedlake/core'
import { ALERT_FIELDS, LOG_FIELDS, MESSAGE_FIELDS } from './wire.js'

type Table = ReadonlyArray<readonly [string, number, string]>
const ALWAYS = new Set(['PPID', 'UID'])
const TABLES: Readonly<Record<KubeArmorStream, Table>> = { logs: LOG_FIELDS, alerts: ALERT_FIELDS, messages: MESSAGE_FIELDS }

function goString (value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function goObject (value: Record<string, unknown>, keys: readonly string[]): string {
  const parts: string[] = []
  for (const key of keys) {
    const v = value[key]
    if (typeof v === 'string' && v !== '') parts.push(`${goString(key)}:${goString(v)}`)
  }
  return `{${parts.join(',')}}`
}

export function toGoJson (stream: KubeArmorStream, event: object): string {
  const record = event as Record<string, unknown>
  const parts: string[] = []
  for (const [name, , kind] of TABLES[stream]) {
    const v = record[name]
    switch (kind) {
      case 'string':
        if (typeof v === 'string' && v !== '') parts.push(`"${name}":${goString(v)}`)
        break
      case 'int32':
      case 'int64':
        if (typeof v === 'number' && v !== 0) parts.push(`"${name}":${Math.trunc(v)}`)
        else if (ALWAYS.has(name) && stream !== 'messages') parts.push(`"${name}":0`)
        break
      case 'owner':
        if (v !== undefined && v !== null) parts.push(`"${name}":${goObject(v as Record<string, unknown>, ['Ref', 'Name', 'Namespace'])}`)
        break
      case 'exec':
        if (v !== undefined && v !== null) parts.push(`"${name}":${goObject(v as Record<string, unknown>, ['ExecID', 'ExecutableName'])}`)
        break
      case 'map': {
        const keys = v === undefined || v === null ? [] : Object.keys(v).sort()
        if (keys.length > 0) {
          const map = v as Record<string, string>
          parts.push(`"${name}":{${keys.map(k => `${goString(k)}:${goString(map[k] ?? '')}`).join(',')}}`)
        }
        break
      }
      case 'strings':
        if (Array.isArray(v) && v.length > 0) parts.push(`"${name}":[${v.map(item => goString(String(item))).join(',')}]`)
        break
    }
  }
  return `{${parts.join(',')}}`
}
