/**
 * Error codes of the operator's ingestion half: mapping policies, the ingest pipeline and the
 * KubeArmor connector. Codes are stable; see docs/errors.md.
 */
import { defineErrors } from '@fedlake/core'

export const INGEST_ERRORS = defineErrors({
  /** A mapping policy (built-in or from the mapping file) does not validate. */
  MAPPING_INVALID: { status: 400, edgelakeCode: 2, text: 'Invalid mapping policy' },
  /** One record could not be mapped (it goes to the rejects table; never thrown to a caller). */
  MAPPING_FAILED: { status: 400, edgelakeCode: 2, text: 'Record does not match the mapping policy' },
  /** The storage refused a batch; the rows are kept and retried. */
  INGEST_APPEND_FAILED: { status: 500, edgelakeCode: 16, text: 'Failed to write rows' },
  /** The pipeline is stopped or its memory cap is reached; the rows were dropped and counted. */
  INGEST_UNAVAILABLE: { status: 503, edgelakeCode: 203, text: 'Ingestion not available' },
  /** HealthCheck did not echo the nonce (not a KubeArmor LogService, or a broken one). */
  KUBEARMOR_HEALTH_CHECK_FAILED: { status: 502, edgelakeCode: 208, text: 'KubeArmor health check failed' },
  /** A subscription ended with a status that retrying cannot fix (e.g. UNIMPLEMENTED). */
  KUBEARMOR_SUBSCRIPTION_FAILED: { status: 502, edgelakeCode: 208, text: 'KubeArmor subscription failed' },
  /** A streamed message is not valid protobuf; its bytes go to the rejects table. */
  KUBEARMOR_DECODE_FAILED: { status: 400, edgelakeCode: 2, text: 'Undecodable KubeArmor message' }
})
