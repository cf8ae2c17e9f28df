export { createKubeArmorConnector, DEFAULT_FLOW_CONTROL_WINDOW_BYTES } from './kubearmor-connector.js'
export type { KubeArmorConnector, KubeArmorConnectorInit } from './kubearmor-connector.js'
export { grpcClientStatusTable, createGrpcClientCommands, GRPC_CLIENT_COLUMNS } from './status.js'
export type { GrpcClientStatus, GrpcClientState } from './status.js'
export {
  decodeLog, decodeAlert, decodeMessage, decodeReplyMessage, encodeRequestMessage, encodeNonceMessage,
  DecodeFailure, safeDeserializer
} from './decode.js'
export { WireFormatError } from './wire-reader.js'
export { createGrpcChannel, DEFAULT_GRPC_WINDOW_BYTES, DEFAULT_GRPC_MAX_MESSAGE_BYTES } from './grpc-channel.js'
export type { GrpcChannel, GrpcChannelInit, GrpcStreamHandlers, GrpcServerStream, GrpcCallOptions, GrpcUnaryResult, GrpcTlsOptions } from './grpc-channel.js'
export { loadKubeArmorTls } from './tls-files.js'
export { GRPC_STATUS, grpcStatusName } from './grpc-codes.js'
export type { GrpcCallStatus } from './grpc-codes.js'
export { createBackoff } from './backoff.js'
export type { Backoff } from './backoff.js'
export { createWatermarkTracker } from './watermark.js'
export type { IngestWatermarks, WatermarkTracker } from './watermark.js'
