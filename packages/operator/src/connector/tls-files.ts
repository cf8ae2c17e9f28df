/**
 * Reads the KubeArmor TLS settings' PEM files once, at start, and checks them with Node's TLS layer, so a
 * missing file, a bad PEM or a key that does not match its certificate stops the node with CONFIG_INVALID
 * instead of turning into a reconnect loop.
 */
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { CORE_ERRORS, FedlakeError } from '@fedlake/core'
import type { KubeArmorTlsConfig } from '@fedlake/core'
import type { GrpcTlsOptions } from './grpc-channel.js'

function readPem (key: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new FedlakeError(CORE_ERRORS.CONFIG_INVALID, `kubearmorTls.${key}: cannot read ${path}: ${(err as Error).message}`, { key: `kubearmorTls.${key}`, path })
  }
}

/** undefined when TLS is off. */
export function loadKubeArmorTls (config: KubeArmorTlsConfig): GrpcTlsOptions | undefined {
  if (!config.enabled) return undefined
  const tls: GrpcTlsOptions = {
    ...(config.caFile !== undefined ? { ca: readPem('caFile', config.caFile) } : {}),
    ...(config.certFile !== undefined ? { cert: readPem('certFile', config.certFile) } : {}),
    ...(config.keyFile !== undefined ? { key: readPem('keyFile', config.keyFile) } : {}),
    ...(config.serverName !== undefined ? { serverName: config.serverName } : {})
  }
  try {
    createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key })
  } catch (err) {
    const files = [config.caFile, config.certFile, config.keyFile].filter(f => f !== undefined).join(', ')
    throw new FedlakeError(CORE_ERRORS.CONFIG_INVALID, `kubearmorTls: ${files}: ${(err as Error).message}`, { key: 'kubearmorTls' }, { cause: err })
  }
  return tls
}
