/**
 * @packageDocumentation
 * The operator role: KubeArmor streams and PUT bodies into a local DuckDB, through EdgeLake-style
 * mapping policies, and read-only SQL over that data.
 */
export { createOperatorRole } from './operator-role.js'
export type { OperatorRole, OperatorRoleInit } from './operator-role.js'
export { createDuckDbStorage, DEFAULT_CHECKPOINT_THRESHOLD } from './storage/index.js'
export type { OperatorStorage, StorageValue, StorageQueryOptions, DuckDbStorageInit } from './storage/index.js'
export { createPutIngestor, parsePutBody, inferSchema } from './put/index.js'
export type { PutIngestor, PutRequest as PutIngestRequest, PutResult as PutIngestResult } from './put/index.js'
export { createIngestPipeline } from './ingest/index.js'
export type { IngestPipeline, IngestStats } from './ingest/index.js'
export {
  createKubeArmorMappings, loadMappingPolicies, defaultKubeArmorPolicies, KUBEARMOR_TABLES, REJECTS_TABLE, MappingError
} from './mapping/index.js'
export type { KubeArmorMappings, MappingPolicy } from './mapping/index.js'
export {
  createKubeArmorConnector, createGrpcClientCommands, grpcClientStatusTable, decodeLog, decodeAlert, decodeMessage,
  createGrpcChannel, encodeRequestMessage, GRPC_STATUS
} from './connector/index.js'
export type { KubeArmorConnector, GrpcClientStatus, GrpcChannel, GrpcChannelInit, GrpcCallStatus } from './connector/index.js'
export { STORAGE_ERRORS, PUT_ERRORS } from './errors-storage.js'
export { INGEST_ERRORS } from './errors-ingest.js'
export { createSubqueryService } from './subquery/serve-subquery.js'
export type { SubqueryCounts, SubqueryHandler, SubqueryService, SubqueryServiceInit } from './subquery/serve-subquery.js'
