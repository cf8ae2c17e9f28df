/**
 * EdgeLake-style mapping policies, kept as JSON data (reference/edgelake.md §5.3):
 *
 *   {"mapping": {"id": "kubearmor-logs", "dbms": "kubearmor", "table": "logs",
 *                "stream": "logs",                      // fedlake: which KubeArmor stream it maps
 *                "readings": "",                        // key holding a list of records; "" = the record
 *                "condition": "if [Type] == ContainerLog",
 *                "schema": {"timestamp": {"type": "timestamp", "bring": "[Timestamp]",
 *                                         "apply": "epoch_to_datetime", "default": "now()"}, ...}}}
 *
 * This module validates the JSON (zod) and normalises it; compile.ts turns it into a row builder.
 */
import { readFileSync } from 'node:fs'
import { FedlakeError } from '@fedlake/core'
import type { KubeArmorStream } from '@fedlake/core'
import { z } from 'zod'
import { INGEST_ERRORS } from '../errors-ingest.js'

export const KUBEARMOR_STREAMS: readonly KubeArmorStream[] = ['logs', 'alerts', 'messages']

/** Policy ids of EdgeLake's KubeArmor mappings (and their plural/singular twins) imply the stream. */
const STREAM_BY_POLICY_ID: Readonly<Record<string, KubeArmorStream>> = {
  'kubearmor-logs': 'logs',
  'kubearmor-log': 'logs',
  'kubearmor-alert': 'alerts',
  'kubearmor-alerts': 'alerts',
  'kubearmor-message': 'messages',
  'kubearmor-messages': 'messages'
}

const identifier = z.string().transform(s => s.trim().toLowerCase())
  .pipe(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected an SQL identifier (letters, digits, _)'))

const flag = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False'])])
  .transform(v => v === true || v === 'true' || v === 'True')

export const ColumnSpecSchema = z.object({
  /** string/varchar/char(n)/text, int/integer, bigint, float/double/decimal, timestamp, bool. */
  type: z.string().min(1),
  /** Path into the record: `[Key]`, `[Outer][Inner]`. */
  bring: z.string().optional(),
  /** Used when the value is absent (undefined, null, or '' for non-text columns); `now()` for timestamps. */
  default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  /** A transformation: epoch_to_datetime, epoch_ms_to_datetime, epoch_us_to_datetime, json_dump, lower, upper, trim, base64decoding. */
  apply: z.string().optional(),
  /** Absent with no default gives NULL instead of rejecting the record. */
  optional: flag.optional(),
  /** `if [Key] == value`: bring the value only when the condition holds. */
  condition: z.string().optional()
}).strict()

export type ColumnSpec = z.output<typeof ColumnSpecSchema>

const MappingSpecSchema = z.object({
  id: z.string().min(1).max(128).optional(),
  dbms: z.string().optional(),
  table: z.string(),
  stream: z.enum(['logs', 'alerts', 'messages']).optional(),
  readings: z.string().optional(),
  condition: z.string().optional(),
  schema: z.record(z.string(), ColumnSpecSchema)
    .refine(s => Object.keys(s).length > 0, 'schema needs at least one column')
}).loose() // EdgeLake adds bookkeeping keys (date, ledger, name, company); they are ignored

export const MappingPolicySchema = z.object({ mapping: MappingSpecSchema }).strict()

/** A validated, normalised mapping policy. */
export interface MappingPolicy {
  readonly mapping: {
    readonly id: string
    /** Undefined: the operator's configured KubeArmor dbms. */
    readonly dbms?: string
    readonly table: string
    readonly stream?: KubeArmorStream
    readonly readings?: string
    readonly condition?: string
    readonly schema: Readonly<Record<string, ColumnSpec>>
  }
}

function invalid (where: string, message: string, details: Record<string, unknown> = {}): FedlakeError {
  return new FedlakeError(INGEST_ERRORS.MAPPING_INVALID, `${where}: ${message}`, details)
}

function literalName (value: string, what: string, where: string): string {
  if (/^\s*bring\b/i.test(value) || value.includes('[')) {
    throw invalid(where, `${what} must be a fixed name; names taken from the record ("bring") are not supported`)
  }
  const parsed = identifier.safeParse(value)
  if (!parsed.success) throw invalid(where, `${what} '${value}' is not a valid name (letters, digits, _)`)
  return parsed.data
}

/** Validates one policy object; `where` names it in error messages (file and index). */
export function parseMappingPolicy (json: unknown, where = 'mapping policy'): MappingPolicy {
  const parsed = MappingPolicySchema.safeParse(json)
  if (!parsed.success) {
    const issues = parsed.error.issues.map(i => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    throw invalid(where, issues.join('; '), { issues })
  }
  const m = parsed.data.mapping
  const table = literalName(m.table, 'table', where)
  const dbms = m.dbms === undefined || m.dbms.trim() === '' ? undefined : literalName(m.dbms, 'dbms', where)
  const id = m.id ?? `${dbms ?? 'default'}.${table}`
  const schema: Record<string, ColumnSpec> = {}
  for (const [name, spec] of Object.entries(m.schema)) {
    const column = identifier.safeParse(name)
    if (!column.success) throw invalid(where, `column '${name}' is not a valid name (letters, digits, _)`)
    if (schema[column.data] !== undefined) throw invalid(where, `column '${column.data}' appears twice`)
    if (spec.bring === undefined && spec.default === undefined && spec.optional !== true) {
      throw invalid(where, `column '${column.data}' needs "bring" or "default"`)
    }
    schema[column.data] = spec
  }
  const stream = m.stream ?? STREAM_BY_POLICY_ID[id.toLowerCase()]
  return {
    mapping: {
      id,
      ...(dbms !== undefined ? { dbms } : {}),
      table,
      ...(stream !== undefined ? { stream } : {}),
      ...(m.readings !== undefined && m.readings.trim() !== '' ? { readings: m.readings.trim() } : {}),
      ...(m.condition !== undefined && m.condition.trim() !== '' ? { condition: m.condition } : {}),
      schema
    }
  }
}

/** Validates a policy or an array of policies (the mapping file's content). */
export function parseMappingPolicies (json: unknown, source = 'mapping policies'): MappingPolicy[] {
  const list = Array.isArray(json) ? json : [json]
  if (list.length === 0) throw invalid(source, 'no policy given')
  const policies = list.map((p, i) => parseMappingPolicy(p, Array.isArray(json) ? `${source}[${i}]` : source))
  const ids = new Set<string>()
  for (const p of policies) {
    if (ids.has(p.mapping.id)) throw invalid(source, `policy id '${p.mapping.id}' appears twice`)
    ids.add(p.mapping.id)
  }
  return policies
}

/** Reads and validates a mapping file (one policy or an array). Throws MAPPING_INVALID. */
export function readMappingFile (path: string): MappingPolicy[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw invalid(path, `cannot read the mapping file (${(err as Error).message})`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw invalid(path, `not valid JSON (${(err as Error).message})`)
  }
  return parseMappingPolicies(json, path)
}
