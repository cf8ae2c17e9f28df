export { MappingError, compileMapping, columnTypeOf, SUPPORTED_APPLIES } from './compile.js'
export type { CompiledMapping, CompileOptions } from './compile.js'
export { parseIsoMicros, microsToIso } from './coerce.js'
export {
  parseMappingPolicy, parseMappingPolicies, readMappingFile, MappingPolicySchema, KUBEARMOR_STREAMS
} from './policy.js'
export type { MappingPolicy, ColumnSpec } from './policy.js'
export {
  defaultKubeArmorPolicies, DEFAULT_KUBEARMOR_DBMS, KUBEARMOR_POLICY_IDS, KUBEARMOR_TABLES
} from './kubearmor-policies.js'
export { createKubeArmorMappings, loadMappingPolicies, mergeWithDefaults } from './kubearmor-mappings.js'
export type { KubeArmorMappings, KubeArmorMappingsInit } from './kubearmor-mappings.js'
export { rejectsTableSchema, rejectRow, rawRecordText, rawBytesText, REJECTS_TABLE, REJECT_RAW_MAX_CHARS } from './rejects.js'
export type { RejectedRecord } from './rejects.js'
