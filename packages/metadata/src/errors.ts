import { defineErrors } from '@fedlake/core'

/** Error codes of the metadata layer (never renamed or reused). */
export const METADATA_ERRORS = defineErrors({
  METADATA_POLICY_INVALID: { status: 400, edgelakeCode: 2, text: 'Wrong policy structure' },
  METADATA_POLICY_FORGED: { status: 400, edgelakeCode: 2, text: 'Policy signature or id does not match its content' },
  METADATA_POLICY_NOT_FOUND: { status: 404, edgelakeCode: 29, text: 'Policy not found' },
  METADATA_NOT_AUTHORIZED: { status: 403, edgelakeCode: 2, text: 'Not authorized to delete this policy' },
  METADATA_TABLE_UNKNOWN: { status: 404, edgelakeCode: 29, text: 'No metadata info' },
  METADATA_NETWORK_KEY_INVALID: { status: 400, edgelakeCode: 2, text: 'Invalid network key file' },
  METADATA_KEY_INVALID: { status: 500, edgelakeCode: 16, text: 'Invalid node key file' },
  METADATA_NOT_STARTED: { status: 503, edgelakeCode: 203, text: 'Metadata node not started' },
  METADATA_SYNC_FAILED: { status: 502, edgelakeCode: 208, text: 'Metadata sync with peer failed' },
  METADATA_PEER_UNREACHABLE: { status: 502, edgelakeCode: 208, text: 'Network connection to peer refused' },
  METADATA_PROTOCOL_UNSUPPORTED: { status: 502, edgelakeCode: 203, text: 'Peer does not serve this protocol' },
  METADATA_STREAM_RESET: { status: 502, edgelakeCode: 208, text: 'Stream to peer was reset' },
  METADATA_STREAM_CANCELLED: { status: 504, edgelakeCode: 26, text: 'Stream to peer was cancelled' },
  METADATA_STREAM_CLOSED: { status: 500, edgelakeCode: 16, text: 'Stream already closed for writing' },
  METADATA_FRAME_TOO_LARGE: { status: 502, edgelakeCode: 16, text: 'Stream frame exceeds the maximum size' }
})
