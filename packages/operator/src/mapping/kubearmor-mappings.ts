/**
 * The compiled mappings a KubeArmor connector uses: per stream the policies that apply (the
 * built-in one unless a mapping file replaces it), plus the rejects table of the same dbms.
 */
import { FedlakeError } from '@fedlake/core'
import type { KubeArmorStream, TableSchema } from '@fedlake/core'
import { INGEST_ERRORS } from '../errors-ingest.js'
import { compileMapping } from './compile.js'
import type { CompiledMapping } from './compile.js'
import { DEFAULT_KUBEARMOR_DBMS, defaultKubeArmorPolicies } from './kubearmor-policies.js'
import { KUBEARMOR_STREAMS, readMappingFile } from './policy.js'
import type { MappingPolicy } from './policy.js'
import { rejectsTableSchema } from './rejects.js'

export interface KubeArmorMappings {
  readonly dbms: string
  /** Every policy whose condition holds maps the record (usually exactly one per stream). */
  readonly byStream: Readonly<Record<KubeArmorStream, readonly CompiledMapping[]>>
  readonly rejects: TableSchema
}

export interface KubeArmorMappingsInit {
  /** dbms of the built-in tables, the rejects table and policies that name none. @default 'kubearmor' */
  dbms?: string
  /** The effective policies, each naming its stream; @default the built-in ones (see loadMappingPolicies). */
  policies?: readonly MappingPolicy[]
}

function streamOf (policy: MappingPolicy): KubeArmorStream {
  const stream = policy.mapping.stream
  if (stream === undefined) {
    throw new FedlakeError(INGEST_ERRORS.MAPPING_INVALID,
      `mapping policy '${policy.mapping.id}': cannot tell which KubeArmor stream it maps; add "stream": "logs" | "alerts" | "messages"`,
      { policy: policy.mapping.id })
  }
  return stream
}

/**
 * The built-in policies with those of the user's streams replaced: a user policy for `alerts`
 * replaces the built-in `kubearmor-alert`; several user policies for one stream all apply.
 */
export function mergeWithDefaults (userPolicies: readonly MappingPolicy[], dbms: string = DEFAULT_KUBEARMOR_DBMS): MappingPolicy[] {
  const replaced = new Set(userPolicies.map(streamOf))
  return [...defaultKubeArmorPolicies(dbms).filter(p => !replaced.has(streamOf(p))), ...userPolicies]
}

/**
 * The effective KubeArmor policies: built-in ones, replaced per stream by those in the mapping
 * file (a policy or an array of policies) when a path is given. Throws MAPPING_INVALID.
 */
export function loadMappingPolicies (path?: string, options: { dbms?: string } = {}): MappingPolicy[] {
  const dbms = options.dbms ?? DEFAULT_KUBEARMOR_DBMS
  if (path === undefined) return defaultKubeArmorPolicies(dbms)
  return mergeWithDefaults(readMappingFile(path), dbms)
}

/** Compiles the effective policies once. Throws MAPPING_INVALID. */
export function createKubeArmorMappings (init: KubeArmorMappingsInit = {}): KubeArmorMappings {
  const dbms = init.dbms ?? DEFAULT_KUBEARMOR_DBMS
  const policies = init.policies ?? defaultKubeArmorPolicies(dbms)
  const byStream: Record<KubeArmorStream, CompiledMapping[]> = { logs: [], alerts: [], messages: [] }
  for (const policy of policies) byStream[streamOf(policy)].push(compileMapping(policy, { defaultDbms: dbms }))
  for (const stream of KUBEARMOR_STREAMS) {
    if (byStream[stream].length === 0) {
      throw new FedlakeError(INGEST_ERRORS.MAPPING_INVALID, `no mapping policy for the KubeArmor ${stream} stream`, { stream })
    }
  }
  return Object.freeze({ dbms, byStream, rejects: rejectsTableSchema(dbms) })
}
